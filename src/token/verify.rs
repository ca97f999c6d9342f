//! A new token checked with Meta before `connect` stores it: valid, this
//! app's, with the scopes the CRM needs, judged by [`super::assess_token`];
//! and [`TokenView`], the token view every command shows.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Serialize;

use super::{TokenStatus, assess_token, status_of_error};
use crate::crypto::fingerprint;
use crate::graph::{GraphClient, GraphError};

/// A token Meta vouched for, with what it said about it.
pub struct VerifiedToken {
    pub token: SecretString,
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
    #[error("Meta says the token is not valid: {reason}")]
    NotValid { status: TokenStatus, reason: String },
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
            VerifyError::NotValid { status, .. } => *status,
            VerifyError::WrongApp { .. } => TokenStatus::Invalid,
            VerifyError::Graph(e) => status_of_error(e),
        }
    }
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
    // The warning window does not matter here: callers judge expiry themselves.
    let a = assess_token(&debug, graph.app_id(), required_scopes, 0, Utc::now());
    if let Some(found) = a.other_app {
        return Err(VerifyError::WrongApp {
            expected: graph.app_id().to_owned(),
            found,
        });
    }
    if matches!(a.status, TokenStatus::Invalid | TokenStatus::Expired) {
        return Err(VerifyError::NotValid {
            status: a.status,
            reason: a.detail.unwrap_or_else(|| "no reason given".to_owned()),
        });
    }
    let meta_user_id = a.meta_user_id.ok_or_else(|| GraphError::Unexpected {
        endpoint: "debug_token".into(),
        detail: "no user_id for a valid token".into(),
    })?;
    Ok(VerifiedToken {
        token_type: a.token_type.unwrap_or_else(|| "USER".to_owned()),
        meta_user_id,
        expires_at: a.expires_at,
        data_access_expires_at: a.data_access_expires_at,
        scopes: a.scopes,
        missing_scopes: a.missing_scopes,
        token,
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
    super::stored_status(
        v.expires_at,
        v.data_access_expires_at,
        None,
        Utc::now(),
        warning_days,
    )
}
