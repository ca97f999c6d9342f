//! The one Graph API client every command uses.
//!
//! It signs user-token calls with `appsecret_proof`, parses Meta's typed
//! errors, retries transient failures of idempotent calls with jittered
//! backoff, waits out rate limits within a bound, honours the usage headers,
//! times out every request, never follows redirects, and scrubs tokens,
//! secrets and codes from anything it reports.

mod error;
mod types;
mod usage;
pub mod versions;

use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::Sha256;
use tracing::{debug, warn};

pub use error::{ApiError, GraphError};
pub use types::*;
pub use usage::UsageGovernor;

use crate::settings::{GraphEndpoints, MetaApp};

/// Items per Graph batch request (Meta's limit).
pub const MAX_BATCH: usize = 50;
/// Page size asked of list edges (Meta caps it; the end is the missing `next`).
pub const PAGE_LIMIT: u32 = 100;
/// A loop guard: no edge this tool reads has more pages than this.
const MAX_PAGES: usize = 10_000;
/// How much of a non-JSON body an error quotes.
const SNIPPET_CHARS: usize = 120;

/// Retry and timeout bounds.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts per request, the first included.
    pub max_attempts: u32,
    /// First backoff for transient failures; doubles per attempt, full jitter.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// First wait after a rate-limit error; doubles per attempt.
    pub rate_limit_backoff: Duration,
    /// Total time one request may spend waiting out rate limits.
    pub max_rate_limit_wait: Duration,
    /// Timeout of each HTTP request.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            rate_limit_backoff: Duration::from_secs(1),
            max_rate_limit_wait: Duration::from_secs(120),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// Which token a call carries.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// A user or system-user token, signed with `appsecret_proof`.
    User(&'a SecretString),
    /// The app token `APP_ID|APP_SECRET` (for `debug_token`).
    App,
    /// No token (the OAuth code and token exchanges carry the secret themselves).
    None,
}

/// A Graph API client bound to one app, one base URL and one version.
#[derive(Clone)]
pub struct GraphClient {
    http: reqwest::Client,
    endpoints: GraphEndpoints,
    app: MetaApp,
    policy: RetryPolicy,
    usage: Arc<UsageGovernor>,
}

impl std::fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphClient")
            .field("endpoints", &self.endpoints)
            .field("app", &self.app)
            .finish()
    }
}

/// `appsecret_proof`: hex HMAC-SHA256 of the token keyed by the app secret.
pub fn appsecret_proof(secret: &SecretString, token: &SecretString) -> String {
    // HMAC accepts keys of any length; new_from_slice cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
        return String::new();
    };
    mac.update(token.expose_secret().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// One request, described well enough to send it again.
struct Call<'a> {
    method: Method,
    path: &'a str,
    query: Vec<(String, String)>,
    form: Option<Vec<(String, String)>>,
    auth: Auth<'a>,
    /// Whether sending it twice is harmless. Code exchanges are not: a code works once.
    idempotent: bool,
    /// Secrets this call carries beyond the token and app secret (a code).
    extra_secrets: Vec<&'a str>,
}

impl GraphClient {
    pub fn new(
        endpoints: GraphEndpoints,
        app: MetaApp,
        policy: RetryPolicy,
    ) -> Result<Self, GraphError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(policy.request_timeout)
            .connect_timeout(policy.request_timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("crm-meta/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GraphError::Transport(e.without_url().to_string()))?;
        Ok(Self {
            http,
            endpoints,
            app,
            policy,
            usage: Arc::new(UsageGovernor::default()),
        })
    }

    pub fn app_id(&self) -> &str {
        &self.app.id
    }

    /// Where this client sends calls (and where the OAuth dialog lives).
    pub fn endpoints(&self) -> &GraphEndpoints {
        &self.endpoints
    }

    pub fn version(&self) -> &str {
        &self.endpoints.version
    }

    pub fn usage(&self) -> &UsageGovernor {
        &self.usage
    }

    fn url(&self, path: &str) -> String {
        let base = self.endpoints.graph_url.as_str().trim_end_matches('/');
        format!(
            "{base}/{}/{}",
            self.endpoints.version,
            path.trim_start_matches('/')
        )
    }

    /// `GET path` with a user token.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
        token: &SecretString,
    ) -> Result<T, GraphError> {
        let value = self
            .execute(self.call(Method::GET, path, query, Auth::User(token)))
            .await?;
        decode(path, value)
    }

