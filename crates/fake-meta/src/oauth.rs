//! The OAuth side: the dialog (`/vX.Y/dialog/oauth` and its `decide` page),
//! which issues single-use codes bound to their redirect URI and PKCE
//! challenge, and `/vX.Y/oauth/access_token`, which exchanges a code for a
//! short-lived token (checking the verifier) or, with `fb_exchange_token`, a
//! token for a long-lived one.

use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::answer::{Answer, param};
use crate::world::{
    Code, DATA_ACCESS_SECONDS, Dialog, LONG_LIVED_SECONDS, Token, World, now, random_string,
};

const SHORT_LIVED_SECONDS: i64 = 7_200;

pub(crate) fn dialog(w: &mut World, params: &[(String, String)]) -> Answer {
    w.last_dialog_query = params.iter().cloned().collect();
    if param(params, "client_id") != Some(w.app_id.as_str()) {
        return Answer {
            html: Some("<h1>Invalid App ID</h1>".into()),
            ..Answer::error(400, 100, None, "Invalid App ID")
        };
    }
    let Some(redirect_uri) = param(params, "redirect_uri") else {
        return Answer {
            html: Some("<h1>redirect_uri missing</h1>".into()),
            ..Answer::error(400, 100, None, "redirect_uri")
        };
    };
    if w.live && !redirect_uri.starts_with("https://") {
        return Answer {
            html: Some("<h1>Insecure Login Blocked: You can't get an access token or log in to this app from an insecure page. Try re-loading the page as https://</h1>".into()),
            ..Answer::error(400, 191, None, "insecure redirect_uri on a live app")
        };
    }
    if !w.redirect_uris.is_empty() && !w.redirect_uris.iter().any(|u| u == redirect_uri) {
        return Answer {
            html: Some("<h1>URL Blocked: the redirect URI is not whitelisted in the app's Client OAuth Settings.</h1>".into()),
            ..Answer::error(400, 191, None, "redirect_uri not allowed")
        };
    }
    match w.dialog.clone() {
        Dialog::Deny => deny_redirect(params),
        Dialog::Approve { user_id } => approve_redirect(w, params, &user_id),
        Dialog::Ask { user_id } => {
            let query = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params.iter())
                .finish();
            let user = w
                .users
                .get(&user_id)
                .map(|u| u.name.clone())
                .unwrap_or_default();
            Answer {
                html: Some(format!(
                    "<!doctype html><h1>Fake Meta</h1><p>crm-meta asks for access as <b>{user}</b>.</p>\
                     <p><a href=\"decide?{query}&approve=1\">Continue</a> &middot; <a href=\"decide?{query}&approve=0\">Cancel</a></p>"
                )),
                ..Answer::ok(Value::Null)
            }
        }
    }
}

pub(crate) fn decide(w: &mut World, params: &[(String, String)]) -> Answer {
    let user_id = match &w.dialog {
        Dialog::Ask { user_id } | Dialog::Approve { user_id } => user_id.clone(),
        Dialog::Deny => return deny_redirect(params),
    };
    if param(params, "approve") == Some("1") {
        approve_redirect(w, params, &user_id)
    } else {
        deny_redirect(params)
    }
}

fn with_query(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(url) => url,
        Err(_) => return redirect_uri.to_owned(),
    };
    url.query_pairs_mut().extend_pairs(pairs);
    url.into()
}

fn deny_redirect(params: &[(String, String)]) -> Answer {
    let redirect_uri = param(params, "redirect_uri").unwrap_or_default();
    let state = param(params, "state").unwrap_or_default();
    Answer::redirect(with_query(
        redirect_uri,
        &[
            ("error", "access_denied"),
            ("error_code", "200"),
            ("error_description", "Permissions error"),
            ("error_reason", "user_denied"),
            ("state", state),
        ],
    ))
}

fn approve_redirect(w: &mut World, params: &[(String, String)], user_id: &str) -> Answer {
    let Some(user) = w.users.get(user_id) else {
        return Answer::error(500, 1, None, "fake: the dialog's user does not exist");
    };
    let requested: Vec<String> = match param(params, "config_id") {
        Some(config) => w.login_configs.get(config).cloned().unwrap_or_default(),
        None => param(params, "scope")
            .unwrap_or_default()
            .split(',')
            .map(str::to_owned)
            .collect(),
    };
    let scopes = requested
        .into_iter()
        .filter(|s| user.grants.contains(s))
        .collect();
    let code = random_string("AQ", 200);
    w.codes.insert(
        code.clone(),
        Code {
            user_id: user_id.to_owned(),
            redirect_uri: param(params, "redirect_uri").unwrap_or_default().to_owned(),
            challenge: param(params, "code_challenge").map(str::to_owned),
            scopes,
            issued: Instant::now(),
            used: false,
        },
    );
    let redirect_uri = param(params, "redirect_uri").unwrap_or_default();
    let state = param(params, "state").unwrap_or_default();
    Answer::redirect(
        with_query(redirect_uri, &[("code", code.as_str()), ("state", state)]) + "#_=_",
    )
}

