//! The live check of a stored connection (`test-connection`): Meta's
//! `debug_token` answer assessed, then `/me` and a business-manager read with
//! the token itself, so a token Meta calls valid but that cannot read what
//! the CRM needs is caught too.

use chrono::Utc;
use secrecy::SecretString;
use serde::Serialize;

use super::verify::TokenView;
use super::{TokenStatus, assess, status_of_error};
use crate::graph::{Business, DebugToken, GraphClient, GraphError, Page};
use crate::store::Connection;

/// What one check found.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    #[serde(flatten)]
    pub view: TokenView,
    /// Why the status is not `ok`, for people.
    pub detail: Option<String>,
}

impl CheckResult {
    /// Whether the check reached Meta at all (an unreachable result says
    /// nothing about the token and must not be recorded as if it did).
    pub fn reached_meta(&self) -> bool {
        self.view.status != TokenStatus::Unreachable
    }
}

/// Checks one connection live, given Meta's `debug_token` answer for its
/// token (asked alone, or in a batch by `test-connection --all`): the
/// assessment decides, and a token it finds usable must also read `/me`
/// and a business manager.
pub async fn check_connection(
    graph: &GraphClient,
    connection: &Connection,
    answer: Result<DebugToken, GraphError>,
    required_scopes: &[String],
    warning_days: i64,
    shared_with: Vec<i32>,
) -> CheckResult {
    let info = &connection.info;
    let a = assess(
        &answer,
        graph.app_id(),
        required_scopes,
        warning_days,
        Utc::now(),
    );
    let usable = matches!(
        a.status,
        TokenStatus::Ok | TokenStatus::Expiring | TokenStatus::MissingScope
    );
    let mut view = TokenView {
        tenant_id: info.tenant_id,
        status: a.status,
        meta_user_id: Some(info.meta_user_id.clone()),
        meta_user_name: info.meta_user_name.clone(),
        token_type: Some(info.token_type.clone()),
        expires_at: info.expires_at,
        data_access_expires_at: info.data_access_expires_at,
        scopes: info.scopes.clone(),
        missing_scopes: Vec::new(),
        shared_with,
        token_fingerprint: Some(crate::crypto::fingerprint(&connection.access_token)),
    };
    if !usable {
        // Dead or unreachable: what the store knows describes it best.
        return CheckResult {
            view,
            detail: a.detail,
        };
    }
    // Valid: Meta's answer is the newer truth.
    view.meta_user_id = a.meta_user_id.or(view.meta_user_id);
    view.token_type = a.token_type.or(view.token_type);
    view.expires_at = a.expires_at;
    view.data_access_expires_at = a.data_access_expires_at;
    view.scopes = a.scopes;
    view.missing_scopes = a.missing_scopes;
    if a.status == TokenStatus::MissingScope {
        return CheckResult {
            view,
            detail: a.detail,
        };
    }
    if let Err((status, detail)) = can_read(graph, &connection.access_token).await {
        view.status = status;
        return CheckResult {
            view,
            detail: Some(detail),
        };
    }
    let detail = (view.status == TokenStatus::Expiring)
        .then(|| "expires soon: run `crm-meta refresh` or reconnect".to_owned());
    CheckResult { view, detail }
}

/// `/me` and one page of business managers, with the token itself.
async fn can_read(graph: &GraphClient, token: &SecretString) -> Result<(), (TokenStatus, String)> {
    // An error that is not about the token says nothing about it: it comes
    // out `unreachable` (exit 5), and nothing is recorded.
    let classify = |e: GraphError| (status_of_error(&e), e.to_string());
    let (me, businesses) = tokio::join!(
        graph.me(token),
        graph.get::<Page<Business>>(
            "me/businesses",
            &[("fields", "id,name"), ("limit", "1")],
            token
        )
    );
    me.map_err(classify)?;
    businesses.map_err(classify)?;
    Ok(())
}
