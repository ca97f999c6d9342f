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
use crate::fleet;
use crate::graph::versions::Clock;
use crate::output::{Printer, Report, date_with_distance, new_table};
use crate::store::Connection;
use crate::token::SharedUsers;
use crate::token::check::{CheckResult, check_connection};
use crate::token::{DEFAULT_WARNING_DAYS, TokenStatus};

/// Live tokens of a settled batch whose reads (`/me`, a business manager)
/// run at once.
const CONCURRENCY: usize = 8;

pub async fn run(ctx: &Context, args: TestConnectionArgs) -> Result<Exit> {
    let graph = ctx.graph(&Clock::BOTH)?;
    ctx.limit_usage(&graph, &args.usage);
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
    let now = Utc::now();
    let check = |i: usize, answer| {
        let c: &Connection = &connections[i];
        let shared_with = shared_users.others(c.info.tenant_id, &c.info.meta_user_id);
        check_connection(
            &graph,
            c,
            answer,
            &required,
            DEFAULT_WARNING_DAYS,
            shared_with,
        )
    };
    // A check that reached Meta is recorded; an unreachable one says nothing.
    let record = async |batch: &[(usize, CheckResult)]| {
        let checked: Vec<_> = batch
            .iter()
            .filter(|(_, r)| r.reached_meta())
            .map(|(i, r)| {
                (
                    r.view.tenant_id,
                    connections[*i].stored_as.clone(),
                    r.view.status,
                )
            })
            .collect();
        store.record_checks(&checked, now).await
    };
    let mut results: Vec<CheckResult> = Vec::new();
    if args.tenant.is_some() {
        // One tenant: a plain debug_token call, no batch.
        for (i, c) in connections.iter().enumerate() {
            let result = check(i, graph.debug_token(&c.access_token).await).await;
            record(&[(i, result.clone())]).await?;
            results.push(result);
        }
    } else {
        let tokens: Vec<_> = connections.iter().map(|c| c.access_token.clone()).collect();
        fleet::check_and_write_indexed(
            &graph,
            &tokens,
            fleet::DEFAULT_CONCURRENCY,
            |_| {},
            |offset, answers| {
                answers
                    .into_iter()
                    .enumerate()
                    .map(|(i, a)| (offset + i, a))
                    .collect::<Vec<_>>()
            },
            async |answers| {
                // Each live token also reads /me and a business manager.
                let batch: Vec<(usize, CheckResult)> = stream::iter(answers)
                    .map(|(i, answer)| async move { (i, check(i, answer).await) })
                    .buffer_unordered(CONCURRENCY)
                    .collect()
                    .await;
                record(&batch).await?;
                results.extend(batch.into_iter().map(|(_, r)| r));
                Ok::<_, crate::store::StoreError>(())
            },
        )
        .await?;
    }
    results.sort_by_key(|r| r.view.tenant_id);
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
