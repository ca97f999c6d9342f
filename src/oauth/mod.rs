//! The OAuth login, with no terminal code in it: the authorization URL with
//! `state` and PKCE, the state check, and the parsing of what comes back
//! (a callback's query or a URL pasted by the operator). The loopback
//! listener lives in [`loopback`].

pub mod loopback;
pub mod relay;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::settings::GraphEndpoints;

/// Longest callback query accepted (Meta's are a few hundred bytes).
pub const MAX_QUERY_LEN: usize = 8 * 1024;
/// Longest authorization code accepted.
const MAX_CODE_LEN: usize = 2048;

/// What `connect` asks Meta for.
#[derive(Debug, Clone)]
pub enum Permissions {
    /// Classic Facebook Login: a comma-separated `scope`.
    Scopes(Vec<String>),
    /// Facebook Login for Business: a configuration id instead of scopes.
    ConfigId(String),
}

/// Why the login did not produce a code.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("the Meta user declined: {description} ({reason})")]
    Denied { reason: String, description: String },
    #[error("no authorization arrived within {} seconds; run the command again (or raise --timeout)", .0.as_secs())]
    TimedOut(Duration),
    #[error("authorization cancelled")]
    Cancelled,
    #[error(
        "the redirect URI {uri} {problem}; set META_REDIRECT_URI to an https:// relay page (see `crm-meta relay-page`) or, for an app in development mode, an http://localhost:PORT/PATH registered on the app; or use --no-browser to paste the redirected URL"
    )]
    NotLoopback { uri: String, problem: &'static str },
    #[error(
        "cannot listen on {addr} for the redirect ({reason}); free the port, or use --no-browser"
    )]
    Bind { addr: String, reason: String },
    #[error(transparent)]
    BadCallback(#[from] CallbackError),
    #[error(transparent)]
    State(#[from] StateError),
}

/// A callback (or pasted URL) that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error(
        "the redirect carries neither a code nor an error; paste the whole URL from the browser's address bar"
    )]
    Empty,
    #[error("the redirect carries both a code and an error")]
    Ambiguous,
    #[error("the redirect repeats the parameter `{0}`")]
    Repeated(String),
    #[error("the redirect is too long to be Meta's ({0} bytes)")]
    TooLong(usize),
    #[error("the authorization code is malformed")]
    MalformedCode,
    #[error(
        "that is not the redirected URL; paste the whole address from the browser (it contains code= and state=)"
    )]
    NotAUrl,
}

/// A `state` that does not belong to this run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("the redirect has no state; it was not started by this crm-meta run")]
    Missing,
    #[error(
        "the redirect's state does not match this run (a stale tab, another run, or a forgery)"
    )]
    Mismatch,
    #[error("the authorization window has closed; run the command again")]
    Expired,
    #[error("this state was already used")]
    Used,
}

/// What the redirect said.
pub enum Callback {
    Code {
        code: SecretString,
        state: Option<String>,
    },
    Denied {
        state: Option<String>,
        reason: String,
        description: String,
    },
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Callback::Code { .. } => f.write_str("Callback::Code { .. }"),
            Callback::Denied { reason, .. } => {
                write!(f, "Callback::Denied {{ reason: {reason:?}, .. }}")
            }
        }
    }
}

impl Callback {
    /// The code, or the user's denial as an error. Only for a callback whose
    /// state was already accepted (the loopback listener accepts it).
    pub fn into_code(self) -> Result<SecretString, OAuthError> {
        match self {
            Callback::Code { code, .. } => Ok(code),
            Callback::Denied {
                reason,
                description,
                ..
            } => Err(OAuthError::Denied {
                reason,
                description,
            }),
        }
    }

    pub fn state(&self) -> Option<&str> {
        match self {
            Callback::Code { state, .. } | Callback::Denied { state, .. } => state.as_deref(),
        }
    }
}

/// How the redirect's answer reaches this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The browser is sent on to the loopback listener.
    Listener,
    /// The operator pastes the address: the state says so, so the relay
    /// page shows the address instead of sending the browser to a port
    /// nobody listens on.
    Paste,
}

/// What marks a `Delivery::Paste` state; the relay page looks for it.
pub const PASTE_MARK: &str = ".paste.";

/// The `state` of one run: unguessable, bound to the tenant and this run,
/// single use, and dead after the deadline.
#[derive(Debug)]
pub struct StateVerifier {
    expected: String,
    deadline: Instant,
    used: AtomicBool,
}

