//! Meta's typed errors, and what each means for the caller.

use std::time::Duration;

use serde::Deserialize;

/// Why a Graph call failed. Messages never contain tokens, secrets or codes:
/// the client scrubs them before building an error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GraphError {
    /// Meta answered with its error shape.
    #[error("{}", describe_api(.0))]
    Api(Box<ApiError>),
    /// No answer: connection refused or reset, DNS, TLS.
    #[error("could not reach Meta: {0}")]
    Transport(String),
    /// No answer within the request timeout.
    #[error("Meta did not answer within {0:?}")]
    Timeout(Duration),
    /// An answer that is not Meta's JSON (an HTML error page, a proxy, a truncated body).
    #[error("Meta answered HTTP {status} with {what} instead of JSON{}", snippet_suffix(.snippet))]
    NotJson {
        status: u16,
        what: String,
        snippet: String,
    },
    /// JSON of an unexpected shape.
    #[error("Meta's answer to {endpoint} was not understood: {detail}")]
    Unexpected { endpoint: String, detail: String },
    /// Rate limiting lasted longer than we are willing to wait.
    #[error("Meta is rate limiting this app ({}); waited as long as allowed, try again later", describe_api(.0))]
    RateLimited(Box<ApiError>),
}

fn snippet_suffix(snippet: &str) -> String {
    if snippet.is_empty() {
        String::new()
    } else {
        format!(": {snippet}")
    }
}

fn describe_api(e: &ApiError) -> String {
    let mut text = format!("Meta error {}", e.code);
    if let Some(sub) = e.subcode {
        text.push_str(&format!("/{sub}"));
    }
    text.push_str(&format!(": {}", e.message));
    if let Some(msg) = &e.user_message {
        text.push_str(&format!(" ({msg})"));
    }
    if let Some(trace) = &e.fbtrace_id {
        text.push_str(&format!(" [fbtrace_id {trace}]"));
    }
    if e.is_deprecated_version() {
        text.push_str(&format!(
            ". The configured version has ended on the Marketing API clock: set META_GRAPH_API_VERSION={}",
            super::versions::NEWEST
        ));
    }
    text
}

/// The body of `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    #[serde(skip)]
    pub http_status: u16,
    #[serde(default)]
    pub message: String,
    #[serde(rename = "type", default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub code: i64,
    #[serde(rename = "error_subcode", default)]
    pub subcode: Option<i64>,
    #[serde(rename = "error_user_title", default)]
    pub user_title: Option<String>,
    #[serde(rename = "error_user_msg", default)]
    pub user_message: Option<String>,
    #[serde(default)]
    pub fbtrace_id: Option<String>,
    #[serde(default)]
    pub is_transient: bool,
}

#[derive(Deserialize)]
struct Envelope {
    error: ApiError,
}

impl ApiError {
    /// A rate limit this client decided on itself (no answer from Meta):
    /// Meta's code 4, the app's request limit, so it is handled like one.
    pub(super) fn own_rate_limit(message: String) -> Self {
        Self {
            http_status: 0,
            message,
            error_type: None,
            code: 4,
            subcode: None,
            user_title: None,
            user_message: None,
            fbtrace_id: None,
            is_transient: false,
        }
    }

    /// Parses Meta's error envelope, if `body` is one.
    pub fn parse(http_status: u16, body: &[u8]) -> Option<Self> {
        // Only an object is an envelope: serde would also read a struct from
        // a one-element array, such as a batch answer.
        if body.trim_ascii_start().first() != Some(&b'{') {
            return None;
        }
        let mut error = serde_json::from_slice::<Envelope>(body).ok()?.error;
        error.http_status = http_status;
        Some(error)
    }

    /// Removes control characters from Meta's texts, which reach terminals.
    pub fn clean(&mut self) {
        for text in [
            Some(&mut self.message),
            self.user_message.as_mut(),
            self.user_title.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            *text = crate::text::clean_line(text).into_owned();
        }
    }

    /// Rate limiting: app (4), user (17), pages (32), custom (613), business use case (80000–80014).
    pub fn is_rate_limit(&self) -> bool {
        matches!(self.code, 4 | 17 | 32 | 613 | 80_000..=80_014)
    }

