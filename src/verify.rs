//! Checking a token with Meta: valid, ours, with the scopes the CRM needs.
//! Shared by `connect`, `import`, `test-connection` and `refresh`.

use chrono::{DateTime, TimeZone, Utc};
use secrecy::SecretString;
use serde::Serialize;

use crate::crypto::fingerprint;
use crate::graph::{DebugToken, GraphClient, GraphError};
use crate::status::TokenStatus;

/// A token Meta vouched for, with what it said about it.
pub struct VerifiedToken {
    pub token: SecretString,
    pub debug: DebugToken,
    pub token_type: String,
    pub meta_user_id: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub data_access_expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    /// Required scopes the token lacks.
    pub missing_scopes: Vec<String>,
}

/// Why a token cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("Meta says the token is not valid: {0}")]
    NotValid(String),
    #[error(
        "the token belongs to Meta app {found}, not to this app ({expected}); use a token issued for META_APP_ID"
    )]
    WrongApp { expected: String, found: String },
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl VerifyError {
    /// The status word this failure means for a stored token.
    pub fn status(&self) -> TokenStatus {
        match self {
            VerifyError::NotValid(reason) if reason.contains("expired") => TokenStatus::Expired,
            VerifyError::NotValid(_) | VerifyError::WrongApp { .. } => TokenStatus::Invalid,
            VerifyError::Graph(e) if e.is_unreachable() => TokenStatus::Unreachable,
            VerifyError::Graph(e) if e.api().is_some_and(|a| a.is_expired_token()) => {
                TokenStatus::Expired
            }
            VerifyError::Graph(e) if e.api().is_some_and(|a| a.is_token_problem()) => {
                TokenStatus::Invalid
            }
            VerifyError::Graph(_) => TokenStatus::Unreachable,
        }
    }
}

/// Unix seconds to a time; 0 (Meta's "never") to `None`.
pub fn unix_time(seconds: i64) -> Option<DateTime<Utc>> {
    (seconds > 0)
        .then(|| Utc.timestamp_opt(seconds, 0).single())
        .flatten()
}

/// Asks `debug_token` about a token and checks it is valid, issued to this
/// app, and carries every required scope (missing ones are reported, not
/// refused: the caller decides).
pub async fn verify(
    graph: &GraphClient,
    token: SecretString,
    required_scopes: &[String],
) -> Result<VerifiedToken, VerifyError> {
    let debug = graph.debug_token(&token).await?;
    if !debug.is_valid {
        let reason = debug
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "no reason given".to_owned());
        let expired =
            debug.expires_at > 0 && unix_time(debug.expires_at).is_some_and(|at| at <= Utc::now());
        return Err(VerifyError::NotValid(if expired {
            format!("expired ({reason})")
        } else {
            reason
        }));
    }
    match debug.app_id.as_deref() {
        Some(app) if app == graph.app_id() => {}
        found => {
            return Err(VerifyError::WrongApp {
                expected: graph.app_id().to_owned(),
                found: found.unwrap_or("unknown").to_owned(),
            });
        }
    }
    let meta_user_id = debug
        .user_id
        .clone()
        .ok_or_else(|| GraphError::Unexpected {
            endpoint: "debug_token".into(),
            detail: "no user_id for a valid token".into(),
        })?;
    let missing_scopes = required_scopes
        .iter()
        .filter(|s| !debug.scopes.contains(s))
        .cloned()
        .collect();
    Ok(VerifiedToken {
        token_type: debug
            .token_type
            .clone()
            .unwrap_or_else(|| "USER".to_owned()),
        meta_user_id,
        expires_at: unix_time(debug.expires_at),
        data_access_expires_at: unix_time(debug.data_access_expires_at),
        scopes: debug.scopes.clone(),
        missing_scopes,
        token,
        debug,
    })
}

/// The contract's token view: never the token, at most its fingerprint.
#[derive(Debug, Clone, Serialize)]
pub struct TokenView {
    pub tenant_id: i32,
    pub status: TokenStatus,
    pub meta_user_id: Option<String>,
    pub meta_user_name: Option<String>,
    pub token_type: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub data_access_expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub missing_scopes: Vec<String>,
    pub shared_with: Vec<i32>,
    pub token_fingerprint: Option<String>,
}

impl TokenView {
    pub fn from_verified(
        tenant_id: i32,
        status: TokenStatus,
        v: &VerifiedToken,
        name: Option<String>,
        shared_with: Vec<i32>,
    ) -> Self {
        Self {
            tenant_id,
            status,
            meta_user_id: Some(v.meta_user_id.clone()),
            meta_user_name: name,
            token_type: Some(v.token_type.clone()),
            expires_at: v.expires_at,
            data_access_expires_at: v.data_access_expires_at,
            scopes: v.scopes.clone(),
            missing_scopes: v.missing_scopes.clone(),
            shared_with,
            token_fingerprint: Some(fingerprint(&v.token)),
        }
    }
}

/// The status of a verified token given the warning window.
pub fn status_of(v: &VerifiedToken, warning_days: i64) -> TokenStatus {
    if !v.missing_scopes.is_empty() {
        return TokenStatus::MissingScope;
    }
    crate::status::stored_status(
        v.expires_at,
        v.data_access_expires_at,
        None,
        Utc::now(),
        warning_days,
    )
}
