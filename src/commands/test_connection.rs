//! `crm-meta test-connection --tenant N | --all`: live checks of stored
//! tokens. Results are recorded; a check that could not reach Meta records
//! nothing and never touches a token.

use anyhow::Result;
use chrono::Utc;
use futures::{StreamExt, stream};
use serde::Serialize;

use super::Context;
use crate::cli::TestConnectionArgs;
use crate::error::Exit;
use crate::output::{Printer, Report, date_with_distance, new_table};
use crate::token::SharedUsers;
use crate::token::check::{CheckResult, check_connection};
use crate::token::{DEFAULT_WARNING_DAYS, TokenStatus};

/// Connections checked at once by `--all` (each check is three Graph calls).
const CONCURRENCY: usize = 8;

pub async fn run(ctx: &Context, args: TestConnectionArgs) -> Result<Exit> {
    let graph = ctx.graph()?;
    let target = ctx.database()?;
    let keys = ctx.key_settings(&target)?;
    let required = ctx.settings.required_scopes();
    let store = ctx.store(&target).await?;
    let cipher = ctx.keyring(&store, keys).await?;
    let connections = match args.tenant {
        Some(tenant_id) => vec![ctx.connection(&store, &cipher, tenant_id).await?],
        None => store.connections(&cipher).await?,
    };
    let users = store.meta_users().await?;
    let shared_users = SharedUsers::new(users.iter().map(|(id, user)| (*id, user.as_str())));
    let shared = |tenant_id: i32, user: &str| shared_users.others(tenant_id, user);

    let mut results: Vec<CheckResult> = stream::iter(&connections)
        .map(|c| {
            check_connection(
                &graph,
                c,
                &required,
                DEFAULT_WARNING_DAYS,
                shared(c.info.tenant_id, &c.info.meta_user_id),
            )
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    results.sort_by_key(|r| r.view.tenant_id);
    let now = Utc::now();
    let checked: Vec<_> = results
        .iter()
        .filter(|r| r.reached_meta())
        .filter_map(|r| {
            let connection = connections
                .iter()
                .find(|c| c.info.tenant_id == r.view.tenant_id)?;
            Some((
                r.view.tenant_id,
                connection.stored_as.clone(),
                r.view.status,
            ))
        })
        .collect();
    store.record_checks(&checked, now).await?;
    store.close().await;

    ctx.printer
        .finish(&if args.tenant.is_some() && results.len() == 1 {
            Checked::One(results.remove(0))
        } else {
            Checked::All { tenants: results }
        })
}

/// One tenant's check as a token view, or `{"tenants": […]}` for `--all`.
#[derive(Serialize)]
#[serde(untagged)]
enum Checked {
    One(CheckResult),
    All { tenants: Vec<CheckResult> },
}

impl Checked {
    fn results(&self) -> &[CheckResult] {
        match self {
            Checked::One(result) => std::slice::from_ref(result),
            Checked::All { tenants } => tenants,
        }
    }
}

impl Report for Checked {
    /// 0 when every token is usable (`ok` or `expiring`), 5 when the only
    /// problem is that Meta could not be asked, 3 otherwise.
    fn exit(&self) -> Exit {
        let usable = |s: TokenStatus| matches!(s, TokenStatus::Ok | TokenStatus::Expiring);
        let problems: Vec<TokenStatus> = self
            .results()
            .iter()
            .map(|r| r.view.status)
            .filter(|s| !usable(*s))
            .collect();
        if problems.is_empty() {
            Exit::Success
        } else if problems.iter().all(|s| *s == TokenStatus::Unreachable) {
            Exit::Meta
        } else {
            Exit::Problem
        }
    }

    fn show(&self, out: &Printer) {
        let results = self.results();
        if results.is_empty() {
            out.note("No tenant is connected yet.");
            return;
        }
        let now = Utc::now();
        let mut table = new_table(["TENANT", "STATUS", "META USER", "EXPIRES", "DETAIL"]);
        for r in results {
            table.add_row([
                r.view.tenant_id.to_string(),
                r.view.status.to_string(),
                r.view.meta_user_id.clone().unwrap_or_default(),
                date_with_distance(r.view.expires_at, now),
                r.detail.clone().unwrap_or_default(),
            ]);
        }
        out.table(&table);
    }
}