    /// Worth retrying as is: Meta's temporary codes, its own flag, or a 5xx.
    pub fn is_transient(&self) -> bool {
        self.is_transient || matches!(self.code, 1 | 2) || self.http_status >= 500
    }

    /// The Ads API refused an ended version (#2635).
    pub fn is_deprecated_version(&self) -> bool {
        self.code == 2635
    }

    /// The token itself is the problem (190): expired, revoked, invalid.
    pub fn is_token_problem(&self) -> bool {
        self.code == 190 || self.code == 102
    }

    /// Subcode 463 means the token expired rather than died.
    pub fn is_expired_token(&self) -> bool {
        self.is_token_problem() && self.subcode == Some(463)
    }

    /// A permission the token lacks (10, 200–299).
    pub fn is_permission(&self) -> bool {
        self.code == 10 || (200..=299).contains(&self.code)
    }
}

impl GraphError {
    /// The Meta error, when Meta gave one.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            GraphError::Api(e) => Some(e),
            GraphError::RateLimited(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the same request may succeed if sent again.
    pub fn is_retryable(&self) -> bool {
        match self {
            GraphError::Api(e) => e.is_transient() || e.is_rate_limit(),
            GraphError::Transport(_) | GraphError::Timeout(_) => true,
            GraphError::NotJson { status, .. } => *status >= 500 || *status == 429,
            GraphError::Unexpected { .. } | GraphError::RateLimited(_) => false,
        }
    }

    /// Whether Meta could not be asked at all (as opposed to answering "no").
    pub fn is_unreachable(&self) -> bool {
        match self {
            GraphError::Transport(_) | GraphError::Timeout(_) | GraphError::RateLimited(_) => true,
            GraphError::NotJson { status, .. } => *status >= 500 || *status == 429,
            GraphError::Api(e) => e.is_transient() || e.is_rate_limit(),
            GraphError::Unexpected { .. } => false,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            GraphError::Api(e) if e.is_token_problem() => "meta_token",
            GraphError::Api(e) if e.is_permission() => "meta_permission",
            GraphError::Api(e) if e.is_deprecated_version() => "meta_version_ended",
            GraphError::Api(_) => "meta_error",
            GraphError::Transport(_) | GraphError::Timeout(_) => "meta_unreachable",
            GraphError::NotJson { .. } | GraphError::Unexpected { .. } => "meta_bad_answer",
            GraphError::RateLimited(_) => "meta_rate_limited",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_meta_error_shape() {
        let body = br#"{"error":{"message":"Error validating access token: Session has expired","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AbC","is_transient":false}}"#;
        let e = ApiError::parse(400, body).unwrap();
        assert_eq!((e.code, e.subcode), (190, Some(463)));
        assert!(e.is_token_problem() && e.is_expired_token() && !e.is_transient());
        let text = GraphError::Api(Box::new(e)).to_string();
        assert!(
            text.contains("190/463") && text.contains("fbtrace_id AbC"),
            "{text}"
        );
    }

    #[test]
    fn classifies_rate_limits_and_transients() {
        let e = |code, status| ApiError {
            code,
            http_status: status,
            ..ApiError::parse(400, br#"{"error":{}}"#).unwrap()
        };
        for code in [4, 17, 32, 613, 80_000, 80_014] {
            assert!(e(code, 400).is_rate_limit(), "{code}");
        }
        assert!(!e(80_015, 400).is_rate_limit());
        assert!(e(1, 400).is_transient() && e(2, 400).is_transient() && e(100, 500).is_transient());
        assert!(!e(100, 400).is_transient());
        assert!(e(200, 400).is_permission() && e(10, 400).is_permission());
    }

    #[test]
    fn non_error_bodies_are_not_errors() {
        assert!(ApiError::parse(200, b"{\"data\":[]}").is_none());
        assert!(ApiError::parse(500, b"<html>").is_none());
        assert!(ApiError::parse(500, b"").is_none());
        // A one-item batch answer is an array, never an error envelope.
        assert!(ApiError::parse(200, br#"[{"code":200,"body":"{}"}]"#).is_none());
    }
}