impl StateVerifier {
    fn new(tenant_id: i32, lifetime: Duration, delivery: Delivery) -> Self {
        // base64url has no '.', so the mark cannot appear by chance.
        let nonce = URL_SAFE_NO_PAD.encode(crate::crypto::random_bytes::<32>());
        let mark = match delivery {
            Delivery::Listener => ".",
            Delivery::Paste => PASTE_MARK,
        };
        Self {
            expected: format!("t{tenant_id}{mark}{nonce}"),
            deadline: Instant::now() + lifetime,
            used: AtomicBool::new(false),
        }
    }

    pub fn value(&self) -> &str {
        &self.expected
    }

    /// Accepts `got` once: it must match (compared in constant time), the
    /// window must be open, and it must not have been accepted before.
    pub fn accept(&self, got: Option<&str>) -> Result<(), StateError> {
        let got = got.ok_or(StateError::Missing)?;
        let matches: bool = Sha256::digest(got.as_bytes())
            .ct_eq(&Sha256::digest(self.expected.as_bytes()))
            .into();
        if !matches {
            return Err(StateError::Mismatch);
        }
        if Instant::now() > self.deadline {
            return Err(StateError::Expired);
        }
        if self.used.swap(true, Ordering::SeqCst) {
            return Err(StateError::Used);
        }
        Ok(())
    }
}

/// One authorization attempt: the URL to open, and what is needed to check
/// and redeem its answer.
#[derive(Debug)]
pub struct AuthorizationRequest {
    pub url: String,
    pub redirect_uri: String,
    pub state: StateVerifier,
    pub pkce_verifier: SecretString,
}

impl AuthorizationRequest {
    pub fn new(
        endpoints: &GraphEndpoints,
        app_id: &str,
        redirect_uri: &str,
        permissions: &Permissions,
        tenant_id: i32,
        lifetime: Duration,
        delivery: Delivery,
    ) -> Self {
        let state = StateVerifier::new(tenant_id, lifetime, delivery);
        let verifier = URL_SAFE_NO_PAD.encode(crate::crypto::random_bytes::<48>());
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let base = endpoints.dialog_url.as_str().trim_end_matches('/');
        let mut url = url::Url::parse(&format!("{base}/{}/dialog/oauth", endpoints.version))
            .unwrap_or_else(|_| endpoints.dialog_url.clone());
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", app_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("state", state.value())
                .append_pair("response_type", "code");
            match permissions {
                Permissions::Scopes(scopes) => q.append_pair("scope", &scopes.join(",")),
                Permissions::ConfigId(id) => q.append_pair("config_id", id),
            };
            q.append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
        }
        Self {
            url: url.into(),
            redirect_uri: redirect_uri.to_owned(),
            state,
            pkce_verifier: SecretString::from(verifier),
        }
    }

    /// Checks a callback's state and turns it into a code or a denial.
    pub fn redeem(&self, callback: Callback) -> Result<SecretString, OAuthError> {
        self.state.accept(callback.state())?;
        callback.into_code()
    }
}

/// Parses the query of a redirect to the callback.
pub fn parse_callback_query(query: &str) -> Result<Callback, CallbackError> {
    if query.len() > MAX_QUERY_LEN {
        return Err(CallbackError::TooLong(query.len()));
    }
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut reason = None;
    let mut description = None;
    let mut error_code = None;
    let mut error_message = None;
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match key.as_ref() {
            "code" => &mut code,
            "state" => &mut state,
            "error" => &mut error,
            "error_reason" => &mut reason,
            "error_description" => &mut description,
            "error_code" => &mut error_code,
            "error_message" => &mut error_message,
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(CallbackError::Repeated(key.into_owned()));
        }
    }
    // Meta reports some failures (an app misconfigured, a blocked URL) with
    // only `error_code` and `error_message`.
    let error = error.or_else(|| error_code.map(|c| format!("error_code {c}")));
    let description = description.or(error_message);
    match (code, error) {
        (Some(_), Some(_)) => Err(CallbackError::Ambiguous),
        (None, None) => Err(CallbackError::Empty),
        (Some(code), None) => {
            if code.is_empty()
                || code.len() > MAX_CODE_LEN
                || !code.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(CallbackError::MalformedCode);
            }
            Ok(Callback::Code {
                code: SecretString::from(code),
                state,
            })
        }
        (None, Some(error)) => {
            // Shown to the operator: no control characters from the browser.
            let clean = |s: String| crate::text::clean_line(&s).into_owned();
            Ok(Callback::Denied {
                state,
                reason: clean(reason.unwrap_or_else(|| error.clone())),
                description: clean(description.unwrap_or(error)),
            })
        }
    }
}

