//! `crm-meta list-accounts --tenant N [--business ID]`: every business
//! manager with its owned and client ad accounts, and the user's personal
//! ones, every page. Refreshes the cached list in the store.

use anyhow::{Context as _, Result};
use serde_json::json;

use super::Context;
use crate::assets::{self, DEFAULT_CONCURRENCY};
use crate::cli::ListAccountsArgs;
use crate::error::{Exit, UserError};

pub async fn run(ctx: &Context, args: ListAccountsArgs) -> Result<Exit> {
    let tenant_id = args.tenant.tenant;
    let graph = ctx.graph()?;
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

    let selected = connection.info.ad_account_id.as_deref();
    if ctx.printer.is_json() {
        ctx.printer.json(&json!({
            "tenant_id": tenant_id,
            "business_managers": fetched.business_managers,
            "personal_ad_accounts": fetched.personal_ad_accounts,
            "selected_business_manager_id": connection.info.business_manager_id,
            "selected_ad_account_id": selected,
        }))?;
        return Ok(Exit::Success);
    }
    if fetched.ad_account_count() == 0 {
        ctx.printer.note(format!(
            "Tenant {tenant_id}'s Meta user reaches no ad accounts."
        ));
        return Ok(Exit::Success);
    }
    ctx.printer
        .table(&super::accounts_table(&fetched, selected));
    ctx.printer.note(format!(
        "{} business manager(s), {} ad account(s){}",
        fetched.business_managers.len(),
        fetched.ad_account_count(),
        if selected.is_some() {
            "; * marks the one the CRM syncs"
        } else {
            ""
        }
    ));
    Ok(Exit::Success)
}
