//! `crm-meta audit`: every stored token checked in Graph batches, results
//! recorded, a summary and the problems shown; for cron and scripts.

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Context;
use crate::cli::{AuditArgs, ReportFormat};
use crate::crypto::fingerprint;
use crate::error::Exit;
use crate::fleet;
use crate::graph::versions::Clock;
use crate::output::{Printer, Progress, Report, new_table};
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

/// `{"summary": …, "tenants": […]}`, serialized straight from the rows
/// (a `serde_json::Value` of 10,000 tenants would cost tens of megabytes).
#[derive(Serialize)]
struct AuditReport {
    summary: Summary,
    tenants: Vec<AuditRow>,
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
    let graph = ctx.graph(&[Clock::Graph])?;
    let target = ctx.database()?;
    let keys = ctx.key_settings(&target)?;
    let required = ctx.settings.required_scopes();
    let store = ctx.store(&target).await?;
    let cipher = ctx.keyring(&store, keys).await?;
    let stored = store.tokens(&cipher).await?;

    let shared = SharedUsers::new(
        stored
            .iter()
            .map(|t| (t.tenant_id, t.meta_user_id.as_str())),
    );
    let tokens: Vec<_> = stored.iter().map(|t| t.token.clone()).collect();
    let progress = match args.format {
        ReportFormat::Table => ctx.printer.progress(tokens.len() as u64, "checking tokens"),
        ReportFormat::Json | ReportFormat::Csv => Progress::hidden(),
    };
    let concurrency = args
        .concurrency
        .map_or(fleet::DEFAULT_CONCURRENCY, usize::from);
    let now = Utc::now();

    // An unreachable check says nothing about the token: only real answers
    // are recorded, while later batches are still on the network.
    let mut rows: Vec<Option<AuditRow>> = (0..stored.len()).map(|_| None).collect();
    let judge = |offset: usize, answers: Vec<_>| {
        let mut checked = Vec::with_capacity(answers.len());
        for (i, answer) in answers.iter().enumerate() {
            let t = &stored[offset + i];
            let a: Assessment = crate::token::assess(
                answer,
                graph.app_id(),
                &required,
                i64::from(args.within),
                now,
            );
            if a.status != TokenStatus::Unreachable {
                checked.push((t.tenant_id, t.stored_as.clone(), a.status));
            }
            rows[offset + i] = Some(AuditRow {
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
        checked
    };
    fleet::check_and_write(
        &graph,
        &tokens,
        concurrency,
        |n| progress.inc(n),
        judge,
        async |checked| store.record_checks(&checked, now).await,
    )
    .await?;
    progress.finish();
    store.close().await;

    let rows: Vec<AuditRow> = rows.into_iter().flatten().collect();
    let mut summary = Summary::default();
    for row in &rows {
        summary.count(row);
    }

    ctx.printer.finish_as(
        args.format.into(),
        &AuditReport {
            summary,
            tenants: rows,
        },
    )
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
        print_table(out, &self.summary, &self.tenants);
    }

    fn csv(&self, out: &mut csv::Writer<std::io::StdoutLock<'static>>) -> csv::Result<()> {
        out.write_record([
            "tenant_id",
            "status",
            "meta_user_id",
            "token_type",
            "expires_at",
            "data_access_expires_at",
            "shared_with",
            "detail",
        ])?;
        let date = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339()).unwrap_or_default();
        for r in &self.tenants {
            out.write_record([
                r.tenant_id.to_string(),
                r.status.to_string(),
                r.meta_user_id.clone().unwrap_or_default(),
                r.token_type.clone().unwrap_or_default(),
                date(r.expires_at),
                date(r.data_access_expires_at),
                r.shared_with
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
                crate::text::clean_line(r.detail.as_deref().unwrap_or_default()).into_owned(),
            ])?;
        }
        Ok(())
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
