//! The fake's own tests: each starts a [`FakeMeta`] on 127.0.0.1 and talks to
//! it over real HTTP/1.1, checking the routes, parameters and answer shapes
//! crm-meta relies on.
//!

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fake_meta::{
    APP_ID, APP_SECRET, Dialog, FakeMeta, Fault, LONG_LIVED_SECONDS, RateBudget, User, World, now,
};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
const USER: &str = "10001";

/// One HTTP answer: status, headers (names lower-cased) and body.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }

    /// The `error` object of a Meta error answer.
    fn error(&self) -> Value {
        let body = self.json();
        assert!(body["error"].is_object(), "not a Meta error: {body}");
        body["error"].clone()
    }
}

/// Sends one request (redirects are answers, not followed) and reads the whole answer.
async fn send(addr: SocketAddr, method: &str, target: &str, form: Option<String>) -> Reply {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client");
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = client.request(method, format!("http://{addr}{target}"));
    if let Some(form) = form {
        request = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form);
    }
    let response = request.send().await.expect("the fake answers");
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_ascii_lowercase(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let body = response.text().await.expect("a text body");
    Reply {
        status,
        headers,
        body,
    }
}

/// `key=value&…`, percent-encoded.
fn query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn get(fake: &FakeMeta, path: &str, pairs: &[(&str, &str)]) -> Reply {
    send(fake.addr, "GET", &format!("{path}?{}", query(pairs)), None).await
}

