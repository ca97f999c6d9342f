//! `crm-meta select --tenant N [--business ID --ad-account act_…]`: the
//! business manager and ad account the CRM syncs for a tenant. Also the last
//! step of `connect`. The choice must be one the token can reach, checked
//! live against Meta.

use anyhow::{Context as _, Result};
use serde::Serialize;
use serde_json::json;

use super::{Chosen, Context, PagePick};
use crate::assets::{self, DEFAULT_CONCURRENCY, Reachable};
use crate::cli::SelectArgs;
use crate::error::{Exit, UserError};
use crate::graph::GraphClient;
use crate::graph::pages::ManagedPage;
use crate::graph::versions::Clock;
use crate::output::{Printer, Report};
use crate::store::{AuditEntry, Store};
use secrecy::SecretString;

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

/// The Pages the token's user has a role on; a token without
/// `pages_show_list` is refused with the fix.
pub async fn pages_of(
    graph: &GraphClient,
    token: &SecretString,
    tenant_id: i32,
) -> Result<Vec<ManagedPage>> {
    match graph.pages(token).await {
        Ok(pages) => Ok(pages),
        Err(e) if e.api().is_some_and(|a| a.is_permission()) => Err(UserError(format!(
            "tenant {tenant_id}'s token cannot list Pages ({e}); nothing was stored. \
             Run `crm-meta connect --tenant {tenant_id}` and grant pages_show_list"
        ))
        .into()),
        Err(e) => Err(anyhow::Error::new(e).context("reading the user's Pages")),
    }
}

/// Stores the tenant's Page with its audit row.
pub async fn record_page(store: &Store, tenant_id: i32, page: &ManagedPage) -> Result<()> {
    let audit = AuditEntry::new(
        tenant_id,
        "select_page",
        json!({ "page_id": page.id, "page_name": page.name, "tasks": page.tasks }),
    );
    if !store.set_page(tenant_id, &page.id, &audit).await? {
        return Err(crate::error::NotConnected { tenant_id }.into());
    }
    Ok(())
}

pub async fn run(ctx: &Context, args: SelectArgs) -> Result<Exit> {
    let tenant_id = args.tenant.tenant;
    let account_too = args.page.is_none() || args.choice.ad_account.is_some();
    let graph = ctx.graph(if account_too {
        &Clock::BOTH
    } else {
        &[Clock::Graph]
    })?;
    let (store, connection) = ctx.open_connection(tenant_id).await?;
    let mut report = Selection {
        account: None,
        page: None,
        tenant_id,
    };
    if let Some(requested) = args.page.as_deref() {
        let pages = pages_of(&graph, &connection.access_token, tenant_id).await?;
        let page = match ctx.choose_page(&pages, Some(requested))? {
            PagePick::Picked(page) => page,
            PagePick::Undecided(why) => return Err(UserError(why).into()),
        };
        record_page(&store, tenant_id, page).await?;
        report.page = Some(PageSelected {
            page_id: page.id.clone(),
            page_name: page.name.clone(),
        });
        if !account_too {
            store.close().await;
            return ctx.printer.finish(&report);
        }
    }
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
    report.account = Some(Selected::new(tenant_id, chosen));
    ctx.printer.finish(&report)
}

/// What `select` chose: the ad account, the Page, or both.
#[derive(Serialize)]
struct Selection {
    tenant_id: i32,
    #[serde(flatten)]
    account: Option<Selected>,
    #[serde(flatten)]
    page: Option<PageSelected>,
}

#[derive(Serialize)]
struct PageSelected {
    page_id: String,
    page_name: String,
}

impl Report for Selection {
    fn show(&self, out: &Printer) {
        if let Some(account) = &self.account {
            account.show(out);
        }
        if let Some(page) = &self.page {
            out.line(format!(
                "Tenant {}'s lead ads come from Page {} {}. Next: `crm-meta leads subscribe --tenant {}`.",
                self.tenant_id, page.page_id, page.page_name, self.tenant_id
            ));
        }
    }
}

/// The account the CRM now syncs for a tenant.
#[derive(Serialize)]
pub struct Selected {
    #[serde(skip)]
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
