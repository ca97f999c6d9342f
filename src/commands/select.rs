//! `crm-meta select --tenant N [--business ID --ad-account act_…]`: the
//! business manager and ad account the CRM syncs for a tenant. Also the last
//! step of `connect`. The choice must be one the token can reach, checked
//! live against Meta.

use anyhow::{Context as _, Result};
use serde::Serialize;
use serde_json::json;

use super::{Chosen, Context};
use crate::assets::{self, DEFAULT_CONCURRENCY, Reachable};
use crate::cli::SelectArgs;
use crate::error::{Exit, UserError};
use crate::graph::versions::Clock;
use crate::output::{Printer, Report};
use crate::store::{AuditEntry, Store};

/// Stores a choice with its audit row.
pub async fn record(store: &Store, tenant_id: i32, chosen: &Reachable<'_>) -> Result<()> {
    let business = chosen.business.map(|(id, _)| id);
    let audit = AuditEntry::new(
        tenant_id,
        "select",
        json!({ "business_manager_id": business, "ad_account_id": chosen.account.id, "ad_account_name": chosen.account.name }),
    );
    if !store
        .set_selection(tenant_id, business, &chosen.account.id, &audit)
        .await?
    {
        return Err(crate::error::NotConnected { tenant_id }.into());
    }
    Ok(())
}

pub async fn run(ctx: &Context, args: SelectArgs) -> Result<Exit> {
    let tenant_id = args.tenant.tenant;
    let graph = ctx.graph(&Clock::BOTH)?;
    let (store, connection) = ctx.open_connection(tenant_id).await?;
    let fetched = assets::fetch(
        &graph,
        &connection.access_token,
        args.choice.business.as_deref(),
        DEFAULT_CONCURRENCY,
    )
    .await
    .context("reading the ad accounts this tenant's token reaches")?;
    let options = assets::reachable(&fetched);
    let chosen = match ctx.choose_account(&options, &args.choice)? {
        Chosen::Picked(chosen) => chosen,
        Chosen::Undecided(why) => return Err(UserError(why).into()),
    };
    if !chosen.account.is_usable() {
        ctx.printer.warn(format!(
            "{} is {}: the CRM cannot sync it until Meta reactivates it",
            chosen.account.id, chosen.account.status
        ));
    }
    record(&store, tenant_id, chosen).await?;
    store.close().await;
    ctx.printer.finish(&Selected::new(tenant_id, chosen))
}

/// The account the CRM now syncs for a tenant.
#[derive(Serialize)]
pub struct Selected {
    pub tenant_id: i32,
    pub business_manager_id: Option<String>,
    #[serde(skip)]
    pub business_manager_name: Option<String>,
    pub ad_account_id: String,
    pub ad_account_name: String,
    pub ad_account_status: String,
}

impl Selected {
    pub fn new(tenant_id: i32, chosen: &Reachable<'_>) -> Self {
        Self {
            tenant_id,
            business_manager_id: chosen.business.map(|(id, _)| id.to_owned()),
            business_manager_name: chosen.business.map(|(_, name)| name.to_owned()),
            ad_account_id: chosen.account.id.clone(),
            ad_account_name: chosen.account.name.clone(),
            ad_account_status: chosen.account.status.clone(),
        }
    }
}

impl Report for Selected {
    fn show(&self, out: &Printer) {
        let via = match (&self.business_manager_id, &self.business_manager_name) {
            (Some(id), Some(name)) => format!(" in {name} ({id})"),
            _ => " (personal)".into(),
        };
        out.line(format!(
            "Tenant {} syncs {} {}{via}.",
            self.tenant_id, self.ad_account_id, self.ad_account_name
        ));
    }
}