    fn call<'a>(
        &self,
        method: Method,
        path: &'a str,
        query: &[(&str, &str)],
        auth: Auth<'a>,
    ) -> Call<'a> {
        Call {
            idempotent: method == Method::GET,
            method,
            path,
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            form: None,
            auth,
            extra_secrets: Vec::new(),
        }
    }

    /// Every item of a list edge, following `paging.next` until it is absent.
    pub async fn get_all<T: DeserializeOwned>(
        &self,
        path: &str,
        fields: &str,
        token: &SecretString,
    ) -> Result<Vec<T>, GraphError> {
        let limit = PAGE_LIMIT.to_string();
        let mut items = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("fields", fields), ("limit", limit.as_str())];
            if let Some(cursor) = after.as_deref() {
                query.push(("after", cursor));
            }
            let page: Page<T> = self.get(path, &query, token).await?;
            items.extend(page.data);
            let Some(paging) = page.paging else { break };
            let Some(next) = paging.next else { break };
            let cursor = paging
                .cursors
                .and_then(|c| c.after)
                .or_else(|| cursor_from_next(&next));
            match cursor {
                Some(cursor) if after.as_deref() != Some(cursor.as_str()) => after = Some(cursor),
                _ => {
                    return Err(GraphError::Unexpected {
                        endpoint: path.to_owned(),
                        detail: "a `next` page without a new cursor".into(),
                    });
                }
            }
        }
        Ok(items)
    }

    /// Exchanges an OAuth code for a short-lived token. Not retried after the
    /// request was sent: a code works once.
    pub async fn exchange_code(
        &self,
        code: &SecretString,
        redirect_uri: &str,
        code_verifier: Option<&SecretString>,
    ) -> Result<TokenGrant, GraphError> {
        let mut query = vec![
            ("client_id".to_owned(), self.app.id.clone()),
            ("redirect_uri".to_owned(), redirect_uri.to_owned()),
            (
                "client_secret".to_owned(),
                self.app.secret.expose_secret().to_owned(),
            ),
            ("code".to_owned(), code.expose_secret().to_owned()),
        ];
        let mut extra: Vec<&str> = vec![code.expose_secret()];
        if let Some(verifier) = code_verifier {
            query.push((
                "code_verifier".to_owned(),
                verifier.expose_secret().to_owned(),
            ));
            extra.push(verifier.expose_secret());
        }
        let call = Call {
            method: Method::GET,
            path: "oauth/access_token",
            query,
            form: None,
            auth: Auth::None,
            idempotent: false,
            extra_secrets: extra,
        };
        decode("oauth/access_token", self.execute(call).await?)
    }

    /// Exchanges a (short- or long-lived) user token for a long-lived one.
    pub async fn long_lived_token(&self, token: &SecretString) -> Result<TokenGrant, GraphError> {
        let call = Call {
            method: Method::GET,
            path: "oauth/access_token",
            query: vec![
                ("grant_type".to_owned(), "fb_exchange_token".to_owned()),
                ("client_id".to_owned(), self.app.id.clone()),
                (
                    "client_secret".to_owned(),
                    self.app.secret.expose_secret().to_owned(),
                ),
                (
                    "fb_exchange_token".to_owned(),
                    token.expose_secret().to_owned(),
                ),
            ],
            form: None,
            auth: Auth::None,
            idempotent: true,
            extra_secrets: vec![token.expose_secret()],
        };
        decode("oauth/access_token", self.execute(call).await?)
    }

    /// Meta's view of a token, asked with the app token.
    pub async fn debug_token(&self, token: &SecretString) -> Result<DebugToken, GraphError> {
        let mut call = self.call(Method::GET, "debug_token", &[], Auth::App);
        call.query
            .push(("input_token".to_owned(), token.expose_secret().to_owned()));
        call.extra_secrets.push(token.expose_secret());
        let value = self.execute(call).await?;
        let data = value.get("data").cloned().unwrap_or(Value::Null);
        decode("debug_token", data)
    }

    /// `debug_token` for up to [`MAX_BATCH`] tokens in one Graph batch request.
    ///
    /// The outer error is the batch failing as a whole (after the client's
    /// own retries); each item has its own result. Items Meta answers with
    /// `null` (it does, under load) come back as a retryable transport error.
    pub async fn debug_tokens(
        &self,
        tokens: &[&SecretString],
    ) -> Result<Vec<Result<DebugToken, GraphError>>, GraphError> {
        let batch: Vec<Value> = tokens
            .iter()
            .map(|token| {
                let query = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("input_token", token.expose_secret())
                    .finish();
                serde_json::json!({ "method": "GET", "relative_url": format!("debug_token?{query}") })
            })
            .collect();
        let call = Call {
            method: Method::POST,
            path: "",
            query: Vec::new(),
            form: Some(vec![
                (
                    "access_token".to_owned(),
                    format!("{}|{}", self.app.id, self.app.secret.expose_secret()),
                ),
                ("include_headers".to_owned(), "false".to_owned()),
                ("batch".to_owned(), Value::Array(batch).to_string()),
            ]),
            auth: Auth::None,
            // Reading token metadata twice is harmless.
            idempotent: true,
            extra_secrets: tokens.iter().map(|t| t.expose_secret()).collect(),
        };
        let answer = self.execute(call).await?;
        let items = answer.as_array().ok_or_else(|| GraphError::Unexpected {
            endpoint: "batch".into(),
            detail: "the answer is not an array".into(),
        })?;
        if items.len() != tokens.len() {
            return Err(GraphError::Unexpected {
                endpoint: "batch".into(),
                detail: format!("{} answers for {} requests", items.len(), tokens.len()),
            });
        }
        Ok(items
            .iter()
            .map(|item| parse_batch_item(item, tokens))
            .collect())
    }

    /// The retry and timeout bounds this client follows.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// `GET /me`.
    pub async fn me(&self, token: &SecretString) -> Result<Me, GraphError> {
        self.get("me", &[("fields", "id,name")], token).await
    }

    /// `DELETE /me/permissions`: revokes the app for the token's user.
    pub async fn revoke_permissions(&self, token: &SecretString) -> Result<(), GraphError> {
        let mut call = self.call(Method::DELETE, "me/permissions", &[], Auth::User(token));
        // Revoking twice is harmless: a retry after a lost answer only meets an invalid token.
        call.idempotent = true;
        let value = self.execute(call).await?;
        let ok = value.as_bool() == Some(true)
            || value.get("success").and_then(Value::as_bool) == Some(true);
        if ok {
            Ok(())
        } else {
            Err(GraphError::Unexpected {
                endpoint: "me/permissions".into(),
                detail: "revocation did not answer success".into(),
            })
        }
    }

    /// Sends a call, with retries and rate-limit waits as the policy allows.
    ///
    /// Transient failures are retried up to `max_attempts` with jittered
    /// exponential backoff. Rate-limit errors are bounded by time instead: the
    /// shared governor pauses every request until the block should be over,
    /// and once the total pause would pass `max_rate_limit_wait` the call
    /// gives up with [`GraphError::RateLimited`].
    async fn execute(&self, call: Call<'_>) -> Result<Value, GraphError> {
        let started = Instant::now();
        let mut paused = Duration::ZERO;
        let mut failures = 0;
        let mut rate_limits = 0;
        let mut last_rate_limit: Option<Box<ApiError>> = None;
        loop {
            let pause = self.usage.pause();
            if !pause.is_zero() {
                if paused + pause > self.policy.max_rate_limit_wait {
                    let api = last_rate_limit
                        .unwrap_or_else(|| Box::new(usage_exhausted(self.usage.percent())));
                    return Err(GraphError::RateLimited(api));
                }
                debug!(
                    pause_ms = pause.as_millis() as u64,
                    "pausing for Meta's rate limits"
                );
                paused += pause;
                tokio::time::sleep(pause).await;
            }
            let error = match self.send_once(&call).await {
                Ok(value) => return Ok(value),
                Err((error, sent)) => {
                    // A call that is not idempotent is sent again only if it never left.
                    let may_resend = call.idempotent || !sent;
                    if !may_resend || !error.is_retryable() {
                        return Err(self.give_up(error));
                    }
                    error
                }
            };
            let backoff = match error.api() {
                Some(api) if api.is_rate_limit() => {
                    rate_limits += 1;
                    let wait = jitter(
                        self.policy.rate_limit_backoff * 2u32.saturating_pow(rate_limits - 1),
                        self.policy.max_backoff * 3,
                    );
                    // The governor makes every request of this client wait, not only this one.
                    self.usage.blocked_for(wait);
                    last_rate_limit = Some(Box::new(api.clone()));
                    Duration::ZERO
                }
                _ => {
                    failures += 1;
                    if failures >= self.policy.max_attempts {
                        return Err(self.give_up(error));
                    }
                    jitter(
                        self.policy.base_backoff * 2u32.saturating_pow(failures - 1),
                        self.policy.max_backoff,
                    )
                }
            };
            warn!(
                path = call.path,
                failures,
                rate_limits,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "retrying after: {error}"
            );
            tokio::time::sleep(backoff).await;
        }
    }

    fn give_up(&self, error: GraphError) -> GraphError {
        match error {
            GraphError::Api(api) if api.is_rate_limit() => GraphError::RateLimited(api),
            other => other,
        }
    }

    /// One HTTP exchange. On error, also says whether the request may have
    /// reached Meta (a refused connection did not).
    async fn send_once(&self, call: &Call<'_>) -> Result<Value, (GraphError, bool)> {
        let mut query = call.query.clone();
        match call.auth {
            Auth::User(token) => {
                query.push(("access_token".to_owned(), token.expose_secret().to_owned()));
                query.push((
                    "appsecret_proof".to_owned(),
                    appsecret_proof(&self.app.secret, token),
                ));
            }
            Auth::App => query.push((
                "access_token".to_owned(),
                format!("{}|{}", self.app.id, self.app.secret.expose_secret()),
            )),
            Auth::None => {}
        }
        let mut request = self
            .http
            .request(call.method.clone(), self.url(call.path))
            .query(&query);
        if let Some(form) = &call.form {
            request = request.form(form);
        }
        let started = Instant::now();
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                let sent = !e.is_connect();
                let error = if e.is_timeout() {
                    GraphError::Timeout(self.policy.request_timeout)
                } else {
                    GraphError::Transport(self.scrub(&describe_reqwest(&e), call))
                };
                return Err((error, sent));
            }
        };
        let status = response.status();
        self.usage.observe(response.headers());
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(e) if e.is_timeout() => {
                return Err((GraphError::Timeout(self.policy.request_timeout), true));
            }
            Err(e) => {
                return Err((
                    GraphError::Transport(self.scrub(&describe_reqwest(&e), call)),
                    true,
                ));
            }
        };
        debug!(
            method = %call.method,
            path = call.path,
            status = status.as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "graph call"
        );
        self.interpret(call, status, &content_type, &body)
            .map_err(|e| (e, true))
    }

    fn interpret(
        &self,
        call: &Call<'_>,
        status: StatusCode,
        content_type: &str,
        body: &[u8],
    ) -> Result<Value, GraphError> {
        if let Some(mut api) = ApiError::parse(status.as_u16(), body) {
            api.clean();
            api.message = self.scrub(&api.message, call);
            api.user_message = api.user_message.map(|m| self.scrub(&m, call));
            return Err(GraphError::Api(Box::new(api)));
        }
        if status.is_redirection() {
            return Err(GraphError::NotJson {
                status: status.as_u16(),
                what: "a redirect".into(),
                snippet: String::new(),
            });
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(mut value) if status.is_success() => {
                // Names and messages from Meta reach terminals and CSV files.
                crate::text::clean_json(&mut value);
                Ok(value)
            }
            Ok(_) => Err(GraphError::NotJson {
                status: status.as_u16(),
                what: "JSON that is not an error".into(),
                snippet: self.snippet(body, call),
            }),
            Err(e) => {
                let what =
                    if content_type.contains("html") || body.trim_ascii_start().starts_with(b"<") {
                        "an HTML page".to_owned()
                    } else if body.is_empty() {
                        "an empty body".to_owned()
                    } else if e.is_eof() {
                        "truncated JSON".to_owned()
                    } else {
                        "a body that is not JSON".to_owned()
                    };
                Err(GraphError::NotJson {
                    status: status.as_u16(),
                    what,
                    snippet: self.snippet(body, call),
                })
            }
        }
    }

    fn snippet(&self, body: &[u8], call: &Call<'_>) -> String {
        let text: String = String::from_utf8_lossy(body)
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(SNIPPET_CHARS)
            .collect();
        self.scrub(text.trim(), call)
    }

    /// Removes every secret this call carries from a text meant for people.
    fn scrub(&self, text: &str, call: &Call<'_>) -> String {
        let mut secrets: Vec<&str> = vec![self.app.secret.expose_secret()];
        if let Auth::User(token) = call.auth {
            secrets.push(token.expose_secret());
        }
        secrets.extend(call.extra_secrets.iter().copied());
        let mut text = text.to_owned();
        for secret in secrets.into_iter().filter(|s| s.len() >= 4) {
            text = text.replace(secret, "[redacted]");
        }
        text
    }
}