fn proof(token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(APP_SECRET.as_bytes()).expect("HMAC key");
    mac.update(token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A user-token Graph call, with its `appsecret_proof`.
async fn graph(fake: &FakeMeta, method: &str, path: &str, token: &str) -> Reply {
    let target = format!(
        "{path}?{}",
        query(&[("access_token", token), ("appsecret_proof", &proof(token))])
    );
    send(fake.addr, method, &target, None).await
}

async fn debug_token(fake: &FakeMeta, input: &str) -> Value {
    let app_token = format!("{APP_ID}|{APP_SECRET}");
    let reply = get(
        fake,
        "/v25.0/debug_token",
        &[("input_token", input), ("access_token", &app_token)],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["data"].clone()
}

/// Opens the dialog and returns the code it redirects with.
async fn dialog_code(fake: &FakeMeta, extra: &[(&str, &str)]) -> String {
    let mut pairs = vec![
        ("client_id", APP_ID),
        ("redirect_uri", REDIRECT_URI),
        ("state", "st4te"),
    ];
    pairs.extend_from_slice(extra);
    let reply = get(fake, "/v25.0/dialog/oauth", &pairs).await;
    assert_eq!(reply.status, 302, "{}", reply.body);
    let location = reply.header("location").expect("a Location");
    let url = url::Url::parse(location).expect("an absolute Location");
    let param = |k: &str| {
        url.query_pairs()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.into_owned())
    };
    assert_eq!(param("state").as_deref(), Some("st4te"));
    param("code").expect("a code in the redirect")
}

async fn exchange_code(fake: &FakeMeta, code: &str, redirect_uri: &str) -> Reply {
    get(
        fake,
        "/v25.0/oauth/access_token",
        &[
            ("client_id", APP_ID),
            ("client_secret", APP_SECRET),
            ("redirect_uri", redirect_uri),
            ("code", code),
        ],
    )
    .await
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

#[tokio::test]
async fn debug_token_reports_the_issued_tokens_user_scopes_and_expiry() {
    let fake = FakeMeta::start(World::demo(1, 2)).await.unwrap();
    let token = fake.world().issue_token(
        USER,
        "USER",
        Some(3_600),
        &["ads_read", "business_management"],
    );

    let before = now();
    let data = debug_token(&fake, &token).await;
    assert_eq!(data["is_valid"], json!(true));
    assert_eq!(data["user_id"], json!(USER));
    assert_eq!(data["app_id"], json!(APP_ID));
    assert_eq!(data["type"], json!("USER"));
    assert_eq!(
        strings(&data["scopes"]),
        ["ads_read", "business_management"]
    );
    let expires_at = data["expires_at"].as_i64().unwrap();
    assert!(
        (before + 3_600 - 2..=now() + 3_600).contains(&expires_at),
        "expires_at {expires_at}"
    );
    // Granular scopes name the user's business managers as targets.
    assert_eq!(
        data["granular_scopes"],
        json!([
            { "scope": "ads_read", "target_ids": ["5000000"] },
            { "scope": "business_management", "target_ids": ["5000000"] },
        ])
    );
    assert!(data.get("error").is_none(), "{data}");

    // A token issued with no expiry reports 0.
    let forever = fake
        .world()
        .issue_token(USER, "SYSTEM_USER", None, &["ads_read"]);
    let data = debug_token(&fake, &forever).await;
    assert_eq!(data["expires_at"], json!(0));
    assert_eq!(data["type"], json!("SYSTEM_USER"));
}

#[tokio::test]
async fn unknown_and_expired_tokens_are_refused_with_190() {
    let fake = FakeMeta::start(World::demo(1, 1)).await.unwrap();

    let reply = graph(&fake, "GET", "/v25.0/me", "EAAnotatoken").await;
    assert_eq!(reply.status, 400);
    let error = reply.error();
    assert_eq!(error["code"], json!(190));
    assert_eq!(error["type"], json!("OAuthException"));
    assert!(error.get("error_subcode").is_none());

    let data = debug_token(&fake, "EAAnotatoken").await;
    assert_eq!(data["is_valid"], json!(false));
    assert_eq!(data["error"]["code"], json!(190));

    // debug_token itself wants the app token.
    let reply = get(
        &fake,
        "/v25.0/debug_token",
        &[("input_token", "x"), ("access_token", "wrong|token")],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error()["code"], json!(190));

    let expired = fake
        .world()
        .issue_token(USER, "USER", Some(-60), &["ads_read"]);
    let reply = graph(&fake, "GET", "/v25.0/me", &expired).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error()["code"], json!(190));
    assert_eq!(reply.error()["error_subcode"], json!(463));
    let data = debug_token(&fake, &expired).await;
    assert_eq!(data["is_valid"], json!(false));
    assert_eq!(data["error"]["subcode"], json!(463));
}

#[tokio::test]
async fn code_exchange_then_fb_exchange_token_gives_a_different_long_lived_token() {
    let fake = FakeMeta::start(World::demo(1, 1)).await.unwrap();
    // Scopes the user does not grant are dropped.
    let code = dialog_code(
        &fake,
        &[("scope", "ads_read,business_management,instagram_basic")],
    )
    .await;

    let reply = exchange_code(&fake, &code, REDIRECT_URI).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["token_type"], json!("bearer"));
    assert_eq!(body["expires_in"], json!(7_200));
    let short = body["access_token"].as_str().unwrap().to_owned();
    let data = debug_token(&fake, &short).await;
    assert_eq!(data["user_id"], json!(USER));
    assert_eq!(
        strings(&data["scopes"]),
        ["ads_read", "business_management"]
    );

    let reply = get(
        &fake,
        "/v25.0/oauth/access_token",
        &[
            ("grant_type", "fb_exchange_token"),
            ("client_id", APP_ID),
            ("client_secret", APP_SECRET),
            ("fb_exchange_token", &short),
        ],
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    let long = body["access_token"].as_str().unwrap().to_owned();
    assert_ne!(long, short);
    let expires_in = body["expires_in"].as_i64().unwrap();
    assert!(
        (LONG_LIVED_SECONDS - 2..=LONG_LIVED_SECONDS).contains(&expires_in),
        "expires_in {expires_in}"
    );
    let data = debug_token(&fake, &long).await;
    assert_eq!(data["is_valid"], json!(true));
    assert_eq!(data["user_id"], json!(USER));
    assert_eq!(
        strings(&data["scopes"]),
        ["ads_read", "business_management"]
    );
    assert!(data["expires_at"].as_i64().unwrap() > now() + LONG_LIVED_SECONDS - 10);

    // A wrong client secret is refused before anything else.
    let reply = get(
        &fake,
        "/v25.0/oauth/access_token",
        &[
            ("grant_type", "fb_exchange_token"),
            ("client_id", APP_ID),
            ("client_secret", "nope"),
            ("fb_exchange_token", &long),
        ],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error()["code"], json!(1));
}

#[tokio::test]
async fn a_code_is_bound_to_its_redirect_uri_and_used_once() {
    let fake = FakeMeta::start(World::demo(1, 1)).await.unwrap();
    let code = dialog_code(&fake, &[("scope", "ads_read")]).await;
    assert_eq!(fake.world().codes(), [code.as_str()]);

    let reply = exchange_code(&fake, &code, "http://127.0.0.1:9/elsewhere").await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error()["code"], json!(100));
    assert_eq!(reply.error()["error_subcode"], json!(36008));

    // The mismatch did not spend the code.
    let reply = exchange_code(&fake, &code, REDIRECT_URI).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    let reply = exchange_code(&fake, &code, REDIRECT_URI).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error()["code"], json!(100));
    assert_eq!(reply.error()["error_subcode"], json!(36009));

    let reply = exchange_code(&fake, "AQnosuchcode", REDIRECT_URI).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error()["code"], json!(100));
    assert!(reply.error().get("error_subcode").is_none());
}

