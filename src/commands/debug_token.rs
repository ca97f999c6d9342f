//! `crm-meta debug-token --tenant N | --token-stdin`: Meta's `debug_token`
//! view of a token. `--token-stdin` needs no database and no key.

use anyhow::Result;
use chrono::Utc;
use serde::Serialize;

use super::Context;
use crate::cli::DebugTokenArgs;
use crate::crypto::fingerprint;
use crate::error::Exit;
use crate::graph::versions::Clock;
use crate::graph::{DebugToken, DebugTokenError, GranularScope};
use crate::output::{Printer, Report, date_with_distance};
use crate::token::unix_time;
use crate::token::{DEFAULT_WARNING_DAYS, TokenStatus};

#[derive(Serialize)]
struct DebugView {
    tenant_id: Option<i32>,
    status: TokenStatus,
    token_fingerprint: String,
    is_valid: bool,
    app_id: Option<String>,
    application: Option<String>,
    /// Whether the token was issued to another app than META_APP_ID.
    other_app: bool,
    token_type: Option<String>,
    meta_user_id: Option<String>,
    issued_at: Option<chrono::DateTime<Utc>>,
    expires_at: Option<chrono::DateTime<Utc>>,
    data_access_expires_at: Option<chrono::DateTime<Utc>>,
    scopes: Vec<String>,
    missing_scopes: Vec<String>,
    /// Other tenants connected with the same Meta user (only with --tenant).
    shared_with: Vec<i32>,
    granular_scopes: Vec<GranularScope>,
    error: Option<DebugTokenError>,
}

pub async fn run(ctx: &Context, args: DebugTokenArgs) -> Result<Exit> {
    let graph = ctx.graph(&[Clock::Graph])?;
    let required = ctx.settings.required_scopes();
    let (token, shared_with) = match args.tenant {
        Some(tenant_id) => {
            let (store, connection) = ctx.open_connection(tenant_id).await?;
            let shared = store
                .tenants_sharing_meta_user(&connection.info.meta_user_id, tenant_id)
                .await?;
            store.close().await;
            (connection.access_token, shared)
        }
        None => (super::read_token("--token-stdin").await?, Vec::new()),
    };
    let debug: DebugToken = graph.debug_token(&token).await?;
    let assessment = crate::token::assess_token(
        &debug,
        graph.app_id(),
        &required,
        DEFAULT_WARNING_DAYS,
        Utc::now(),
    );
    // A token whose app Meta does not name is not known to be ours.
    let other_app = debug.app_id.as_deref() != Some(graph.app_id());
    let view = DebugView {
        tenant_id: args.tenant,
        status: assessment.status,
        token_fingerprint: fingerprint(&token),
        is_valid: debug.is_valid,
        app_id: debug.app_id.clone(),
        application: debug.application.clone(),
        other_app,
        token_type: debug.token_type.clone(),
        meta_user_id: debug.user_id.clone(),
        issued_at: debug.issued_at.and_then(unix_time),
        expires_at: assessment.expires_at,
        data_access_expires_at: assessment.data_access_expires_at,
        scopes: debug.scopes.clone(),
        missing_scopes: assessment.missing_scopes,
        shared_with,
        granular_scopes: debug.granular_scopes.clone(),
        error: debug.error.clone(),
    };
    if other_app {
        ctx.printer.warn(format!(
            "this token belongs to Meta app {}, not to META_APP_ID {}",
            view.app_id.as_deref().unwrap_or("?"),
            graph.app_id()
        ));
    }
    ctx.printer.finish(&view)
}

impl Report for DebugView {
    // Exit 0 only for `ok` (only test-connection also accepts `expiring`).
    fn exit(&self) -> Exit {
        if self.status == TokenStatus::Ok {
            Exit::Success
        } else {
            Exit::Problem
        }
    }

    fn show(&self, p: &Printer) {
        let v = self;
        let now = Utc::now();
        let field = |name: &str, value: String| p.line(format!("  {name:<13}{value}"));
        p.line(format!("Token {}", v.token_fingerprint));
        field("status", v.status.to_string());
        field(
            "valid",
            if v.is_valid {
                "yes".into()
            } else {
                "no".into()
            },
        );
        field(
            "type",
            v.token_type.clone().unwrap_or_else(|| "unknown".into()),
        );
        field(
            "app",
            format!(
                "{} ({})",
                v.application.as_deref().unwrap_or("?"),
                v.app_id.as_deref().unwrap_or("?")
            ),
        );
        field(
            "user",
            v.meta_user_id.clone().unwrap_or_else(|| "none".into()),
        );
        field(
            "issued",
            v.issued_at
                .map(|at| date_with_distance(Some(at), now))
                .unwrap_or_else(|| "unknown".into()),
        );
        field("expires", date_with_distance(v.expires_at, now));
        field(
            "data access",
            date_with_distance(v.data_access_expires_at, now),
        );
        field("scopes", v.scopes.join(", "));
        if !v.missing_scopes.is_empty() {
            field("missing", v.missing_scopes.join(", "));
        }
        for g in &v.granular_scopes {
            let targets = if g.target_ids.is_empty() {
                "all".to_owned()
            } else {
                g.target_ids.join(", ")
            };
            field("granular", format!("{}: {targets}", g.scope));
        }
        if let Some(e) = &v.error {
            let sub = e.subcode.map(|s| format!("/{s}")).unwrap_or_default();
            field("error", format!("{}{sub}: {}", e.code, e.message));
        }
    }
}