/// One item of a batch answer, `{"code", "headers", "body": "<JSON>"}` or
/// `null`, as a `debug_token` result. Tokens are scrubbed from any message.
pub fn parse_batch_item(item: &Value, tokens: &[&SecretString]) -> Result<DebugToken, GraphError> {
    if item.is_null() {
        return Err(GraphError::Transport(
            "Meta left this batch item unanswered".into(),
        ));
    }
    let code = item.get("code").and_then(Value::as_u64).unwrap_or(0) as u16;
    let body = item.get("body").and_then(Value::as_str).unwrap_or_default();
    if let Some(mut api) = ApiError::parse(code, body.as_bytes()) {
        api.clean();
        for token in tokens {
            api.message = api.message.replace(token.expose_secret(), "[redacted]");
            api.user_message = api
                .user_message
                .map(|m| m.replace(token.expose_secret(), "[redacted]"));
        }
        return Err(GraphError::Api(Box::new(api)));
    }
    let mut value: Value = serde_json::from_str(body).map_err(|e| GraphError::Unexpected {
        endpoint: "batch item".into(),
        detail: e.to_string(),
    })?;
    crate::text::clean_json(&mut value);
    decode(
        "debug_token",
        value.get("data").cloned().unwrap_or(Value::Null),
    )
}

