//! `crm-meta migrate [run|status]`: create and upgrade the CRM's Meta tables.

use anyhow::Result;
use serde::Serialize;

use super::Context;
use crate::cli::{MigrateArgs, MigrateCommand};
use crate::error::Exit;
use crate::output::{Printer, Report, new_table};
use crate::store::{MigrationInfo, MigrationStatus, Store};

#[derive(Serialize)]
struct RunReport {
    /// Migrations this run found pending and that are now applied.
    newly_applied: Vec<MigrationInfo>,
    #[serde(flatten)]
    status: MigrationStatus,
    #[serde(skip)]
    target: String,
}

impl Report for RunReport {
    fn show(&self, out: &Printer) {
        for m in &self.newly_applied {
            out.line(format!("applied {:>4}  {}", m.version, m.description));
        }
        out.line(format!(
            "{} is up to date ({} migrations applied).",
            self.target,
            self.status.applied.len()
        ));
    }
}

#[derive(Serialize)]
#[serde(transparent)]
struct StatusReport(MigrationStatus);

impl Report for StatusReport {
    fn show(&self, out: &Printer) {
        let mut table = new_table(["VERSION", "DESCRIPTION", "STATE"]);
        for (list, state) in [(&self.0.applied, "applied"), (&self.0.pending, "pending")] {
            for m in list {
                table.add_row([
                    m.version.to_string(),
                    m.description.clone(),
                    state.to_owned(),
                ]);
            }
        }
        out.table(&table);
        if !self.0.pending.is_empty() {
            out.note(format!(
                "{} pending: run `crm-meta migrate`.",
                self.0.pending.len()
            ));
        }
    }

    fn exit(&self) -> Exit {
        if self.0.pending.is_empty() {
            Exit::Success
        } else {
            Exit::Problem
        }
    }
}

pub async fn run(ctx: &Context, args: MigrateArgs) -> Result<Exit> {
    let target = ctx.database()?;
    let store = Store::connect(&target).await?;
    let result = match args.command.unwrap_or(MigrateCommand::Run) {
        MigrateCommand::Run => apply(&store, target.display()).await,
        MigrateCommand::Status => status(&store).await,
    };
    store.close().await;
    match result? {
        Migrate::Run(report) => ctx.printer.finish(&report),
        Migrate::Status(report) => ctx.printer.finish(&report),
    }
}

enum Migrate {
    Run(RunReport),
    Status(StatusReport),
}

async fn apply(store: &Store, target: String) -> Result<Migrate> {
    let newly_applied = store.migrate().await?;
    let status = store.migration_status().await?;
    Ok(Migrate::Run(RunReport {
        newly_applied,
        status,
        target,
    }))
}

async fn status(store: &Store) -> Result<Migrate> {
    Ok(Migrate::Status(StatusReport(
        store.migration_status().await?,
    )))
}