#[tokio::test]
async fn pkce_exchange_needs_the_verifier_of_the_challenge() {
    let fake = FakeMeta::start(World::demo(1, 1)).await.unwrap();
    let verifier = "a-verifier-of-enough-length-0123456789-abcdefghijklmnop";
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let code = dialog_code(
        &fake,
        &[
            ("scope", "ads_read"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let exchange = |v: &'static str| {
        let code = code.clone();
        let fake = &fake;
        async move {
            get(
                fake,
                "/v25.0/oauth/access_token",
                &[
                    ("client_id", APP_ID),
                    ("client_secret", APP_SECRET),
                    ("redirect_uri", REDIRECT_URI),
                    ("code", &code),
                    ("code_verifier", v),
                ],
            )
            .await
        }
    };

    let reply = exchange("not-the-verifier").await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error()["code"], json!(100));
    assert_eq!(reply.error()["message"], json!("Invalid code verifier"));
    assert_eq!(fake.world().pkce_exchanges, 0);

    let reply = exchange(verifier).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(fake.world().pkce_exchanges, 1);
}

#[tokio::test]
async fn ask_shows_a_page_and_cancel_or_deny_redirect_with_access_denied() {
    let mut world = World::demo(1, 1);
    world.dialog = Dialog::Ask {
        user_id: USER.into(),
    };
    world.redirect_uris = vec![REDIRECT_URI.into()];
    let fake = FakeMeta::start(world).await.unwrap();
    let pairs = [
        ("client_id", APP_ID),
        ("redirect_uri", REDIRECT_URI),
        ("state", "s1"),
        ("config_id", "cfg"),
    ];

    let reply = get(&fake, "/v25.0/dialog/oauth", &pairs).await;
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(reply.body.contains("Ana Operator"), "{}", reply.body);
    assert!(reply.body.contains("approve=1") && reply.body.contains("approve=0"));
    assert_eq!(
        fake.world()
            .last_dialog_query
            .get("config_id")
            .map(String::as_str),
        Some("cfg")
    );

    let mut cancel = pairs.to_vec();
    cancel.push(("approve", "0"));
    let reply = get(&fake, "/v25.0/dialog/oauth/decide", &cancel).await;
    assert_eq!(reply.status, 302);
    let location = url::Url::parse(reply.header("location").unwrap()).unwrap();
    let pairs_of =
        |url: &url::Url| -> Vec<(String, String)> { url.query_pairs().into_owned().collect() };
    let got = pairs_of(&location);
    assert!(
        got.contains(&("error".into(), "access_denied".into())),
        "{got:?}"
    );
    assert!(got.contains(&("error_reason".into(), "user_denied".into())));
    assert!(got.contains(&("state".into(), "s1".into())));
    assert!(fake.world().codes().is_empty());

    fake.world().dialog = Dialog::Deny;
    let reply = get(&fake, "/v25.0/dialog/oauth", &pairs).await;
    assert_eq!(reply.status, 302);
    let location = url::Url::parse(reply.header("location").unwrap()).unwrap();
    assert!(pairs_of(&location).contains(&("error".into(), "access_denied".into())));

    // A redirect URI the app did not register is refused with a page.
    let reply = get(
        &fake,
        "/v25.0/dialog/oauth",
        &[
            ("client_id", APP_ID),
            ("redirect_uri", "http://127.0.0.1:9/other"),
        ],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("URL Blocked"), "{}", reply.body);
}

#[tokio::test]
async fn appsecret_proof_is_required_when_enforced() {
    let fake = FakeMeta::start(World::demo(1, 1)).await.unwrap();
    assert!(fake.world().require_appsecret_proof);
    let token = fake
        .world()
        .issue_token(USER, "USER", Some(3_600), &["ads_read"]);

    let reply = get(&fake, "/v25.0/me", &[("access_token", &token)]).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error()["code"], json!(100));
    assert!(
        reply.error()["message"]
            .as_str()
            .unwrap()
            .contains("require an appsecret_proof"),
        "{}",
        reply.body
    );

    let reply = get(
        &fake,
        "/v25.0/me",
        &[
            ("access_token", &token),
            ("appsecret_proof", &proof("other")),
        ],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error()["code"], json!(100));
    assert!(
        reply.error()["message"]
            .as_str()
            .unwrap()
            .contains("Invalid appsecret_proof")
    );

    let reply = graph(&fake, "GET", "/v25.0/me", &token).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json(), json!({ "id": USER, "name": "Ana Operator" }));

    fake.world().require_appsecret_proof = false;
    let reply = get(&fake, "/v25.0/me", &[("access_token", &token)]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

#[tokio::test]
async fn fail_next_injects_a_fault_once_and_only_where_it_matches() {
    let fake = FakeMeta::start(World::demo(1, 1)).await.unwrap();
    let token = fake
        .world()
        .issue_token(USER, "USER", Some(3_600), &["ads_read"]);
    fake.world().fail_next("GET /v25.0/me", 1, Fault::Transient);

    // Another path leaves the fault pending.
    let data = debug_token(&fake, &token).await;
    assert_eq!(data["is_valid"], json!(true));

    let reply = graph(&fake, "GET", "/v25.0/me", &token).await;
    assert_eq!(reply.status, 500);
    assert_eq!(reply.error()["code"], json!(2));
    assert_eq!(reply.error()["is_transient"], json!(true));

    let reply = graph(&fake, "GET", "/v25.0/me", &token).await;
    assert_eq!(reply.status, 200, "{}", reply.body);

    // Faults that are not Meta errors: an HTML page, then a truncated body.
    fake.world().fail_next("/me", 1, Fault::Html);
    fake.world().fail_next("/me", 1, Fault::Truncated);
    let reply = graph(&fake, "GET", "/v25.0/me", &token).await;
    assert_eq!(reply.status, 503);
    assert_eq!(reply.header("content-type"), Some("text/html"));
    let reply = graph(&fake, "GET", "/v25.0/me", &token).await;
    assert_eq!(reply.status, 200);
    assert!(serde_json::from_str::<Value>(&reply.body).is_err());
    let reply = graph(&fake, "GET", "/v25.0/me", &token).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["id"], json!(USER));

    // clear_faults drops what is pending.
    fake.world().fail_next("/me", 5, Fault::RateLimit(17));
    fake.world().clear_faults();
    let reply = graph(&fake, "GET", "/v25.0/me", &token).await;
    assert_eq!(reply.status, 200);

    // Every request was recorded, faulted or not.
    assert_eq!(fake.world().http_requests("GET /v25.0/me"), 6);
    assert_eq!(fake.world().http_requests("GET /v25.0/debug_token"), 1);
}