/// The error reported when usage headers alone kept a call waiting too long.
fn usage_exhausted(percent: f64) -> ApiError {
    ApiError {
        http_status: 0,
        message: format!("the usage headers report {percent:.0}% of the app's budget used"),
        error_type: None,
        code: 4,
        subcode: None,
        user_title: None,
        user_message: None,
        fbtrace_id: None,
        is_transient: false,
    }
}

fn decode<T: DeserializeOwned>(endpoint: &str, value: Value) -> Result<T, GraphError> {
    serde_json::from_value(value).map_err(|e| GraphError::Unexpected {
        endpoint: endpoint.to_owned(),
        detail: e.to_string(),
    })
}

/// reqwest's error text without the URL (which carries tokens in its query).
fn describe_reqwest(e: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(cause) = source {
        text = cause.to_string();
        source = cause.source();
    }
    if text.is_empty() {
        text = if e.is_connect() {
            "connection failed".into()
        } else {
            "request failed".into()
        };
    }
    text
}

fn cursor_from_next(next: &str) -> Option<String> {
    url::Url::parse(next)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.into_owned())
}

/// Full jitter: a random wait in [base/2, base], capped.
fn jitter(base: Duration, cap: Duration) -> Duration {
    let base = base.min(cap);
    let r = u32::from_le_bytes(crate::crypto::random_bytes::<4>()) as f64 / u32::MAX as f64;
    base.mul_f64(0.5 + r * 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appsecret_proof_matches_known_hmac() {
        // HMAC-SHA256(key="secret", msg="token"), computed independently with Python's hmac.
        let proof = appsecret_proof(
            &SecretString::from("secret".to_owned()),
            &SecretString::from("token".to_owned()),
        );
        assert_eq!(
            proof,
            "e941110e3d2bfe82621f0e3e1434730d7305d106c5f68c87165d0b27a4611a4a"
        );
    }

    #[test]
    fn cursor_is_read_from_next_links() {
        assert_eq!(
            cursor_from_next("https://graph.facebook.com/v25.0/me/adaccounts?limit=100&after=QVFI")
                .as_deref(),
            Some("QVFI")
        );
        assert_eq!(cursor_from_next("not a url"), None);
    }

    #[test]
    fn jitter_stays_within_bounds() {
        for _ in 0..100 {
            let j = jitter(Duration::from_millis(100), Duration::from_secs(1));
            assert!(j >= Duration::from_millis(50) && j <= Duration::from_millis(100));
        }
        assert!(jitter(Duration::from_secs(100), Duration::from_secs(1)) <= Duration::from_secs(1));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn arbitrary_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            "[ -~]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof!["error", "code", "message", "data", "body", "[a-z]{1,6}"],
                    inner,
                    0..4
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn error_envelopes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..200), status in 100u16..600) {
            let _ = ApiError::parse(status, &body);
        }

        #[test]
        fn json_of_any_shape_is_an_error_or_not(value in arbitrary_json(), status in 100u16..600) {
            let body = value.to_string();
            if let Some(error) = ApiError::parse(status, body.as_bytes()) {
                prop_assert!(value.get("error").is_some());
                prop_assert_eq!(error.http_status, status);
            }
        }

        /// A batch item of any shape: no panic, and the token never in an error.
        #[test]
        fn batch_items_never_panic_or_leak(item in arbitrary_json(), message in "[ -~]{0,20}") {
            let token = SecretString::from("EAAsecretTOKEN".to_owned());
            let _ = parse_batch_item(&item, &[&token]);
            let leaky = json!({"code": 400, "body": json!({"error": {
                "code": 190,
                "message": format!("{message} EAAsecretTOKEN"),
                "error_user_msg": format!("EAAsecretTOKEN {message}"),
            }}).to_string()});
            let error = parse_batch_item(&leaky, &[&token]).err().map(|e| e.to_string()).unwrap_or_default();
            prop_assert!(!error.contains("EAAsecretTOKEN"));
        }
    }
}
