//! The live check of a stored connection, shared by `test-connection` and
//! (in batches) `audit`: `debug_token`, then `/me` and a business-manager read
//! with the token itself, so a token Meta calls valid but that cannot read
//! what the CRM needs is caught too.

use chrono::Utc;
use secrecy::SecretString;
use serde::Serialize;

use super::verify::{TokenView, verify};
use super::{TokenStatus, status_of_error, stored_status};
use crate::graph::{Business, GraphClient, GraphError, Page};
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

/// Checks one connection live.
pub async fn check_connection(
    graph: &GraphClient,
    connection: &Connection,
    required_scopes: &[String],
    warning_days: i64,
    shared_with: Vec<i32>,
) -> CheckResult {
    let info = &connection.info;
    let stored_view = |status, detail: Option<String>| CheckResult {
        view: TokenView {
            tenant_id: info.tenant_id,
            status,
            meta_user_id: Some(info.meta_user_id.clone()),
            meta_user_name: info.meta_user_name.clone(),
            token_type: Some(info.token_type.clone()),
            expires_at: info.expires_at,
            data_access_expires_at: info.data_access_expires_at,
            scopes: info.scopes.clone(),
            missing_scopes: Vec::new(),
            shared_with: shared_with.clone(),
            token_fingerprint: Some(crate::crypto::fingerprint(&connection.access_token)),
        },
        detail,
    };
    let verified = match verify(graph, connection.access_token.clone(), required_scopes).await {
        Ok(v) => v,
        Err(e) => return stored_view(e.status(), Some(e.to_string())),
    };
    let mut view = TokenView::from_verified(
        info.tenant_id,
        TokenStatus::Ok,
        &verified,
        info.meta_user_name.clone(),
        shared_with,
    );
    if !verified.missing_scopes.is_empty() {
        view.status = TokenStatus::MissingScope;
        let detail = format!("lacks {}", verified.missing_scopes.join(", "));
        return CheckResult {
            view,
            detail: Some(detail),
        };
    }
    if let Err((status, detail)) = can_read(graph, &connection.access_token).await {
        view.status = status;
        return CheckResult {
            view,
            detail: Some(detail),
        };
    }
    view.status = stored_status(
        view.expires_at,
        view.data_access_expires_at,
        None,
        Utc::now(),
        warning_days,
    );
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
