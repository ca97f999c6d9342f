//! `crm-meta leads subscribe --tenant N` and `leads status --tenant N | --all`:
//! the tenant's Page installs the app for `leadgen`, and every piece the
//! lead flow needs is checked with Meta. Page tokens are derived from the
//! stored user token at call time and never stored or printed.

use anyhow::{Context as _, Result};
use futures::{StreamExt, stream};
use serde::Serialize;
use serde_json::json;

use super::Context;
use crate::cli::{LeadsCommand, LeadsStatusArgs, TenantArg};
use crate::error::{Exit, UserError};
use crate::graph::MAX_BATCH;
use crate::graph::versions::Clock;
use crate::leads::{self, LEADGEN, LeadsCheck, LeadsInput};
use crate::output::{Printer, Report, new_table};
use crate::store::AuditEntry;

pub async fn run(ctx: &Context, command: LeadsCommand) -> Result<Exit> {
    match command {
        LeadsCommand::Subscribe(tenant) => subscribe(ctx, tenant).await,
        LeadsCommand::Status(args) => status(ctx, args).await,
    }
}

#[derive(Serialize)]
struct Subscribed {
    tenant_id: i32,
    page_id: String,
    subscribed_fields: Vec<String>,
    /// Whether this run installed it (false: it already was).
    installed_now: bool,
}

impl Report for Subscribed {
    fn show(&self, p: &Printer) {
        p.line(format!(
            "{} Page {} for tenant {}: the app receives {}.",
            if self.installed_now {
                "Subscribed"
            } else {
                "Already subscribed:"
            },
            self.page_id,
            self.tenant_id,
            self.subscribed_fields.join(", ")
        ));
    }
}

async fn subscribe(ctx: &Context, tenant: TenantArg) -> Result<Exit> {
    let tenant_id = tenant.tenant;
    let graph = ctx.graph(&[Clock::Graph])?;
    let (store, connection) = ctx.open_connection(tenant_id).await?;
    let Some(page_id) = connection.info.page_id.clone() else {
        return Err(UserError(format!(
            "tenant {tenant_id} has no Page chosen: run `crm-meta select --tenant {tenant_id} --page` first"
        ))
        .into());
    };
    let token = &connection.access_token;
    let debug = graph
        .debug_token(token)
        .await
        .context("checking the tenant's token")?;
    let needed: Vec<String> = leads::missing_permissions(&debug.scopes)
        .into_iter()
        .filter(|p| p.starts_with("pages_"))
        .collect();
    if !needed.is_empty() {
        return Err(UserError(format!(
            "tenant {tenant_id}'s token lacks {}, which installing the app on a Page needs; nothing was changed. \
             Run `crm-meta connect --tenant {tenant_id}` and grant them",
            needed.join(", ")
        ))
        .into());
    }
    let page_token = leads::page_token(&graph, token, &page_id)
        .await
        .context("reading the user's Pages")??;
    let before = graph
        .installed_apps(&page_id, &page_token)
        .await
        .context("reading the apps installed on the Page")?;
    let mut fields = before
        .iter()
        .find(|a| a.id == graph.app_id())
        .map(|a| a.subscribed_fields.clone())
        .unwrap_or_default();
    let installed_now = !fields.iter().any(|f| f == LEADGEN);
    if installed_now {
        // Meta replaces the app's field list: keep what it already receives.
        fields.push(LEADGEN.to_owned());
        let list: Vec<&str> = fields.iter().map(String::as_str).collect();
        graph
            .install_on_page(&page_id, &page_token, &list)
            .await
            .context("installing the app on the Page")?;
        let after = graph
            .installed_apps(&page_id, &page_token)
            .await
            .context("reading the installation back")?;
        fields = after
            .into_iter()
            .find(|a| a.id == graph.app_id())
            .map(|a| a.subscribed_fields)
            .unwrap_or_default();
        if !fields.iter().any(|f| f == LEADGEN) {
            return Err(anyhow::anyhow!(
                "Meta accepted the installation but the Page does not list leadgen for the app; run the command again"
            ));
        }
    }
    // The tenant now vouches for the installation (so `disconnect` removes
    // it), whether this run made it or found it.
    if installed_now || connection.info.page_subscribed_at.is_none() {
        let audit = AuditEntry::new(
            tenant_id,
            "leads_subscribe",
            json!({ "page_id": page_id, "subscribed_fields": fields, "installed_now": installed_now }),
        );
        store
            .mark_page_subscribed(tenant_id, &page_id, &audit)
            .await?;
    }
    store.close().await;
    ctx.printer.finish(&Subscribed {
        tenant_id,
        page_id,
        subscribed_fields: fields,
        installed_now,
    })
}

