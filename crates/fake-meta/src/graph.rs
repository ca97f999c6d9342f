//! The Graph side: `debug_token`, user-token authentication (validity,
//! expiry, `appsecret_proof`), `/me`, businesses and their owned and client
//! ad accounts, personal ad accounts, `DELETE /me/permissions`, cursor
//! pagination that ends at the missing `next`, and batch requests, each item
//! counting against the rate budget whose use the usage headers report.

use axum::http::Method;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::answer::{Answer, param};
use crate::server::{route, strip_version};
use crate::world::{AdAccount, Fault, Token, World, now};

fn debug_token_data(w: &World, input: &str) -> Value {
    let Some(t) = w.tokens.get(input) else {
        return json!({ "is_valid": false, "scopes": [], "error": { "code": 190, "message": "Invalid OAuth access token." } });
    };
    let expired = t.expires_at != 0 && t.expires_at <= now();
    let mut data = json!({
        "app_id": t.app_id,
        "type": t.kind,
        "application": "CRM Ventas (fake)",
        "data_access_expires_at": t.data_access_expires_at,
        "expires_at": t.expires_at,
        "is_valid": t.valid && !expired,
        "issued_at": t.issued_at,
        "scopes": t.scopes,
        "granular_scopes": t.scopes.iter().filter(|s| s.starts_with("business") || s.starts_with("ads")).map(|s| {
            let targets: Vec<&str> = w.users.get(&t.user_id).map(|u| u.businesses.iter().map(|b| b.id.as_str()).collect()).unwrap_or_default();
            json!({ "scope": s, "target_ids": targets })
        }).collect::<Vec<_>>(),
        "user_id": t.user_id,
    });
    if expired {
        data["error"] = json!({ "code": 190, "subcode": 463, "message": format!("Session has expired on {}.", t.expires_at) });
    } else if !t.valid {
        data["error"] = json!({ "code": 190, "subcode": 460, "message": "The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons." });
    }
    data
}

pub(crate) fn debug_token(w: &mut World, params: &[(String, String)]) -> Answer {
    if !w.spend() {
        return Answer::error(400, 4, None, "(#4) Application request limit reached");
    }
    let app_token = format!("{}|{}", w.app_id, w.app_secret);
    if param(params, "access_token") != Some(app_token.as_str()) {
        return Answer::error(
            400,
            190,
            None,
            "Invalid OAuth access token - Cannot parse access token",
        );
    }
    let Some(input) = param(params, "input_token") else {
        return Answer::error(400, 100, None, "The parameter input_token is required");
    };
    Answer::ok(json!({ "data": debug_token_data(w, input) }))
}

