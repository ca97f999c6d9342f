//! `crm-meta log [--tenant N] [--action A] [--since DATE] [--limit N]`: the
//! audit log, newest first. Reads no token, so it needs no key.

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Context;
use crate::cli::LogArgs;
use crate::error::Exit;
use crate::output::{Printer, Report, new_table};
use crate::store::AuditFilter;

#[derive(Serialize)]
struct Entry {
    at: DateTime<Utc>,
    tenant_id: i32,
    action: String,
    actor: String,
    token_fingerprint: Option<String>,
    detail: serde_json::Value,
}

#[derive(Serialize)]
struct LogReport {
    entries: Vec<Entry>,
}

pub async fn run(ctx: &Context, args: LogArgs) -> Result<Exit> {
    let target = ctx.database()?;
    let store = ctx.store(&target).await?;
    let filter = AuditFilter {
        tenant_id: args.tenant,
        action: args.action,
        since: args.since,
    };
    let records = store.audit_entries(&filter, args.limit).await?;
    store.close().await;
    let entries = records
        .into_iter()
        .map(|r| Entry {
            at: r.created_at,
            tenant_id: r.entry.tenant_id,
            token_fingerprint: r
                .entry
                .detail
                .get("token_fingerprint")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
            action: r.entry.action,
            actor: r.entry.actor,
            detail: r.entry.detail,
        })
        .collect();
    ctx.printer.finish(&LogReport { entries })
}

impl Report for LogReport {
    fn show(&self, out: &Printer) {
        if self.entries.is_empty() {
            out.note("No audit entries match.");
            return;
        }
        let mut table = new_table(["AT", "TENANT", "ACTION", "ACTOR", "TOKEN", "DETAIL"]);
        for e in &self.entries {
            let mut detail = e.detail.clone();
            if let Some(map) = detail.as_object_mut() {
                map.remove("token_fingerprint");
            }
            table.add_row([
                e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                e.tenant_id.to_string(),
                e.action.clone(),
                e.actor.clone(),
                e.token_fingerprint.clone().unwrap_or_default(),
                detail.to_string(),
            ]);
        }
        out.table(&table);
    }
}
