//! A `debug_token` answer judged: valid, issued to this app, carrying the
//! required scopes, and how far from expiry.

use chrono::{DateTime, TimeZone, Utc};

use super::{TokenStatus, status_of_error};
use crate::graph::{DebugToken, GraphError};

/// Unix seconds to a time; 0 (Meta's "never") to `None`.
pub fn unix_time(seconds: i64) -> Option<DateTime<Utc>> {
    (seconds > 0)
        .then(|| Utc.timestamp_opt(seconds, 0).single())
        .flatten()
}

/// What a `debug_token` answer means for a stored token.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub status: TokenStatus,
    pub detail: Option<String>,
    pub meta_user_id: Option<String>,
    pub token_type: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub data_access_expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub missing_scopes: Vec<String>,
    /// A valid token that never expires (system users).
    pub never_expires: bool,
    /// The Meta app a token of another app was issued to.
    pub other_app: Option<String>,
}

/// Judges one answer: invalid or expired, another app's, lacking a required
/// scope, expiring (token or data access) within `within_days`, or ok.
pub fn assess(
    answer: &Result<DebugToken, GraphError>,
    app_id: &str,
    required: &[String],
    within_days: i64,
    now: DateTime<Utc>,
) -> Assessment {
    match answer {
        Ok(debug) => assess_token(debug, app_id, required, within_days, now),
        Err(e) => Assessment::empty(status_of_error(e), e.to_string()),
    }
}

/// Judges what `debug_token` said about one token (see [`assess`]).
pub fn assess_token(
    debug: &DebugToken,
    app_id: &str,
    required: &[String],
    within_days: i64,
    now: DateTime<Utc>,
) -> Assessment {
    let expires_at = unix_time(debug.expires_at);
    let data_access_expires_at = unix_time(debug.data_access_expires_at);
    let mut a = Assessment {
        status: TokenStatus::Ok,
        detail: None,
        meta_user_id: debug.user_id.clone(),
        token_type: debug.token_type.clone(),
        expires_at,
        data_access_expires_at,
        scopes: debug.scopes.clone(),
        missing_scopes: required
            .iter()
            .filter(|s| !debug.scopes.contains(s))
            .cloned()
            .collect(),
        never_expires: debug.is_valid && debug.expires_at == 0,
        other_app: None,
    };
    if !debug.is_valid {
        let message = debug
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_else(|| "not valid".into());
        let expired = expires_at.is_some_and(|at| at <= now)
            || debug.error.as_ref().is_some_and(|e| e.subcode == Some(463));
        a.status = if expired {
            TokenStatus::Expired
        } else {
            TokenStatus::Invalid
        };
        a.detail = Some(message);
    } else if debug.app_id.as_deref() != Some(app_id) {
        let found = debug.app_id.as_deref().unwrap_or("unknown");
        a.status = TokenStatus::Invalid;
        a.detail = Some(format!("issued to Meta app {found}"));
        a.other_app = Some(found.to_owned());
    } else if !a.missing_scopes.is_empty() {
        a.status = TokenStatus::MissingScope;
        a.detail = Some(format!("lacks {}", a.missing_scopes.join(", ")));
    } else {
        let horizon = now + chrono::Duration::days(within_days);
        let soonest = [expires_at, data_access_expires_at]
            .into_iter()
            .flatten()
            .min();
        if let Some(at) = soonest.filter(|at| *at <= horizon) {
            a.status = TokenStatus::Expiring;
            let what = if Some(at) == expires_at {
                "token"
            } else {
                "data access"
            };
            a.detail = Some(format!("{what} expires {}", at.format("%Y-%m-%d")));
        }
    }
    a
}

impl Assessment {
    fn empty(status: TokenStatus, detail: String) -> Self {
        Self {
            status,
            detail: Some(detail),
            meta_user_id: None,
            token_type: None,
            expires_at: None,
            data_access_expires_at: None,
            scopes: Vec::new(),
            missing_scopes: Vec::new(),
            never_expires: false,
            other_app: None,
        }
    }
}