#[tokio::test]
async fn a_batch_answers_its_items_in_order_and_counts_them() {
    let fake = FakeMeta::start(World::demo(1, 1)).await.unwrap();
    let token = fake.world().issue_token(
        USER,
        "USER",
        Some(3_600),
        &["ads_read", "business_management"],
    );
    let items = json!([
        { "method": "GET", "relative_url": "me" },
        { "method": "GET", "relative_url": "me/businesses" },
        { "method": "GET", "relative_url": "/v25.0/999/owned_ad_accounts" },
        { "method": "GET", "relative_url": "me/adaccounts?limit=1" },
    ])
    .to_string();
    let form = query(&[
        ("batch", &items),
        ("access_token", &token),
        ("appsecret_proof", &proof(&token)),
    ]);
    let reply = send(fake.addr, "POST", "/v25.0/", Some(form)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answers = reply.json();
    let answers = answers.as_array().expect("an array of answers");
    assert_eq!(answers.len(), 4);
    let codes: Vec<u64> = answers
        .iter()
        .map(|a| a["code"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, [200, 200, 400, 200]);
    let bodies: Vec<Value> = answers
        .iter()
        .map(|a| serde_json::from_str(a["body"].as_str().expect("body is a string")).unwrap())
        .collect();
    assert_eq!(bodies[0], json!({ "id": USER, "name": "Ana Operator" }));
    assert_eq!(
        bodies[1]["data"],
        json!([{ "id": "5000000", "name": "Business 0" }])
    );
    assert_eq!(bodies[2]["error"]["error_subcode"], json!(33));
    assert_eq!(bodies[3]["data"][0]["id"], json!("act_111"));
    assert_eq!(fake.world().batch_items, 4);
    assert_eq!(fake.world().http_requests("POST /v25.0/"), 1);

    // A fault aimed at one item hits that item only.
    fake.world()
        .fail_next("GET /v25.0/me/businesses", 1, Fault::RateLimit(613));
    let form = query(&[
        ("batch", &items),
        ("access_token", &token),
        ("appsecret_proof", &proof(&token)),
    ]);
    let reply = send(fake.addr, "POST", "/v25.0", Some(form)).await;
    let answers = reply.json();
    let codes: Vec<u64> = answers
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["code"].as_u64().unwrap())
        .collect();
    assert_eq!(codes, [200, 400, 400, 200]);
    let second: Value = serde_json::from_str(answers[1]["body"].as_str().unwrap()).unwrap();
    assert_eq!(second["error"]["code"], json!(613));
    assert_eq!(fake.world().batch_items, 8);
}

#[tokio::test]
async fn owned_ad_accounts_paginate_with_next_until_the_end() {
    let fake = FakeMeta::start(World::demo(1, 5)).await.unwrap();
    let token = fake
        .world()
        .issue_token(USER, "USER", Some(3_600), &["ads_read"]);
    let mut target = format!(
        "/v25.0/5000000/owned_ad_accounts?{}",
        query(&[
            ("limit", "2"),
            ("access_token", &token),
            ("appsecret_proof", &proof(&token)),
        ])
    );
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let reply = send(fake.addr, "GET", &target, None).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let body = reply.json();
        pages += 1;
        for account in body["data"].as_array().unwrap() {
            ids.push(account["id"].as_str().unwrap().to_owned());
        }
        let Some(next) = body["paging"]["next"].as_str() else {
            break;
        };
        let next = url::Url::parse(next).expect("an absolute next");
        assert_eq!(next.host_str(), Some("graph.facebook.com"));
        target = format!("{}?{}", next.path(), next.query().unwrap());
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(
        ids,
        [
            "act_900000",
            "act_900001",
            "act_900002",
            "act_900003",
            "act_900004"
        ]
    );

    let reply = graph(&fake, "GET", "/v25.0/5000000/client_ad_accounts", &token).await;
    let body = reply.json();
    assert_eq!(body["data"][0]["id"], json!("act_709999"));
    assert_eq!(body["data"][0]["account_status"], json!(2));
    assert!(body["paging"].get("next").is_none());
}

#[tokio::test]
async fn deleting_permissions_invalidates_that_users_tokens_only() {
    let mut world = World::demo(1, 1);
    world
        .users
        .insert("20002".into(), User::new("20002", "Other Person"));
    let fake = FakeMeta::start(world).await.unwrap();
    let (first, second, other) = {
        let mut w = fake.world();
        (
            w.issue_token(USER, "USER", Some(3_600), &["ads_read"]),
            w.issue_token(USER, "USER", None, &["ads_read"]),
            w.issue_token("20002", "USER", Some(3_600), &["ads_read"]),
        )
    };

    let reply = graph(&fake, "DELETE", "/v25.0/me/permissions", &first).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json(), json!({ "success": true }));

    for token in [&first, &second] {
        let reply = graph(&fake, "GET", "/v25.0/me", token).await;
        assert_eq!(reply.status, 400);
        assert_eq!(reply.error()["code"], json!(190));
        assert_eq!(reply.error()["error_subcode"], json!(460));
        let data = debug_token(&fake, token).await;
        assert_eq!(data["is_valid"], json!(false));
        assert_eq!(data["error"]["subcode"], json!(460));
    }

    let reply = graph(&fake, "GET", "/v25.0/me", &other).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["id"], json!("20002"));
}

