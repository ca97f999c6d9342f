//! `crm-meta test-connection --tenant N | --all`: live checks of stored
//! tokens. Results are recorded; a check that could not reach Meta records
//! nothing and never touches a token.

use anyhow::Result;
use chrono::Utc;
use futures::{StreamExt, TryStreamExt, stream};
use serde::Serialize;

use super::Context;
use crate::cli::TestConnectionArgs;
use crate::error::Exit;
use crate::fleet;
use crate::graph::versions::Clock;
use crate::output::{Format, Printer, Report, Row, date_with_distance, new_table};
use crate::store::Connection;
use crate::token::SharedUsers;
use crate::token::check::{CheckResult, check_connection};
use crate::token::{DEFAULT_WARNING_DAYS, TokenStatus};

/// Live tokens of a settled batch whose reads (`/me`, a business manager)
/// run at once.
const CONCURRENCY: usize = 8;

pub async fn run(ctx: &Context, args: TestConnectionArgs) -> Result<Exit> {
    let graph = ctx.graph(&Clock::BOTH)?;
    ctx.limit_usage(&graph, &args.usage);
    let target = ctx.database()?;
    let keys = ctx.key_settings(&target)?;
    let required = ctx.settings.required_scopes();
    let store = ctx.store(&target).await?;
    let cipher = ctx.keyring(&store, keys).await?;
    // Only the Meta users shared by several tenants are held, not the fleet.
    let users = store.shared_meta_users().await?;
    let shared_users = SharedUsers::new(users.iter().map(|(id, user)| (*id, user.as_str())));
    let now = Utc::now();
    let check = async |c: &Connection, answer| {
        let shared_with = shared_users.others(c.info.tenant_id, &c.info.meta_user_id);
        check_connection(
            &graph,
            c,
            answer,
            &required,
            DEFAULT_WARNING_DAYS,
            shared_with,
        )
        .await
    };
    // A check that reached Meta is recorded; an unreachable one says nothing.
    let record = async |batch: &[(Connection, CheckResult)]| {
        let checked: Vec<_> = batch
            .iter()
            .filter(|(_, r)| r.reached_meta())
            .map(|(c, r)| (r.view.tenant_id, c.stored_as.clone(), r.view.status))
            .collect();
        store.record_checks(&checked, now).await
    };

    if let Some(tenant_id) = args.tenant {
        // One tenant: a plain debug_token call, no batch.
        let c = ctx.connection(&store, &cipher, tenant_id).await?;
        let result = check(&c, graph.debug_token(&c.access_token).await).await;
        record(&[(c, result.clone())]).await?;
        store.close().await;
        return ctx.printer.finish(&Checked::One(result));
    }

    // The fleet streams: connections a page at a time from the store, each
    // batch's results recorded and written out while later batches are on
    // the network. Only the counts and the problems the table shows are held.
    let mut rows = ctx.printer.rows::<CheckResult>(Format::Table, "tenants")?;
    let mut counts = Counts::default();
    let batches = fleet::stored_connections(&store, &cipher, None)
        .map_ok(fleet::with_tokens)
        .map_err(anyhow::Error::from);
    fleet::check_and_write(
        &graph,
        batches,
        fleet::DEFAULT_CONCURRENCY,
        |_| {},
        |settled| settled,
        async |answers: fleet::Settled<Connection>| -> Result<()> {
            // Each live token also reads /me and a business manager.
            let batch: Vec<(Connection, CheckResult)> = stream::iter(answers)
                .map(|(c, answer)| async {
                    let result = check(&c, answer).await;
                    (c, result)
                })
                .buffered(CONCURRENCY)
                .collect()
                .await;
            record(&batch).await?;
            for (_, result) in batch {
                counts.count(result.view.status);
                let shown = !usable(result.view.status);
                rows.push(result, shown)?;
            }
            Ok(())
        },
    )
    .await?;
    store.close().await;
    let problems = rows.close()?;
    let report = Checked::All { counts, problems };
    if ctx.printer.is_json() {
        return Ok(report.exit());
    }
    ctx.printer.finish(&report)
}

/// Tokens the CRM can use: `ok`, or `expiring` (still working).
fn usable(status: TokenStatus) -> bool {
    matches!(status, TokenStatus::Ok | TokenStatus::Expiring)
}

/// How many tokens were checked, by outcome.
#[derive(Debug, Default, Serialize)]
struct Counts {
    checked: usize,
    usable: usize,
    unreachable: usize,
}

impl Counts {
    fn count(&mut self, status: TokenStatus) {
        self.checked += 1;
        if usable(status) {
            self.usable += 1;
        } else if status == TokenStatus::Unreachable {
            self.unreachable += 1;
        }
    }
}

impl Row for CheckResult {}

/// One tenant's check as a token view; for `--all`, the counts and the
/// problems (the rows themselves were streamed as `{"tenants": […]}`).
#[derive(Serialize)]
#[serde(untagged)]
enum Checked {
    One(CheckResult),
    All {
        counts: Counts,
        problems: Vec<CheckResult>,
    },
}

impl Report for Checked {
    /// 0 when every token is usable (`ok` or `expiring`), 5 when the only
    /// problem is that Meta could not be asked, 3 otherwise.
    fn exit(&self) -> Exit {
        let (checked, usable_count, unreachable) = match self {
            Checked::One(r) => (
                1,
                usize::from(usable(r.view.status)),
                usize::from(r.view.status == TokenStatus::Unreachable),
            ),
            Checked::All { counts, .. } => (counts.checked, counts.usable, counts.unreachable),
        };
        if usable_count == checked {
            Exit::Success
        } else if usable_count + unreachable == checked {
            Exit::Meta
        } else {
            Exit::Problem
        }
    }

    fn show(&self, out: &Printer) {
        let results = match self {
            Checked::One(result) => std::slice::from_ref(result),
            Checked::All { counts, problems } => {
                if counts.checked == 0 {
                    out.note("No tenant is connected yet.");
                    return;
                }
                out.line(format!(
                    "Checked {} connection(s): {} usable, {} with a problem, {} Meta could not be asked about.",
                    counts.checked,
                    counts.usable,
                    counts.checked - counts.usable - counts.unreachable,
                    counts.unreachable
                ));
                problems.as_slice()
            }
        };
        if results.is_empty() {
            return;
        }
        let now = Utc::now();
        let mut table = new_table(["TENANT", "STATUS", "META USER", "EXPIRES", "DETAIL"]);
        for r in results {
            table.add_row([
                r.view.tenant_id.to_string(),
                r.view.status.to_string(),
                r.view.meta_user_id.clone().unwrap_or_default(),
                date_with_distance(r.view.expires_at, now),
                r.detail.clone().unwrap_or_default(),
            ]);
        }
        out.table(&table);
    }
}
