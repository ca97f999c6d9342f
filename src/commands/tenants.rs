//! `crm-meta tenants add|list`: the tenants the tool knows, and each one's
//! connection state as the database has it (no network).

use std::collections::HashMap;

use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Context;
use crate::cli::TenantsCommand;
use crate::error::{Exit, UserError};
use crate::output::{Printer, Report, date_with_distance, new_table};
use crate::store::{ConnectionInfo, Tenant};
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
    fn new(
        tenant: Tenant,
        connection: Option<&ConnectionInfo>,
        shared_with: Vec<i32>,
        now: DateTime<Utc>,
    ) -> Self {
        let status = connection.map_or(TokenStatus::NotConnected, |c| {
            stored_status(
                c.expires_at,
                c.data_access_expires_at,
                c.last_check_status,
                now,
                DEFAULT_WARNING_DAYS,
            )
        });
        Self {
            tenant_id: tenant.id,
            name: tenant.name,
            status,
            meta_user_id: connection.map(|c| c.meta_user_id.clone()),
            meta_user_name: connection.and_then(|c| c.meta_user_name.clone()),
            token_type: connection.map(|c| c.token_type.clone()),
            expires_at: connection.and_then(|c| c.expires_at),
            data_access_expires_at: connection.and_then(|c| c.data_access_expires_at),
            business_manager_id: connection.and_then(|c| c.business_manager_id.clone()),
            ad_account_id: connection.and_then(|c| c.ad_account_id.clone()),
            page_id: connection.and_then(|c| c.page_id.clone()),
            last_checked_at: connection.and_then(|c| c.last_checked_at),
            last_check_status: connection.and_then(|c| c.last_check_status),
            shared_with,
        }
    }
}

async fn list(ctx: &Context) -> Result<Exit> {
    let target = ctx.database()?;
    let store = ctx.store(&target).await?;
    let tenants = store.tenants().await?;
    let connections = store.connection_infos().await?;
    store.close().await;

    let now = Utc::now();
    let by_tenant: HashMap<i32, &ConnectionInfo> =
        connections.iter().map(|c| (c.tenant_id, c)).collect();
    let shared_users = SharedUsers::new(
        connections
            .iter()
            .map(|c| (c.tenant_id, c.meta_user_id.as_str())),
    );
    let rows: Vec<TenantRow> = tenants
        .into_iter()
        .map(|t| {
            let connection = by_tenant.get(&t.id).copied();
            let shared = connection
                .map(|c| shared_users.others(t.id, &c.meta_user_id))
                .unwrap_or_default();
            TenantRow::new(t, connection, shared, now)
        })
        .collect();

    ctx.printer.finish(&TenantsReport { tenants: rows, now })
}

#[derive(Serialize)]
struct TenantsReport {
    tenants: Vec<TenantRow>,
    #[serde(skip)]
    now: DateTime<Utc>,
}

impl Report for TenantsReport {
    fn show(&self, out: &Printer) {
        let now = self.now;
        if self.tenants.is_empty() {
            out.note("No tenants yet. Add one with `crm-meta tenants add --id N --name NAME`.");
            return;
        }
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
        for row in &self.tenants {
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