#[tokio::test]
async fn a_spent_rate_budget_answers_code_4_and_usage_headers_report_it() {
    let mut world = World::demo(1, 1);
    world.rate_budget = Some(RateBudget::new(2, Duration::from_secs(3_600)));
    let fake = FakeMeta::start(world).await.unwrap();
    let token = fake
        .world()
        .issue_token(USER, "USER", Some(3_600), &["ads_read"]);
    let usage = |reply: &Reply| -> Value {
        serde_json::from_str(reply.header("x-app-usage").expect("x-app-usage")).unwrap()
    };

    let reply = graph(&fake, "GET", "/v25.0/me", &token).await;
    assert_eq!(reply.status, 200);
    assert_eq!(usage(&reply)["call_count"], json!(50));

    let reply = graph(&fake, "GET", "/v25.0/me", &token).await;
    assert_eq!(reply.status, 200);
    assert_eq!(usage(&reply)["call_count"], json!(100));

    let reply = graph(&fake, "GET", "/v25.0/me", &token).await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error()["code"], json!(4));
    assert_eq!(usage(&reply)["call_count"], json!(100));

    // debug_token spends from the same budget.
    let app_token = format!("{APP_ID}|{APP_SECRET}");
    let reply = get(
        &fake,
        "/v25.0/debug_token",
        &[("input_token", &token), ("access_token", &app_token)],
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(reply.error()["code"], json!(4));

    // Without a budget, usage stays at 1%.
    fake.world().rate_budget = None;
    let reply = graph(&fake, "GET", "/v25.0/me", &token).await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        usage(&reply),
        json!({ "call_count": 1, "total_time": 0, "total_cputime": 0 })
    );
}

