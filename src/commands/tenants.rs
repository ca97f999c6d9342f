//! `crm-meta tenants add|list`: the tenants the tool knows, and each one's
//! connection state as the database has it (no network).

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Context;
use crate::cli::TenantsCommand;
use crate::error::{Exit, UserError};
use crate::output::{Format, Printer, Report, Row, date_with_distance, new_table};
use crate::store::{Tenant, TenantListing};
use crate::token::{DEFAULT_WARNING_DAYS, SharedUsers, TokenStatus, stored_status};

const MAX_NAME_CHARS: usize = 200;

pub async fn run(ctx: &Context, command: TenantsCommand) -> Result<Exit> {
    match command {
        TenantsCommand::Add { id, name } => add(ctx, id, name).await,
        TenantsCommand::List => list(ctx).await,
    }
}

async fn add(ctx: &Context, id: i32, name: String) -> Result<Exit> {
    let name = name.trim().to_owned();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(UserError(format!(
            "--name must be 1 to {MAX_NAME_CHARS} printable characters"
        ))
        .into());
    }
    let target = ctx.database()?;
    let store = ctx.store(&target).await?;
    let tenant = Tenant { id, name };
    store.add_tenant(&tenant).await?;
    store.close().await;
    ctx.printer.finish(&Added {
        tenant_id: tenant.id,
        name: tenant.name,
    })
}

#[derive(Serialize)]
struct Added {
    tenant_id: i32,
    name: String,
}

impl Report for Added {
    fn show(&self, out: &Printer) {
        out.line(format!("Added tenant {} ({}).", self.tenant_id, self.name));
    }
}

/// One row of `tenants list`, with the contract's keys.
#[derive(Debug, Serialize)]
struct TenantRow {
    tenant_id: i32,
    name: String,
    status: TokenStatus,
    meta_user_id: Option<String>,
    meta_user_name: Option<String>,
    token_type: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    data_access_expires_at: Option<DateTime<Utc>>,
    business_manager_id: Option<String>,
    ad_account_id: Option<String>,
    /// The Page whose lead ads reach the CRM.
    page_id: Option<String>,
    last_checked_at: Option<DateTime<Utc>>,
    last_check_status: Option<TokenStatus>,
    /// Other tenants connected with the same Meta user.
    shared_with: Vec<i32>,
}

impl TenantRow {
    fn new(t: TenantListing, shared_with: Vec<i32>, now: DateTime<Utc>) -> Self {
        let last_check_status = t.last_check_status.as_deref().and_then(TokenStatus::parse);
        let status = if t.meta_user_id.is_none() {
            TokenStatus::NotConnected
        } else {
            stored_status(
                t.expires_at,
                t.data_access_expires_at,
                last_check_status,
                now,
                DEFAULT_WARNING_DAYS,
            )
        };
        Self {
            tenant_id: t.id,
            name: t.name,
            status,
            meta_user_id: t.meta_user_id,
            meta_user_name: t.meta_user_name,
            token_type: t.token_type,
            expires_at: t.expires_at,
            data_access_expires_at: t.data_access_expires_at,
            business_manager_id: t.business_manager_id,
            ad_account_id: t.ad_account_id,
            page_id: t.page_id,
            last_checked_at: t.last_checked_at,
            last_check_status,
            shared_with,
        }
    }
}

/// Tenants read per page, and rows per table on a terminal.
const PAGE: u32 = 1_000;

/// Streams every tenant: a page at a time from the store, each row to
/// stdout as it comes (a long table is printed a page at a time), so memory
/// does not grow with the number of tenants.
async fn list(ctx: &Context) -> Result<Exit> {
    let target = ctx.database()?;
    let store = ctx.store(&target).await?;
    let shared = store.shared_meta_users().await?;
    let shared = SharedUsers::new(shared.iter().map(|(id, user)| (*id, user.as_str())));
    let now = Utc::now();
    let mut rows = ctx.printer.rows::<TenantRow>(Format::Table, "tenants")?;
    let mut after = 0;
    let mut listed = 0usize;
    loop {
        let page = store.tenant_listing_page(after, PAGE).await?;
        let Some(last) = page.last().map(|t| t.id) else {
            break;
        };
        let full = page.len() == PAGE as usize;
        for t in page {
            let others = t
                .meta_user_id
                .as_deref()
                .map(|user| shared.others(t.id, user))
                .unwrap_or_default();
            rows.push(TenantRow::new(t, others, now), true)?;
            listed += 1;
        }
        print_table(&ctx.printer, &rows.take_kept(), now);
        after = last;
        if !full {
            break;
        }
    }
    store.close().await;
    rows.close()?;
    if listed == 0 && !ctx.printer.is_json() {
        ctx.printer
            .note("No tenants yet. Add one with `crm-meta tenants add --id N --name NAME`.");
    }
    Ok(Exit::Success)
}

impl Row for TenantRow {}

fn print_table(out: &Printer, rows: &[TenantRow], now: DateTime<Utc>) {
    if rows.is_empty() {
        return;
    }
    {
        let mut table = new_table([
            "ID",
            "NAME",
            "STATUS",
            "META USER",
            "EXPIRES",
            "AD ACCOUNT",
            "PAGE",
            "LAST CHECK",
            "SHARED WITH",
        ]);
        for row in rows {
            let connected = row.status != TokenStatus::NotConnected;
            let expires = if !connected {
                String::new()
            } else {
                date_with_distance(row.expires_at, now)
            };
            let last_check = match (row.last_checked_at, row.last_check_status) {
                (Some(at), Some(status)) => {
                    format!("{status}, {}", crate::output::distance(at, now))
                }
                _ if connected => "never".to_owned(),
                _ => String::new(),
            };
            let user = match (&row.meta_user_name, &row.meta_user_id) {
                (Some(name), Some(id)) => format!("{name} ({id})"),
                (None, Some(id)) => id.clone(),
                _ => String::new(),
            };
            table.add_row([
                row.tenant_id.to_string(),
                row.name.clone(),
                row.status.to_string(),
                user,
                expires,
                row.ad_account_id.clone().unwrap_or_default(),
                row.page_id.clone().unwrap_or_default(),
                last_check,
                row.shared_with
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            ]);
        }
        out.table(&table);
    }
}