/// Parses what an operator pasted: the whole redirected URL, or its query.
pub fn parse_pasted(input: &str) -> Result<Callback, CallbackError> {
    let input = input.trim();
    if input.len() > MAX_QUERY_LEN {
        return Err(CallbackError::TooLong(input.len()));
    }
    let query = if input.starts_with("http://") || input.starts_with("https://") {
        let url = url::Url::parse(input).map_err(|_| CallbackError::NotAUrl)?;
        url.query()
            .map(str::to_owned)
            .ok_or(CallbackError::NotAUrl)?
    } else if let Some(query) = input.strip_prefix('?') {
        query.to_owned()
    } else if let Some((_, query)) = input.split_once('?') {
        query.to_owned()
    } else if input.contains('=') {
        input.to_owned()
    } else {
        return Err(CallbackError::NotAUrl);
    };
    // A fragment (`#_=_`, which Meta appends) is not part of the query.
    let query = query.split('#').next().unwrap_or_default();
    parse_callback_query(query)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoints() -> GraphEndpoints {
        GraphEndpoints {
            graph_url: url::Url::parse("https://graph.example").unwrap(),
            dialog_url: url::Url::parse("https://www.example").unwrap(),
            version: "v25.0".into(),
        }
    }

    use secrecy::ExposeSecret;

    #[test]
    fn authorization_url_carries_everything_meta_needs() {
        let req = AuthorizationRequest::new(
            &endpoints(),
            "123",
            "http://localhost:8765/callback",
            &Permissions::Scopes(vec!["ads_read".into(), "business_management".into()]),
            7,
            Duration::from_secs(60),
            Delivery::Listener,
        );
        let url = url::Url::parse(&req.url).unwrap();
        assert_eq!(url.path(), "/v25.0/dialog/oauth");
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "123");
        assert_eq!(q["redirect_uri"], "http://localhost:8765/callback");
        assert_eq!(q["scope"], "ads_read,business_management");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["state"], req.state.value());
        let challenge =
            URL_SAFE_NO_PAD.encode(Sha256::digest(req.pkce_verifier.expose_secret().as_bytes()));
        assert_eq!(q["code_challenge"], challenge);
        assert!(!q.contains_key("config_id"));
    }

    #[test]
    fn config_id_replaces_scope() {
        let req = AuthorizationRequest::new(
            &endpoints(),
            "1",
            "http://localhost/cb",
            &Permissions::ConfigId("999".into()),
            7,
            Duration::from_secs(60),
            Delivery::Listener,
        );
        assert!(req.url.contains("config_id=999") && !req.url.contains("scope="));
    }

    #[test]
    fn states_are_unguessable_bound_and_single_use() {
        let a = StateVerifier::new(7, Duration::from_secs(60), Delivery::Listener);
        let b = StateVerifier::new(7, Duration::from_secs(60), Delivery::Listener);
        assert_ne!(a.value(), b.value());
        assert!(a.value().starts_with("t7.") && a.value().len() > 40);
        assert_eq!(a.accept(Some(b.value())), Err(StateError::Mismatch));
        assert_eq!(a.accept(None), Err(StateError::Missing));
        assert_eq!(a.accept(Some(a.value())), Ok(()));
        assert_eq!(a.accept(Some(a.value())), Err(StateError::Used));
        let paste = StateVerifier::new(7, Duration::from_secs(60), Delivery::Paste);
        assert!(paste.value().starts_with("t7.paste.") && !a.value().contains(PASTE_MARK));
        let expired = StateVerifier::new(7, Duration::ZERO, Delivery::Listener);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(
            expired.accept(Some(expired.value())),
            Err(StateError::Expired)
        );
    }

    #[test]
    fn callback_queries_parse_strictly() {
        assert!(matches!(
            parse_callback_query("code=abc&state=s"),
            Ok(Callback::Code { .. })
        ));
        let denied = parse_callback_query(
            "error=access_denied&error_code=200&error_description=Permissions+error&error_reason=user_denied&state=s",
        )
        .unwrap();
        match denied {
            Callback::Denied {
                reason,
                description,
                state,
            } => {
                assert_eq!(
                    (reason.as_str(), description.as_str(), state.as_deref()),
                    ("user_denied", "Permissions error", Some("s"))
                );
            }
            Callback::Code { .. } => panic!("denial parsed as a code"),
        }
        // Meta's other error form: only error_code and error_message.
        match parse_callback_query("error_code=1349187&error_message=URL+blocked&state=s").unwrap()
        {
            Callback::Denied {
                reason,
                description,
                ..
            } => assert_eq!(
                (reason.as_str(), description.as_str()),
                ("error_code 1349187", "URL blocked")
            ),
            Callback::Code { .. } => panic!("an error parsed as a code"),
        }
        assert_eq!(
            parse_callback_query("state=s").unwrap_err(),
            CallbackError::Empty
        );
        assert_eq!(
            parse_callback_query("code=a&error=b").unwrap_err(),
            CallbackError::Ambiguous
        );
        assert_eq!(
            parse_callback_query("code=a&code=b").unwrap_err(),
            CallbackError::Repeated("code".into())
        );
        assert_eq!(
            parse_callback_query("state=a&state=b&code=c").unwrap_err(),
            CallbackError::Repeated("state".into())
        );
        assert_eq!(
            parse_callback_query("code=a%20b").unwrap_err(),
            CallbackError::MalformedCode
        );
        assert_eq!(
            parse_callback_query("code=%FF%FE").unwrap_err(),
            CallbackError::MalformedCode
        );
        assert!(matches!(
            parse_callback_query(&"x".repeat(100_000)),
            Err(CallbackError::TooLong(_))
        ));
    }

    #[test]
    fn pasted_urls_in_every_usual_form() {
        for input in [
            "https://crm.example/callback?code=abc&state=s#_=_",
            "  http://localhost:8765/callback?code=abc&state=s\n",
            "?code=abc&state=s",
            "code=abc&state=s",
            "/callback?code=abc&state=s",
        ] {
            let cb = parse_pasted(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(cb.state(), Some("s"), "{input}");
        }
        assert_eq!(
            parse_pasted("AQBx-just-a-code").unwrap_err(),
            CallbackError::NotAUrl
        );
        assert_eq!(
            parse_pasted("https://crm.example/callback").unwrap_err(),
            CallbackError::NotAUrl
        );
    }

    #[test]
    fn redeem_checks_state_before_anything() {
        let req = AuthorizationRequest::new(
            &endpoints(),
            "1",
            "http://localhost/cb",
            &Permissions::Scopes(vec![]),
            7,
            Duration::from_secs(60),
            Delivery::Listener,
        );
        let forged = Callback::Denied {
            state: Some("forged".into()),
            reason: "user_denied".into(),
            description: "x".into(),
        };
        assert!(matches!(
            req.redeem(forged),
            Err(OAuthError::State(StateError::Mismatch))
        ));
        let code = Callback::Code {
            code: SecretString::from("c".to_owned()),
            state: Some(req.state.value().to_owned()),
        };
        assert_eq!(req.redeem(code).unwrap().expose_secret(), "c");
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;
    use secrecy::ExposeSecret;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any query at all: no panic; a code, when accepted, is plain ASCII.
        #[test]
        fn callback_queries_never_panic(query in ".{0,300}") {
            if let Ok(Callback::Code { code, .. }) = parse_callback_query(&query) {
                prop_assert!(code.expose_secret().bytes().all(|b| b.is_ascii_graphic()));
            }
        }

        /// Structured queries with arbitrary values and repeats.
        #[test]
        fn structured_callbacks_parse_by_the_rules(
            pairs in proptest::collection::vec((prop_oneof!["code", "state", "error", "error_reason", "x"], "[ -~]{0,20}"), 0..6)
        ) {
            let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs.iter()).finish();
            let count = |k: &str| pairs.iter().filter(|(key, _)| key == k).count();
            match parse_callback_query(&query) {
                Ok(Callback::Code { .. }) => prop_assert!(count("code") == 1 && count("error") == 0),
                Ok(Callback::Denied { .. }) => prop_assert!(count("error") == 1 && count("code") == 0),
                Err(CallbackError::Repeated(_)) => prop_assert!(["code", "state", "error", "error_reason"].iter().any(|k| count(k) > 1)),
                Err(_) => {}
            }
        }

        #[test]
        fn pasted_input_never_panics(input in "\\PC{0,400}") {
            let _ = parse_pasted(&input);
        }

        /// Only the exact state is accepted, and only once.
        #[test]
        fn states_accept_only_themselves(guess in "[A-Za-z0-9._-]{0,60}") {
            let verifier = StateVerifier::new(7, Duration::from_secs(60), Delivery::Listener);
            prop_assert_eq!(verifier.accept(Some(&guess)), Err(StateError::Mismatch));
            let exact = verifier.value().to_owned();
            prop_assert_eq!(verifier.accept(Some(&exact)), Ok(()));
            prop_assert_eq!(verifier.accept(Some(&exact)), Err(StateError::Used));
        }
    }
}
