//! `crm-meta list-accounts --tenant N [--business ID]`: every business
//! manager with its owned and client ad accounts, and the user's personal
//! ones, every page. Refreshes the cached list in the store.

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::Context;
use crate::assets::{self, Assets, DEFAULT_CONCURRENCY};
use crate::cli::ListAccountsArgs;
use crate::error::{Exit, UserError};
use crate::graph::versions::Clock;
use crate::output::{Printer, Report};

pub async fn run(ctx: &Context, args: ListAccountsArgs) -> Result<Exit> {
    let tenant_id = args.tenant.tenant;
    let graph = ctx.graph(&Clock::BOTH)?;
    let (store, connection) = ctx.open_connection(tenant_id).await?;
    let fetched = assets::fetch(
        &graph,
        &connection.access_token,
        args.business.as_deref(),
        DEFAULT_CONCURRENCY,
    )
    .await
    .context("reading business managers and ad accounts from Meta")?;
    if let Some(business) = &args.business {
        if fetched.business_managers.is_empty() {
            return Err(UserError(format!(
                "business manager {business} is not among those tenant {tenant_id}'s token reaches; run without --business to see them"
            ))
            .into());
        }
    } else {
        store
            .update_business_managers(
                tenant_id,
                &serde_json::to_value(&fetched.business_managers)?,
            )
            .await?;
    }
    store.close().await;

    ctx.printer.finish(&AccountsReport {
        tenant_id,
        assets: fetched,
        selected_business_manager_id: connection.info.business_manager_id.clone(),
        selected_ad_account_id: connection.info.ad_account_id.clone(),
    })
}

#[derive(Serialize)]
struct AccountsReport {
    tenant_id: i32,
    #[serde(flatten)]
    assets: Assets,
    selected_business_manager_id: Option<String>,
    selected_ad_account_id: Option<String>,
}

impl Report for AccountsReport {
    fn show(&self, out: &Printer) {
        let assets = &self.assets;
        if assets.ad_account_count() == 0 {
            out.note(format!(
                "Tenant {}'s Meta user reaches no ad accounts.",
                self.tenant_id
            ));
            return;
        }
        let selected = self.selected_ad_account_id.as_deref();
        out.table(&super::accounts_table(assets, selected));
        out.note(format!(
            "{} business manager(s), {} ad account(s){}",
            assets.business_managers.len(),
            assets.ad_account_count(),
            if selected.is_some() {
                "; * marks the one the CRM syncs"
            } else {
                ""
            }
        ));
    }
}
