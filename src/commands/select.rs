//! `crm-meta select --tenant N [--business ID --ad-account act_…]`: the
//! business manager and ad account the CRM syncs for a tenant. Also the last
//! step of `connect`. The choice must be one the token can reach, checked
//! live against Meta.

use anyhow::{Context as _, Result};
use serde_json::json;

use super::Context;
use crate::assets::{self, AdAccountView, Assets, DEFAULT_CONCURRENCY};
use crate::cli::{AccountChoice, SelectArgs};
use crate::error::{Exit, UserError};
use crate::store::{AuditEntry, Store};

/// An ad account the token reaches, with the business manager it came through.
pub struct Reachable<'a> {
    pub business: Option<(&'a str, &'a str)>,
    pub account: &'a AdAccountView,
}

/// Every reachable account: business managers' first, then personal ones.
pub fn reachable(assets: &Assets) -> Vec<Reachable<'_>> {
    let owned = assets.business_managers.iter().flat_map(|b| {
        b.ad_accounts.iter().map(move |a| Reachable {
            business: Some((b.id.as_str(), b.name.as_str())),
            account: a,
        })
    });
    let personal = assets.personal_ad_accounts.iter().map(|a| Reachable {
        business: None,
        account: a,
    });
    owned.chain(personal).collect()
}

/// How a choice was made.
pub enum Chosen<'a> {
    Picked(&'a Reachable<'a>),
    /// Nothing to choose from, or nobody to ask and nothing said.
    Undecided(String),
}

/// Resolves `--business`/`--ad-account`, the only account there is, or an
/// interactive pick; refuses an account the token does not reach.
pub fn choose<'a>(
    ctx: &Context,
    options: &'a [Reachable<'a>],
    choice: &AccountChoice,
) -> Result<Chosen<'a>> {
    if let Some(wanted) = &choice.ad_account {
        let wanted = if wanted.starts_with("act_") {
            wanted.clone()
        } else {
            format!("act_{wanted}")
        };
        let matches: Vec<&Reachable> = options
            .iter()
            .filter(|o| o.account.id == wanted)
            .filter(|o| {
                choice
                    .business
                    .as_deref()
                    .is_none_or(|b| o.business.map(|(id, _)| id) == Some(b))
            })
            .collect();
        return match matches.first() {
            Some(found) => Ok(Chosen::Picked(found)),
            None => {
                let under = choice
                    .business
                    .as_deref()
                    .map(|b| format!(" under business manager {b}"))
                    .unwrap_or_default();
                Err(UserError(format!(
                    "ad account {wanted}{under} is not among those this tenant's token reaches; see `crm-meta list-accounts --tenant N`"
                ))
                .into())
            }
        };
    }
    match options {
        [] => Ok(Chosen::Undecided(
            "the Meta user reaches no ad account".into(),
        )),
        [only] => Ok(Chosen::Picked(only)),
        _ if ctx.printer.can_prompt() && !ctx.yes => pick(options).map(Chosen::Picked),
        _ => Ok(Chosen::Undecided(format!(
            "{} ad accounts to choose from and nobody to ask (no terminal, or --yes): pass --business ID --ad-account act_… (see `crm-meta list-accounts`)",
            options.len()
        ))),
    }
}

fn label(o: &Reachable) -> String {
    let a = o.account;
    let marker = if a.is_usable() {
        String::new()
    } else {
        format!("  [{}]", a.status)
    };
    let owner = match o.business {
        Some((_, name)) => format!("{name} · {:?}", a.relation).to_lowercase(),
        None => "personal".to_owned(),
    };
    format!("{}  {}  ({owner}){marker}", a.id, a.name)
}

fn pick<'a>(options: &'a [Reachable<'a>]) -> Result<&'a Reachable<'a>> {
    let labels: Vec<String> = options.iter().map(label).collect();
    let default = options
        .iter()
        .position(|o| o.account.is_usable())
        .unwrap_or(0);
    let index = dialoguer::FuzzySelect::new()
        .with_prompt("Ad account the CRM syncs for this tenant (type to filter)")
        .items(&labels)
        .default(default)
        .interact_opt()?
        .ok_or_else(|| UserError("no ad account chosen; run `crm-meta select` later".into()))?;
    options
        .get(index)
        .ok_or_else(|| UserError("no ad account chosen".into()).into())
}

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
    let graph = ctx.graph()?;
    let (store, connection) = ctx.open_connection(tenant_id).await?;
    let fetched = assets::fetch(
        &graph,
        &connection.access_token,
        args.choice.business.as_deref(),
        DEFAULT_CONCURRENCY,
    )
    .await
    .context("reading the ad accounts this tenant's token reaches")?;
    let options = reachable(&fetched);
    let chosen = match choose(ctx, &options, &args.choice)? {
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
    print(ctx, tenant_id, chosen)?;
    Ok(Exit::Success)
}

pub fn print(ctx: &Context, tenant_id: i32, chosen: &Reachable<'_>) -> Result<()> {
    if ctx.printer.is_json() {
        return ctx.printer.json(&json!({
            "tenant_id": tenant_id,
            "business_manager_id": chosen.business.map(|(id, _)| id),
            "ad_account_id": chosen.account.id,
            "ad_account_name": chosen.account.name,
            "ad_account_status": chosen.account.status,
        }));
    }
    let via = chosen
        .business
        .map(|(id, name)| format!(" in {name} ({id})"))
        .unwrap_or_else(|| " (personal)".into());
    ctx.printer.line(format!(
        "Tenant {tenant_id} syncs {} {}{via}.",
        chosen.account.id, chosen.account.name
    ));
    Ok(())
}
