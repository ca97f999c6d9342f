//! `crm-meta leads subscribe --tenant N` and `leads status --tenant N | --all`:
//! the tenant's Page installs the app for `leadgen`, and every piece the
//! lead flow needs is checked with Meta. Page tokens are derived from the
//! stored user token at call time and never stored or printed.

use anyhow::{Context as _, Result};
use futures::{StreamExt, TryStreamExt, stream};
use serde::Serialize;
use serde_json::json;

use super::Context;
use crate::cli::{LeadsCommand, LeadsStatusArgs, TenantArg};
use crate::error::{Exit, UserError};
use crate::fleet;
use crate::graph::versions::Clock;
use crate::graph::{DebugToken, GraphError};
use crate::leads::{self, LEADGEN, LeadsCheck, LeadsInput};
use crate::output::{Format, Printer, Report, Row, new_table};
use crate::store::{AuditEntry, Connection};

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

/// One tenant's lead flow (as `{"tenants": [it]}`), or (`--all`) how many
/// were checked and the tenants with a problem (the rows themselves were
/// streamed as `{"tenants": […]}`).
#[derive(Serialize)]
#[serde(untagged)]
enum LeadsStatus {
    One {
        tenants: [LeadsCheck; 1],
    },
    All {
        counts: Counts,
        problems: Vec<LeadsCheck>,
    },
}

/// How many tenants were checked, by outcome.
#[derive(Debug, Default, Clone, Copy, Serialize)]
struct Counts {
    checked: usize,
    ok: usize,
    unreachable: usize,
}

impl Counts {
    fn count(&mut self, check: &LeadsCheck) {
        self.checked += 1;
        match check.status {
            "ok" => self.ok += 1,
            "unreachable" => self.unreachable += 1,
            _ => {}
        }
    }
}

impl Row for LeadsCheck {}

impl Report for LeadsStatus {
    /// 5 when Meta could not be asked about a tenant, 0 when every check of
    /// every tenant passed, 3 otherwise.
    fn exit(&self) -> Exit {
        let counts = match self {
            LeadsStatus::One { tenants: [check] } => {
                let mut counts = Counts::default();
                counts.count(check);
                counts
            }
            LeadsStatus::All { counts, .. } => *counts,
        };
        if counts.unreachable > 0 {
            Exit::Meta
        } else if counts.ok == counts.checked {
            Exit::Success
        } else {
            Exit::Problem
        }
    }

    fn show(&self, p: &Printer) {
        let shown = match self {
            LeadsStatus::One { tenants } => tenants.as_slice(),
            LeadsStatus::All { counts, problems } => {
                if counts.checked == 0 {
                    p.note("No tenant is connected yet.");
                    return;
                }
                p.line(format!(
                    "Checked {} connected tenant(s): {} ready for leads, {} with a problem, {} Meta could not be asked about.",
                    counts.checked,
                    counts.ok,
                    counts.checked - counts.ok - counts.unreachable,
                    counts.unreachable
                ));
                problems.as_slice()
            }
        };
        if shown.is_empty() {
            return;
        }
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        let mut table = new_table([
            "TENANT",
            "PAGE",
            "INSTALLED",
            "LEAD ACCESS",
            "PERMISSIONS",
            "APP WEBHOOK",
            "STATUS",
        ]);
        for t in shown {
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
        for t in shown {
            for problem in &t.problems {
                p.line(format!("tenant {}: {problem}", t.tenant_id));
            }
        }
    }
}

/// The token's scopes from `debug_token` (none when it is not valid).
fn scopes_of(answer: Result<DebugToken, GraphError>) -> Result<Vec<String>, GraphError> {
    answer.map(|d| if d.is_valid { d.scopes } else { Vec::new() })
}

fn input_of(c: &Connection, scopes: Result<Vec<String>, GraphError>) -> LeadsInput<'_> {
    LeadsInput {
        tenant_id: c.info.tenant_id,
        token: &c.access_token,
        meta_user_id: &c.info.meta_user_id,
        page_id: c.info.page_id.as_deref(),
        scopes,
    }
}

async fn status(ctx: &Context, args: LeadsStatusArgs) -> Result<Exit> {
    let graph = ctx.graph(&[Clock::Graph])?;
    ctx.limit_usage(&graph, &args.usage);
    let target = ctx.database()?;
    let keys = ctx.key_settings(&target)?;
    let store = ctx.store(&target).await?;
    let cipher = ctx.keyring(&store, keys).await?;
    if let Some(tenant_id) = args.tenant {
        let c = ctx.connection(&store, &cipher, tenant_id).await?;
        store.close().await;
        let app_subscription = leads::app_subscribed(&graph).await;
        let scopes = scopes_of(graph.debug_token(&c.access_token).await);
        let check = leads::check(&graph, input_of(&c, scopes), app_subscription).await;
        return ctx.printer.finish(&LeadsStatus::One { tenants: [check] });
    }

    // The fleet streams: connections a page at a time, their scopes by
    // debug_token in Graph batches; the Page checks carry each tenant's own
    // Page token, so they go one tenant at a time, several at once. Only the
    // counts and the problems the table shows are held.
    let app_subscription = leads::app_subscribed(&graph).await;
    let mut rows = ctx.printer.rows::<LeadsCheck>(Format::Table, "tenants")?;
    let mut counts = Counts::default();
    let batches = fleet::stored_connections(&store, &cipher, None)
        .map_ok(fleet::with_tokens)
        .map_err(anyhow::Error::from);
    let (graph, app_subscription) = (&graph, &app_subscription);
    fleet::check_and_write(
        graph,
        batches,
        fleet::DEFAULT_CONCURRENCY,
        |_| {},
        |settled| settled,
        async |answers: fleet::Settled<Connection>| -> Result<()> {
            let checks: Vec<LeadsCheck> = stream::iter(answers)
                .map(|(c, answer)| async move {
                    let input = input_of(&c, scopes_of(answer));
                    leads::check(graph, input, app_subscription.clone()).await
                })
                .buffered(usize::from(args.concurrency))
                .collect()
                .await;
            for check in checks {
                counts.count(&check);
                let shown = check.status != "ok";
                rows.push(check, shown)?;
            }
            Ok(())
        },
    )
    .await?;
    store.close().await;
    let problems = rows.close()?;
    let report = LeadsStatus::All { counts, problems };
    if ctx.printer.is_json() {
        return Ok(report.exit());
    }
    ctx.printer.finish(&report)
}
