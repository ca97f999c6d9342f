//! `crm-meta audit`: every stored token checked in Graph batches, results
//! recorded, a summary and the problems shown; for cron and scripts. Tokens
//! stream from the store a page at a time and rows stream to stdout (JSON,
//! CSV) or to the Prometheus families as they are judged: only the counts
//! and the problems the table shows are held.

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde::Serialize;

use super::Context;
use crate::cli::AuditArgs;
use crate::crypto::fingerprint;
use crate::error::Exit;
use crate::fleet;
use crate::graph::versions::Clock;
use crate::output::prometheus::{Metrics, RunFacts};
use crate::output::{Format, Printer, Progress, Report, Row, ignore_closed_pipe, new_table};
use crate::store::StoredToken;
use crate::token::Assessment;
use crate::token::SharedUsers;
use crate::token::TokenStatus;

/// One tenant's line of the audit, with the contract's token-view keys.
#[derive(Debug, Serialize)]
struct AuditRow {
    tenant_id: i32,
    status: TokenStatus,
    meta_user_id: Option<String>,
    token_type: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    data_access_expires_at: Option<DateTime<Utc>>,
    never_expires: bool,
    scopes: Vec<String>,
    missing_scopes: Vec<String>,
    shared_with: Vec<i32>,
    token_fingerprint: String,
    detail: Option<String>,
}

/// The audit's result once every row has streamed past: the counts, and
/// the rows the table shows (the problems; none in other formats).
struct AuditReport {
    summary: Summary,
    problems: Vec<AuditRow>,
}

/// What follows the streamed `tenants` in the JSON document.
#[derive(Serialize)]
struct Trailer<'a> {
    summary: &'a Summary,
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    total: usize,
    ok: usize,
    expiring: usize,
    expired: usize,
    invalid: usize,
    missing_scope: usize,
    unreachable: usize,
    /// Valid tokens that never expire (system users), counted apart from the rest.
    never_expires: usize,
}

impl Summary {
    fn count(&mut self, row: &AuditRow) {
        self.total += 1;
        match row.status {
            TokenStatus::Ok => self.ok += 1,
            TokenStatus::Expiring => self.expiring += 1,
            TokenStatus::Expired => self.expired += 1,
            TokenStatus::Invalid => self.invalid += 1,
            TokenStatus::MissingScope => self.missing_scope += 1,
            TokenStatus::Unreachable | TokenStatus::NotConnected => self.unreachable += 1,
        }
        if row.never_expires {
            self.never_expires += 1;
        }
    }
}

pub async fn run(ctx: &Context, args: AuditArgs) -> Result<Exit> {
    let started = std::time::Instant::now();
    let graph = ctx.graph(&[Clock::Graph])?;
    ctx.limit_usage(&graph, &args.usage);
    let target = ctx.database()?;
    let keys = ctx.key_settings(&target)?;
    let required = ctx.settings.required_scopes();
    let store = ctx.store(&target).await?;
    let cipher = ctx.keyring(&store, keys).await?;
    let format: Format = if ctx.printer.is_json() {
        Format::Json
    } else {
        args.format.into()
    };

    // Only the Meta users shared by several tenants are held, not the fleet.
    let shared = store.shared_meta_users().await?;
    let shared = SharedUsers::new(shared.iter().map(|(id, user)| (*id, user.as_str())));
    let progress = match format {
        Format::Table => ctx
            .printer
            .progress(store.connection_count().await?, "checking tokens"),
        _ => Progress::hidden(),
    };
    let _usage_note = ctx.follow_usage(&graph, &progress);
    let concurrency = args
        .concurrency
        .map_or(fleet::DEFAULT_CONCURRENCY, usize::from);
    let now = Utc::now();
    let mut rows = ctx.printer.rows::<AuditRow>(format, "tenants")?;
    let mut metrics = match (format, &args.metrics_file) {
        (Format::Prometheus, _) | (_, Some(_)) => Some(Metrics::new()?),
        _ => None,
    };
    let mut summary = Summary::default();

    // An unreachable check says nothing about the token: only real answers
    // are recorded, while later batches are still on the network.
    let batches = fleet::stored_tokens(&store, &cipher)
        .map_ok(|batch| {
            batch
                .into_iter()
                .map(|t| (t.token.clone(), t))
                .collect::<Vec<_>>()
        })
        .map_err(anyhow::Error::from);
    let judge = |batch: fleet::Settled<StoredToken>| {
        let mut checked = Vec::with_capacity(batch.len());
        let mut judged = Vec::with_capacity(batch.len());
        for (t, answer) in batch {
            let a: Assessment = crate::token::assess(
                &answer,
                graph.app_id(),
                &required,
                i64::from(args.within),
                now,
            );
            if a.status != TokenStatus::Unreachable {
                checked.push((t.tenant_id, t.stored_as.clone(), a.status));
            }
            judged.push(AuditRow {
                tenant_id: t.tenant_id,
                status: a.status,
                meta_user_id: Some(a.meta_user_id.unwrap_or_else(|| t.meta_user_id.clone())),
                token_type: a.token_type,
                expires_at: a.expires_at,
                data_access_expires_at: a.data_access_expires_at,
                never_expires: a.never_expires,
                scopes: a.scopes,
                missing_scopes: a.missing_scopes,
                shared_with: shared.others(t.tenant_id, &t.meta_user_id),
                token_fingerprint: fingerprint(&t.token),
                detail: a.detail,
            });
        }
        (checked, judged)
    };
    fleet::check_and_write(
        &graph,
        batches,
        concurrency,
        |n| progress.inc(n),
        judge,
        async |(checked, judged): (Vec<_>, Vec<AuditRow>)| -> Result<()> {
            store.record_checks(&checked, now).await?;
            for row in judged {
                summary.count(&row);
                if let Some(metrics) = metrics.as_mut() {
                    metrics.tenant(
                        row.tenant_id,
                        row.status,
                        row.expires_at,
                        row.data_access_expires_at,
                    )?;
                }
                let shown = row.status != TokenStatus::Ok;
                rows.push(row, shown)?;
            }
            Ok(())
        },
    )
    .await?;
    progress.finish();
    store.close().await;
    let problems = rows.finish(&Trailer { summary: &summary })?;

    if let Some(metrics) = metrics {
        let run = RunFacts {
            finished_at: Utc::now(),
            duration_seconds: started.elapsed().as_secs_f64(),
            graph_requests: graph.requests_sent(),
        };
        match (&args.metrics_file, format) {
            (Some(path), Format::Prometheus) => {
                metrics
                    .write_file(path, &run)
                    .with_context(|| format!("writing the metrics to {}", path.display()))?;
                let mut file = std::fs::File::open(path)?;
                let mut out = std::io::stdout().lock();
                ignore_closed_pipe(std::io::copy(&mut file, &mut out).map(|_| ()))?;
            }
            (Some(path), _) => metrics
                .write_file(path, &run)
                .with_context(|| format!("writing the metrics to {}", path.display()))?,
            (None, _) => {
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                ignore_closed_pipe(metrics.write_to(&mut out, &run))?;
            }
        }
    }

    let report = AuditReport { summary, problems };
    match format {
        Format::Table => ctx.printer.finish(&report),
        // The rows and the metrics are out already.
        _ => Ok(report.exit()),
    }
}