#[derive(Serialize)]
struct LeadsStatus {
    tenants: Vec<LeadsCheck>,
}

impl Report for LeadsStatus {
    fn exit(&self) -> Exit {
        if self.tenants.iter().any(|t| t.status == "unreachable") {
            Exit::Meta
        } else if self.tenants.iter().all(|t| t.status == "ok") {
            Exit::Success
        } else {
            Exit::Problem
        }
    }

    fn show(&self, p: &Printer) {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let mut table = new_table([
            "tenant",
            "page",
            "installed",
            "lead access",
            "permissions",
            "app webhook",
            "status",
        ]);
        for t in &self.tenants {
            table.add_row(vec![
                t.tenant_id.to_string(),
                t.page_id.clone().unwrap_or_else(|| "-".into()),
                yes_no(t.page_subscribed).to_owned(),
                t.has_lead_access.map_or("?", yes_no).to_owned(),
                if t.missing_permissions.is_empty() {
                    "ok".to_owned()
                } else {
                    format!("missing {}", t.missing_permissions.join(", "))
                },
                yes_no(t.app_subscription).to_owned(),
                t.status.to_owned(),
            ]);
        }
        p.table(&table);
        for t in &self.tenants {
            for problem in &t.problems {
                p.line(format!("tenant {}: {problem}", t.tenant_id));
            }
        }
    }
}

async fn status(ctx: &Context, args: LeadsStatusArgs) -> Result<Exit> {
    let graph = ctx.graph(&[Clock::Graph])?;
    ctx.limit_usage(&graph, &args.usage);
    let target = ctx.database()?;
    let keys = ctx.key_settings(&target)?;
    let store = ctx.store(&target).await?;
    let cipher = ctx.keyring(&store, keys).await?;
    let connections = match args.tenant {
        Some(tenant_id) => vec![ctx.connection(&store, &cipher, tenant_id).await?],
        None => store.connections(&cipher).await?,
    };
    store.close().await;
    let app_subscription = leads::app_subscribed(&graph).await;
    // The scopes, by debug_token in Graph batches; the Page checks carry each
    // tenant's own Page token, so they go one tenant at a time, several at once.
    let mut scopes = Vec::with_capacity(connections.len());
    for chunk in connections.chunks(MAX_BATCH) {
        let tokens: Vec<_> = chunk.iter().map(|c| c.access_token.clone()).collect();
        for answer in graph.debug_tokens_settled(&tokens).await {
            scopes.push(answer.map(|d| if d.is_valid { d.scopes } else { Vec::new() }));
        }
    }
    let app_subscription = &app_subscription;
    let graph = &graph;
    let mut checks: Vec<LeadsCheck> = stream::iter(connections.iter().zip(scopes))
        .map(|(c, scopes)| async move {
            let input = LeadsInput {
                tenant_id: c.info.tenant_id,
                token: &c.access_token,
                meta_user_id: &c.info.meta_user_id,
                page_id: c.info.page_id.as_deref(),
                scopes,
            };
            leads::check(graph, input, app_subscription.clone()).await
        })
        .buffer_unordered(usize::from(args.concurrency))
        .collect()
        .await;
    checks.sort_by_key(|c| c.tenant_id);
    ctx.printer.finish(&LeadsStatus { tenants: checks })
}
