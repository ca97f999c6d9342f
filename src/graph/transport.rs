//! Sending Graph calls: HTTP with a timeout and no redirects,
//! `appsecret_proof` on user-token calls, jittered retries of transient
//! failures, bounded waits on rate limits and usage headers, Meta's error
//! envelope parsed, and every secret a call carries scrubbed from what it
//! reports.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::Sha256;
use tracing::{debug, warn};

use super::{ApiError, GraphError, SNIPPET_CHARS, UsageGovernor};
use crate::settings::{GraphEndpoints, MetaApp};

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
    pub(super) http: reqwest::Client,
    pub(super) endpoints: GraphEndpoints,
    pub(super) app: MetaApp,
    pub(super) policy: RetryPolicy,
    pub(super) usage: Arc<UsageGovernor>,
    /// Set once when Meta warns that the version has ended on a clock.
    pub(super) version_notice: Arc<std::sync::OnceLock<String>>,
    /// Meta's clock minus ours, from the `Date` header of the last answer.
    pub(super) clock_offset: Arc<std::sync::Mutex<Option<chrono::Duration>>>,
    /// HTTP requests sent (retries included), for `crm_meta_graph_requests_total`.
    pub(super) requests_sent: Arc<std::sync::atomic::AtomicU64>,
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
pub(super) struct Call<'a> {
    pub(super) method: Method,
    pub(super) path: &'a str,
    pub(super) query: Vec<(String, String)>,
    pub(super) form: Option<Vec<(String, String)>>,
    pub(super) auth: Auth<'a>,
    /// Whether sending it twice is harmless. Code exchanges are not: a code works once.
    pub(super) idempotent: bool,
    /// Secrets this call carries beyond the token and app secret (a code).
    pub(super) extra_secrets: Vec<&'a str>,
    /// Calls to Meta this request makes, already reserved under the
    /// `--max-usage` ceiling by the caller (a batch's items); 0: one call,
    /// reserved here.
    pub(super) reserved_calls: u64,
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
            version_notice: Arc::default(),
            clock_offset: Arc::default(),
            requests_sent: Arc::default(),
        })
    }

    /// HTTP requests this client (and its clones) sent so far.
    pub fn requests_sent(&self) -> u64 {
        self.requests_sent.load(Ordering::Relaxed)
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

    /// Records Meta's version warning where the caller can read it after
    /// this client is gone.
    pub fn with_version_notice(mut self, sink: Arc<std::sync::OnceLock<String>>) -> Self {
        self.version_notice = sink;
        self
    }

    /// How far Meta's clock is ahead of this machine's (negative: behind),
    /// from the `Date` header of the last answer; `None` before any answer.
    /// Whole seconds only: the header has no finer resolution.
    pub fn clock_offset(&self) -> Option<chrono::Duration> {
        self.clock_offset.lock().ok().and_then(|o| *o)
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

    /// The retry and timeout bounds this client follows.
    pub fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    pub(super) fn call<'a>(
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
            reserved_calls: 0,
        }
    }

    /// Sends a call, with retries and rate-limit waits as the policy allows.
    ///
    /// Transient failures are retried up to `max_attempts` with jittered
    /// exponential backoff. Rate-limit errors are bounded by time instead: the
    /// shared governor pauses every request until the block should be over,
    /// and once the total pause would pass `max_rate_limit_wait` the call
    /// gives up with [`GraphError::RateLimited`].
    pub(super) async fn execute(&self, call: Call<'_>) -> Result<Value, GraphError> {
        if call.reserved_calls > 0 {
            return self.execute_reserved(call).await;
        }
        // One call: under a --max-usage ceiling it waits its turn like a batch item.
        let grant = match self.usage.reserve(1).await {
            Ok(grant) => grant,
            Err(reached) => {
                return Err(GraphError::RateLimited(Box::new(
                    super::endpoints::ceiling_reached(reached),
                )));
            }
        };
        let result = self.execute_reserved(call).await;
        self.usage.settle(grant);
        result
    }

    async fn execute_reserved(&self, call: Call<'_>) -> Result<Value, GraphError> {
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
        // Sent order: an answer to an older request carries older usage.
        let sent_as = self.requests_sent.fetch_add(1, Ordering::SeqCst);
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
        let order = super::usage::AnswerOrder {
            sent_as,
            answered_at: self.requests_sent.load(Ordering::SeqCst),
        };
        self.usage.observe_answer(order, response.headers());
        if let Some(date) = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
            && let Ok(mut offset) = self.clock_offset.lock()
        {
            *offset = Some(date.with_timezone(&chrono::Utc) - chrono::Utc::now());
        }
        if let Some(warning) = response.headers().get("x-ad-api-version-warning") {
            // Meta served a version that has ended on this call's clock from a newer one.
            let clock = super::versions::Clock::of_path(call.path);
            let said = crate::text::clean_line(warning.to_str().unwrap_or_default()).into_owned();
            self.version_notice.get_or_init(|| {
                format!(
                    "Meta answered a {} call for {} from a newer version (\"{said}\"): {} has ended for {} calls. Set META_GRAPH_API_VERSION={}.",
                    clock.name(),
                    self.endpoints.version,
                    self.endpoints.version,
                    super::versions::what_fails(clock),
                    super::versions::NEWEST
                )
            });
        }
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

/// The error reported when usage headers alone kept a call waiting too long.
fn usage_exhausted(percent: f64) -> ApiError {
    ApiError::own_rate_limit(format!(
        "the usage headers report {percent:.0}% of the app's budget used"
    ))
}

pub(super) fn decode<T: DeserializeOwned>(endpoint: &str, value: Value) -> Result<T, GraphError> {
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
    fn jitter_stays_within_bounds() {
        for _ in 0..100 {
            let j = jitter(Duration::from_millis(100), Duration::from_secs(1));
            assert!(j >= Duration::from_millis(50) && j <= Duration::from_millis(100));
        }
        assert!(jitter(Duration::from_secs(100), Duration::from_secs(1)) <= Duration::from_secs(1));
    }
}