#[tokio::test]
async fn a_live_app_refuses_http_redirects_and_accepts_only_its_registered_https_one() {
    const RELAY: &str = "https://crm.example/meta/relay";
    let mut world = World::demo(1, 1);
    world.live = true;
    world.redirect_uris = vec![REDIRECT_URI.into(), RELAY.into()];
    let fake = FakeMeta::start(world).await.unwrap();
    let dialog = |redirect_uri: &'static str| {
        let fake = &fake;
        async move {
            get(
                fake,
                "/v27.0/dialog/oauth",
                &[
                    ("client_id", APP_ID),
                    ("redirect_uri", redirect_uri),
                    ("state", "s1"),
                ],
            )
            .await
        }
    };
    // Registered, but http: a Live app refuses it.
    let reply = dialog(REDIRECT_URI).await;
    assert_eq!(reply.status, 400);
    assert!(
        reply.body.contains("Insecure Login Blocked"),
        "{}",
        reply.body
    );
    // https, but not registered exactly.
    let reply = dialog("https://crm.example/meta/relay/").await;
    assert_eq!(reply.status, 400);
    assert!(reply.body.contains("URL Blocked"), "{}", reply.body);
    // The registered relay gets the code.
    let reply = dialog(RELAY).await;
    assert_eq!(reply.status, 302, "{}", reply.body);
    assert!(
        reply
            .header("location")
            .unwrap()
            .starts_with(&format!("{RELAY}?code="))
    );
}

