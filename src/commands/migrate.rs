//! `crm-meta migrate [run|status]`: create and upgrade the CRM's Meta tables.

use anyhow::Result;
use serde::Serialize;

use super::Context;
use crate::cli::{MigrateArgs, MigrateCommand};
use crate::error::Exit;
use crate::output::new_table;
use crate::store::{MigrationInfo, MigrationStatus, Store};

#[derive(Serialize)]
struct RunReport<'a> {
    /// Migrations this run found pending and that are now applied.
    newly_applied: &'a [MigrationInfo],
    #[serde(flatten)]
    status: &'a MigrationStatus,
}

pub async fn run(ctx: &Context, args: MigrateArgs) -> Result<Exit> {
    let target = ctx.database()?;
    let store = Store::connect(&target).await?;
    let result = match args.command.unwrap_or(MigrateCommand::Run) {
        MigrateCommand::Run => apply(ctx, &store, &target.display()).await,
        MigrateCommand::Status => status(ctx, &store).await,
    };
    store.close().await;
    result
}

async fn apply(ctx: &Context, store: &Store, target: &str) -> Result<Exit> {
    let newly_applied = store.migrate().await?;
    let status = store.migration_status().await?;
    if ctx.printer.is_json() {
        ctx.printer.json(&RunReport {
            newly_applied: &newly_applied,
            status: &status,
        })?;
    } else if newly_applied.is_empty() {
        ctx.printer.line(format!(
            "{target} is up to date ({} migrations applied).",
            status.applied.len()
        ));
    } else {
        for m in &newly_applied {
            ctx.printer
                .line(format!("applied {:>4}  {}", m.version, m.description));
        }
        ctx.printer.line(format!(
            "{target} is up to date ({} migrations applied).",
            status.applied.len()
        ));
    }
    Ok(Exit::Success)
}

async fn status(ctx: &Context, store: &Store) -> Result<Exit> {
    let status = store.migration_status().await?;
    if ctx.printer.is_json() {
        ctx.printer.json(&status)?;
    } else {
        let mut table = new_table(["VERSION", "DESCRIPTION", "STATE"]);
        for (list, state) in [(&status.applied, "applied"), (&status.pending, "pending")] {
            for m in list {
                table.add_row([
                    m.version.to_string(),
                    m.description.clone(),
                    state.to_owned(),
                ]);
            }
        }
        ctx.printer.table(&table);
        if !status.pending.is_empty() {
            ctx.printer.note(format!(
                "{} pending: run `crm-meta migrate`.",
                status.pending.len()
            ));
        }
    }
    Ok(if status.pending.is_empty() {
        Exit::Success
    } else {
        Exit::Problem
    })
}