impl Serialize for AuditReport {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Trailer {
            summary: &self.summary,
        }
        .serialize(serializer)
    }
}

impl Report for AuditReport {
    /// 0 when every token is `ok`; 5 when Meta could not be asked about some
    /// and nothing else is wrong; 3 otherwise.
    fn exit(&self) -> Exit {
        let s = &self.summary;
        let problems = s.expiring + s.expired + s.invalid + s.missing_scope;
        if problems > 0 {
            Exit::Problem
        } else if s.unreachable > 0 {
            Exit::Meta
        } else {
            Exit::Success
        }
    }

    fn show(&self, out: &Printer) {
        print_table(out, &self.summary, &self.problems);
    }
}

impl Row for AuditRow {
    const CSV_HEADER: &'static [&'static str] = &[
        "tenant_id",
        "status",
        "meta_user_id",
        "token_type",
        "expires_at",
        "data_access_expires_at",
        "shared_with",
        "detail",
    ];

    fn csv_record(&self) -> Vec<String> {
        let date = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339()).unwrap_or_default();
        vec![
            self.tenant_id.to_string(),
            self.status.to_string(),
            self.meta_user_id.clone().unwrap_or_default(),
            self.token_type.clone().unwrap_or_default(),
            date(self.expires_at),
            date(self.data_access_expires_at),
            self.shared_with
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            crate::text::clean_line(self.detail.as_deref().unwrap_or_default()).into_owned(),
        ]
    }
}

fn print_table(out: &Printer, s: &Summary, rows: &[AuditRow]) {
    let mut summary = new_table([
        "TOTAL",
        "OK",
        "EXPIRING",
        "EXPIRED",
        "INVALID",
        "MISSING SCOPE",
        "UNREACHABLE",
        "NEVER EXPIRE",
    ]);
    summary.add_row(
        [
            s.total,
            s.ok,
            s.expiring,
            s.expired,
            s.invalid,
            s.missing_scope,
            s.unreachable,
            s.never_expires,
        ]
        .map(|n| n.to_string()),
    );
    out.table(&summary);
    let problems: Vec<&AuditRow> = rows
        .iter()
        .filter(|r| r.status != TokenStatus::Ok)
        .collect();
    if problems.is_empty() {
        return;
    }
    let mut table = new_table(["TENANT", "STATUS", "META USER", "SHARED WITH", "DETAIL"]);
    for r in problems {
        table.add_row([
            r.tenant_id.to_string(),
            r.status.to_string(),
            r.meta_user_id.clone().unwrap_or_default(),
            r.shared_with
                .iter()
                .map(i32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            r.detail.clone().unwrap_or_default(),
        ]);
    }
    out.table(&table);
}