/// The user behind a user token, checking validity, expiry and appsecret_proof.
fn authenticate(w: &World, params: &[(String, String)]) -> Result<Token, Answer> {
    let Some(token) = param(params, "access_token") else {
        return Err(Answer::error(
            400,
            2500,
            None,
            "An active access token must be used to query information about the current user.",
        ));
    };
    let Some(t) = w.tokens.get(token) else {
        return Err(Answer::error(
            400,
            190,
            None,
            "Invalid OAuth access token - Cannot parse access token",
        ));
    };
    if t.expires_at != 0 && t.expires_at <= now() {
        return Err(Answer::error(
            400,
            190,
            Some(463),
            "Error validating access token: Session has expired.",
        ));
    }
    if !t.valid {
        return Err(Answer::error(
            400,
            190,
            Some(460),
            "Error validating access token: The session has been invalidated.",
        ));
    }
    if w.require_appsecret_proof {
        let expected = {
            let mut mac = Hmac::<Sha256>::new_from_slice(w.app_secret.as_bytes())
                .map_err(|_| Answer::error(500, 1, None, "hmac"))?;
            mac.update(token.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        };
        match param(params, "appsecret_proof") {
            None => {
                return Err(Answer::error(
                    400,
                    100,
                    None,
                    "API calls from the server require an appsecret_proof argument",
                ));
            }
            Some(proof) if proof != expected => {
                return Err(Answer::error(
                    400,
                    100,
                    None,
                    "Invalid appsecret_proof provided in the API argument",
                ));
            }
            Some(_) => {}
        }
    }
    Ok(t.clone())
}

pub(crate) fn graph_call(
    w: &mut World,
    method: &str,
    rest: &str,
    params: &[(String, String)],
) -> Answer {
    let token = match authenticate(w, params) {
        Ok(t) => t,
        Err(answer) => return answer,
    };
    if (method, rest) == ("DELETE", "me/permissions") {
        for t in w
            .tokens
            .values_mut()
            .filter(|t| t.user_id == token.user_id && t.app_id == token.app_id)
        {
            t.valid = false;
        }
        return Answer::ok(json!({ "success": true }));
    }
    if (method, rest) == ("GET", "me/accounts") {
        return crate::pages::accounts(w, &token, params);
    }
    let (object, edge) = match rest.split_once('/') {
        Some((object, edge)) => (object, Some(edge)),
        None => (rest, None),
    };
    if let Some(answer) = crate::pages::page_call(w, &token, method, object, edge, params) {
        return answer;
    }
    let Some(user) = w.users.get(&token.user_id) else {
        return Answer::error(400, 190, None, "Invalid OAuth access token.");
    };
    let lacks = |scope: &str| !token.scopes.iter().any(|s| s == scope);
    match (method, rest) {
        ("GET", "me") => Answer::ok(json!({ "id": user.id, "name": user.name })),
        ("GET", "me/businesses") => {
            if lacks("business_management") {
                return Answer::error(
                    403,
                    200,
                    None,
                    "(#200) Requires business_management permission to manage the object",
                );
            }
            page(
                rest,
                &user.businesses,
                |b| json!({ "id": b.id, "name": b.name }),
                params,
            )
        }
        ("GET", "me/adaccounts") => page(rest, &user.personal, AdAccount::json, params),
        ("GET", edge) => {
            let Some((bm, kind)) = edge.split_once('/') else {
                return Answer::error(400, 100, None, "Unsupported get request.");
            };
            let Some(business) = user.businesses.iter().find(|b| b.id == bm) else {
                return Answer::error(
                    400,
                    100,
                    Some(33),
                    "Unsupported get request. Object does not exist or cannot be loaded due to missing permissions.",
                );
            };
            let accounts = match kind {
                "owned_ad_accounts" => &business.owned,
                "client_ad_accounts" => &business.client,
                _ => return Answer::error(400, 100, None, "Tried accessing nonexisting field"),
            };
            page(rest, accounts, AdAccount::json, params)
        }
        _ => Answer::error(400, 100, None, "Unsupported request - method type"),
    }
}

/// One page of a list, with cursors; `next` only when more remain.
pub(crate) fn page<T>(
    rest: &str,
    items: &[T],
    to_json: impl Fn(&T) -> Value,
    params: &[(String, String)],
) -> Answer {
    let limit = param(params, "limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(25)
        .clamp(1, 100);
    let offset = param(params, "after")
        .and_then(|c| URL_SAFE_NO_PAD.decode(c).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    let end = (offset + limit).min(items.len());
    let data: Vec<Value> = items
        .get(offset..end)
        .unwrap_or_default()
        .iter()
        .map(to_json)
        .collect();
    let cursor = |n: usize| URL_SAFE_NO_PAD.encode(n.to_string());
    let mut paging = json!({ "cursors": { "before": cursor(offset), "after": cursor(end) } });
    if end < items.len() {
        let mut next = url::Url::parse(&format!("https://graph.facebook.com/v25.0/{rest}")).ok();
        if let Some(next) = next.as_mut() {
            next.query_pairs_mut()
                .extend_pairs(params.iter().filter(|(k, _)| k != "after"))
                .append_pair("after", &cursor(end));
        }
        paging["next"] = json!(next.map(String::from));
    }
    Answer::ok(json!({ "data": data, "paging": paging }))
}

/// `POST /` with `batch=[{"method","relative_url"}]`: each item answered as
/// `{"code","headers","body":"<JSON string>"}`, in order; at most 50.
/// A batch request; items without a version run on the batch's `version`.
pub(crate) fn batch(w: &mut World, version: &str, params: &[(String, String)]) -> Answer {
    let Some(items) =
        param(params, "batch").and_then(|b| serde_json::from_str::<Vec<Value>>(b).ok())
    else {
        return Answer::error(
            400,
            100,
            None,
            "The parameter batch is required and must be a JSON array",
        );
    };
    if items.len() > 50 {
        return Answer::error(
            400,
            1,
            None,
            "Batch requests cannot have more than 50 items",
        );
    }
    let outer_token = param(params, "access_token").map(str::to_owned);
    let outer_proof = param(params, "appsecret_proof").map(str::to_owned);
    let mut answers = Vec::with_capacity(items.len());
    for item in items {
        w.batch_items += 1;
        let method = item
            .get("method")
            .and_then(Value::as_str)
            .unwrap_or("GET")
            .to_uppercase();
        let relative = item
            .get("relative_url")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let (path, query) = relative.split_once('?').unwrap_or((relative, ""));
        let mut item_params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        if param(&item_params, "access_token").is_none() {
            item_params.extend(outer_token.clone().map(|t| ("access_token".to_owned(), t)));
            item_params.extend(
                outer_proof
                    .clone()
                    .map(|p| ("appsecret_proof".to_owned(), p)),
            );
        }
        let path = format!("/{}", path.trim_start_matches('/'));
        let path = if strip_version(&path).is_some() {
            path
        } else {
            format!("/{version}{path}")
        };
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        let answer = match w.take_fault(&format!("{method} {path}")) {
            Some(Fault::RateLimit(code)) => {
                Answer::error(400, code, None, "(#4) Application request limit reached")
            }
            Some(Fault::Error {
                status,
                code,
                subcode,
                message,
            }) => Answer::error(status, code, subcode, &message),
            Some(_) => Answer::error(
                500,
                2,
                None,
                "An unexpected error has occurred. Please retry your request later.",
            ),
            // Each item counts against the budget (route spends it), as at Meta.
            None => route(w, &method, &path, &item_params),
        };
        answers.push(json!({
            "code": answer.status.as_u16(),
            "headers": [{ "name": "Content-Type", "value": "application/json" }],
            "body": answer.body.to_string(),
        }));
    }
    Answer::ok(Value::Array(answers))
}