#[tokio::test]
async fn pages_give_page_tokens_that_install_the_app_for_leadgen() {
    let mut world = World::demo(1, 1);
    world
        .pages
        .get_mut(fake_meta::DEMO_PAGE_ID)
        .unwrap()
        .lead_access_denied
        .insert("10002".into());
    let fake = FakeMeta::start(world).await.unwrap();
    let all = [
        "pages_show_list",
        "pages_manage_metadata",
        "pages_read_engagement",
        "leads_retrieval",
    ];
    let user = fake.world().issue_token(USER, "USER", None, &all);
    let page = fake_meta::DEMO_PAGE_ID;

    let reply = graph(&fake, "GET", "/v27.0/me/accounts", &user).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let entry = reply.json()["data"][0].clone();
    assert_eq!(entry["id"], json!(page));
    assert!(strings(&entry["tasks"]).contains(&"ADVERTISE".to_owned()));
    let page_token = entry["access_token"].as_str().unwrap().to_owned();
    assert_eq!(fake.world().tokens[&page_token].kind, "PAGE");

    // The edge wants the Page's own token, signed with a proof of it.
    let edge = format!("/v27.0/{page}/subscribed_apps");
    let reply = graph(&fake, "GET", &edge, &user).await;
    assert_eq!(reply.error()["code"], json!(210));
    let reply = graph(&fake, "GET", &edge, &page_token).await;
    assert_eq!(reply.json()["data"], json!([]));
    let post = format!("{edge}?subscribed_fields=leadgen");
    let target = format!(
        "{post}&{}",
        query(&[
            ("access_token", &page_token),
            ("appsecret_proof", &proof(&page_token))
        ])
    );
    let reply = send(fake.addr, "POST", &target, None).await;
    assert_eq!(reply.json(), json!({ "success": true }));
    let reply = graph(&fake, "GET", &edge, &page_token).await;
    assert_eq!(
        reply.json()["data"][0]["subscribed_fields"],
        json!(["leadgen"])
    );

    // Lead access, by user.
    let lead_access = |user_id: &str| {
        let target = format!(
            "/v27.0/{page}?{}",
            query(&[
                ("fields", &format!("has_lead_access.user_id({user_id})")),
                ("access_token", &page_token),
                ("appsecret_proof", &proof(&page_token)),
            ])
        );
        let addr = fake.addr;
        async move { send(addr, "GET", &target, None).await }
    };
    let reply = lead_access(USER).await;
    assert_eq!(
        reply.json()["has_lead_access"]["can_access_lead"],
        json!(true)
    );
    let reply = lead_access("10002").await;
    assert_eq!(
        reply.json()["has_lead_access"]["can_access_lead"],
        json!(false)
    );

    // The app's own subscriptions need the app token.
    let reply = get(
        &fake,
        &format!("/v27.0/{APP_ID}/subscriptions"),
        &[("access_token", &format!("{APP_ID}|{APP_SECRET}"))],
    )
    .await;
    assert_eq!(reply.json()["data"][0]["object"], json!("page"));
    assert_eq!(
        reply.json()["data"][0]["fields"][0]["name"],
        json!("leadgen")
    );
    let reply = graph(
        &fake,
        "GET",
        &format!("/v27.0/{APP_ID}/subscriptions"),
        &user,
    )
    .await;
    assert_eq!(reply.error()["code"], json!(190));

    // DELETE uninstalls; revoking the user kills the Page token with it.
    let target = format!(
        "{edge}?{}",
        query(&[
            ("access_token", &page_token),
            ("appsecret_proof", &proof(&page_token))
        ])
    );
    assert_eq!(
        send(fake.addr, "DELETE", &target, None).await.json(),
        json!({ "success": true })
    );
    assert!(fake.world().pages[page].subscribed_apps.is_empty());
    graph(&fake, "DELETE", "/v27.0/me/permissions", &user).await;
    let reply = graph(&fake, "GET", &edge, &page_token).await;
    assert_eq!(reply.error()["code"], json!(190));

    // Without pages_show_list there is no Page list.
    let narrow = fake.world().issue_token(USER, "USER", None, &["ads_read"]);
    let reply = graph(&fake, "GET", "/v27.0/me/accounts", &narrow).await;
    assert_eq!(reply.error()["code"], json!(200));
}