pub(crate) fn access_token(w: &mut World, params: &[(String, String)]) -> Answer {
    if param(params, "client_id") != Some(w.app_id.as_str()) {
        return Answer::error(
            400,
            101,
            None,
            "Error validating application. Invalid application ID.",
        );
    }
    if param(params, "client_secret") != Some(w.app_secret.as_str()) {
        return Answer::error(400, 1, None, "Error validating client secret.");
    }
    if param(params, "grant_type") == Some("client_credentials") {
        // An app access token, as Meta gives for client credentials.
        let token = format!("{}|{}", w.app_id, crate::world::random_string("app", 27));
        w.tokens.insert(
            token.clone(),
            crate::world::Token {
                user_id: String::new(),
                app_id: w.app_id.clone(),
                kind: "APP",
                expires_at: 0,
                data_access_expires_at: 0,
                issued_at: now(),
                scopes: Vec::new(),
                valid: true,
                long_lived: true,
                page_id: None,
            },
        );
        return Answer::ok(json!({ "access_token": token, "token_type": "bearer" }));
    }
    if param(params, "grant_type") == Some("fb_exchange_token") {
        let Some(old) = param(params, "fb_exchange_token")
            .and_then(|t| w.tokens.get(t))
            .cloned()
        else {
            return Answer::error(
                400,
                190,
                None,
                "Invalid OAuth access token - Cannot parse access token",
            );
        };
        if !old.valid {
            return Answer::error(
                400,
                190,
                Some(460),
                "Error validating access token: The session has been invalidated.",
            );
        }
        if old.expires_at != 0 && old.expires_at <= now() {
            return Answer::error(
                400,
                190,
                Some(463),
                "Error validating access token: Session has expired.",
            );
        }
        let expires_at = if w.no_extension {
            old.expires_at
        } else {
            now() + LONG_LIVED_SECONDS
        };
        let token = random_string("EAAFakeLong", 150);
        w.tokens.insert(
            token.clone(),
            Token {
                expires_at,
                long_lived: true,
                page_id: None,
                issued_at: now(),
                data_access_expires_at: now() + DATA_ACCESS_SECONDS,
                ..old
            },
        );
        return Answer::ok(
            json!({ "access_token": token, "token_type": "bearer", "expires_in": expires_at - now() }),
        );
    }
    let Some(code_value) = param(params, "code") else {
        return Answer::error(400, 100, None, "Missing authorization code");
    };
    let Some(code) = w.codes.get_mut(code_value) else {
        return Answer::error(400, 100, None, "Invalid verification code format.");
    };
    if code.used {
        return Answer::error(
            400,
            100,
            Some(36009),
            "This authorization code has been used.",
        );
    }
    if code.issued.elapsed() > Duration::from_secs(600) {
        return Answer::error(
            400,
            100,
            Some(36007),
            "This authorization code has expired.",
        );
    }
    if param(params, "redirect_uri") != Some(code.redirect_uri.as_str()) {
        return Answer::error(
            400,
            100,
            Some(36008),
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        );
    }
    if let Some(challenge) = &code.challenge {
        let verifier = param(params, "code_verifier").unwrap_or_default();
        if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != *challenge {
            return Answer::error(400, 100, None, "Invalid code verifier");
        }
    }
    code.used = true;
    let code = code.clone();
    if param(params, "code_verifier").is_some() {
        w.pkce_exchanges += 1;
    }
    let token = random_string("EAAFakeShort", 150);
    let now = now();
    w.tokens.insert(
        token.clone(),
        Token {
            user_id: code.user_id,
            app_id: w.app_id.clone(),
            kind: "USER",
            expires_at: now + SHORT_LIVED_SECONDS,
            data_access_expires_at: now + DATA_ACCESS_SECONDS,
            issued_at: now,
            scopes: code.scopes,
            valid: true,
            long_lived: false,
            page_id: None,
        },
    );
    Answer::ok(
        json!({ "access_token": token, "token_type": "bearer", "expires_in": SHORT_LIVED_SECONDS }),
    )
}
