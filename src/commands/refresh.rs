//! `crm-meta refresh [--tenant N | --expiring-within DAYS]`: asks Meta for a
//! later-expiring long-lived token and stores it only when the expiry really
//! moves later. Tokens Meta will not extend, and expired or invalid ones, are
//! reported with the `connect` command that fixes them.

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use futures::{StreamExt, TryStreamExt, stream};
use serde::Serialize;
use serde_json::json;

use super::Context;
use crate::cli::RefreshArgs;
use crate::crypto::fingerprint;
use crate::error::Exit;
use crate::fleet;
use crate::graph::versions::Clock;
use crate::graph::{GraphClient, GraphError};
use crate::output::{Printer, Report, date_with_distance, new_table};
use crate::store::{AuditEntry, Connection, Refreshed as Written, Store};
use crate::token::{DEFAULT_WARNING_DAYS, TokenStatus};

/// Exchanges in flight at once (each is one Graph call).
const CONCURRENCY: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    /// A later-expiring token is stored.
    Extended,
    /// Meta did not extend it, but it is far from expiring: nothing to do yet.
    Unchanged,
    /// The tenant must run `connect` again.
    NeedsConsent,
    /// Meta could not be asked; nothing changed.
    Unreachable,
}

#[derive(Debug, Serialize)]
struct Row {
    tenant_id: i32,
    result: Outcome,
    expires_at_before: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    reason: Option<String>,
    /// What to run when the result is `needs_consent`.
    command: Option<String>,
}

pub async fn run(ctx: &Context, args: RefreshArgs) -> Result<Exit> {
    let graph = ctx.graph(&[Clock::Graph])?;
    ctx.limit_usage(&graph, &args.usage);
    let target = ctx.database()?;
    let keys = ctx.key_settings(&target)?;
    let store = ctx.store(&target).await?;
    let cipher = ctx.keyring_for_writing(&store, keys).await?;
    let now = Utc::now();
    // A token Meta will not extend needs consent once it is this close to expiring.
    let consent_horizon = now
        + Duration::days(i64::from(
            args.expiring_within.unwrap_or(DEFAULT_WARNING_DAYS as u32),
        ));
    let (one, never, expiring_by) = match args.tenant {
        Some(tenant_id) => {
            let c = ctx.connection(&store, &cipher, tenant_id).await?;
            let never = usize::from(c.info.expires_at.is_none());
            (Some(c).filter(|c| c.info.expires_at.is_some()), never, None)
        }
        None => {
            // Never-expiring (system-user) tokens have nothing to extend.
            let never = store.never_expiring_count().await? as usize;
            let by = args
                .expiring_within
                .map(|days| now + Duration::days(i64::from(days)));
            // Without a window, every token that expires (a date far
            // enough ahead to compare as text on SQLite too).
            let every = now + Duration::days(365 * 1_000);
            (None, never, Some(by.unwrap_or(every)))
        }
    };

    // Which tokens are still alive, in batches as audit asks; each settled
    // batch's live tokens are extended while later batches are on the
    // network. The fleet streams from the store a page at a time.
    let app_id = graph.app_id().to_owned();
    let mut rows: Vec<Row> = Vec::new();
    let batches = match one {
        Some(c) => futures::stream::iter(vec![Ok(vec![c])]).left_stream(),
        None => fleet::stored_connections(&store, &cipher, expiring_by).right_stream(),
    }
    .map_ok(fleet::with_tokens)
    .map_err(anyhow::Error::from);
    fleet::check_and_write(
        &graph,
        batches,
        fleet::DEFAULT_CONCURRENCY,
        |_| {},
        |settled: fleet::Settled<crate::store::Connection>| {
            settled
                .into_iter()
                .map(|(c, answer)| {
                    let assessment = crate::token::assess(&answer, &app_id, &[], 0, now);
                    (c, assessment)
                })
                .collect::<Vec<_>>()
        },
        async |judged| {
            // Every exchange in flight finishes (a token swapped at Meta
            // is stored) before an error of one of them ends the run.
            let settled: Vec<Result<Row>> = stream::iter(judged)
                .map(|(c, assessment)| {
                    let (store, cipher, graph) = (&store, &cipher, &graph);
                    async move {
                        refresh_one(store, cipher, graph, &c, assessment, now, consent_horizon)
                            .await
                    }
                })
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            for row in settled {
                rows.push(row?);
            }
            Ok::<_, anyhow::Error>(())
        },
    )
    .await?;
    store.close().await;

    rows.sort_by_key(|r| r.tenant_id);
    let count = |o: Outcome| rows.iter().filter(|r| r.result == o).count();
    let summary = RefreshSummary {
        checked: rows.len(),
        extended: count(Outcome::Extended),
        unchanged: count(Outcome::Unchanged),
        needs_consent: count(Outcome::NeedsConsent),
        unreachable: count(Outcome::Unreachable),
        never_expires: never,
    };
    ctx.printer.finish(&Refreshed {
        summary,
        tenants: rows,
    })
}

#[derive(Serialize)]
struct Refreshed {
    summary: RefreshSummary,
    tenants: Vec<Row>,
}

#[derive(Serialize)]
struct RefreshSummary {
    checked: usize,
    extended: usize,
    unchanged: usize,
    needs_consent: usize,
    unreachable: usize,
    /// System-user tokens skipped: they never expire.
    never_expires: usize,
}

/// One connection's refresh, given what `debug_token` said of its token.
async fn refresh_one(
    store: &crate::store::Store,
    cipher: &crate::keyring::Keyring,
    graph: &crate::graph::GraphClient,
    connection: &crate::store::Connection,
    assessment: crate::token::Assessment,
    now: DateTime<Utc>,
    consent_horizon: DateTime<Utc>,
) -> Result<Row> {
    let assessment = Some(assessment);

    let before = connection.info.expires_at;
    let tenant_id = connection.info.tenant_id;
    let needs = |reason: String| Row {
        tenant_id,
        result: Outcome::NeedsConsent,
        expires_at_before: before,
        expires_at: before,
        reason: Some(reason),
        command: Some(format!("crm-meta connect --tenant {tenant_id}")),
    };
    match assessment
        .map(|a| (a.status, a.detail))
        .unwrap_or((TokenStatus::Unreachable, None))
    {
        (TokenStatus::Unreachable, detail) => {
            return Ok(Row {
                tenant_id,
                result: Outcome::Unreachable,
                expires_at_before: before,
                expires_at: before,
                reason: detail,
                command: None,
            });
        }
        (TokenStatus::Expired | TokenStatus::Invalid, detail) => {
            return Ok(needs(
                detail.unwrap_or_else(|| "the token no longer works".into()),
            ));
        }
        _ => {}
    }
    extend(store, cipher, graph, connection, now)
        .await
        .map(|outcome| match outcome {
            Ok(after) => Row {
                tenant_id,
                result: Outcome::Extended,
                expires_at_before: before,
                expires_at: Some(after),
                reason: None,
                command: None,
            },
            Err(Refused::NotLater(after)) if after.is_some_and(|a| a > consent_horizon) => Row {
                tenant_id,
                result: Outcome::Unchanged,
                expires_at_before: before,
                expires_at: before,
                reason: Some("Meta did not extend it yet; it is far from expiring".into()),
                command: None,
            },
            Err(Refused::NotLater(after)) => needs(format!(
                "Meta will not extend it (it still expires {})",
                after
                    .map(|a| a.format("%Y-%m-%d").to_string())
                    .unwrap_or_else(|| "as before".into())
            )),
            Err(Refused::Meta(e)) if e.is_unreachable() => Row {
                tenant_id,
                result: Outcome::Unreachable,
                expires_at_before: before,
                expires_at: before,
                reason: Some(e.to_string()),
                command: None,
            },
            Err(Refused::Meta(e)) => needs(e.to_string()),
            Err(Refused::Replaced) => Row {
                tenant_id,
                result: Outcome::Unchanged,
                expires_at_before: before,
                expires_at: before,
                reason: Some("the connection was replaced while refreshing; nothing stored".into()),
                command: None,
            },
        })
}

enum Refused {
    /// Meta answered with an expiry no later than the stored one.
    NotLater(Option<DateTime<Utc>>),
    /// A connect replaced the connection meanwhile: its new token needs nothing.
    Replaced,
    Meta(GraphError),
}

/// One exchange; the new token is stored only if its expiry moves later.
async fn extend(
    store: &Store,
    cipher: &crate::keyring::Keyring,
    graph: &GraphClient,
    connection: &Connection,
    now: DateTime<Utc>,
) -> Result<Result<DateTime<Utc>, Refused>> {
    let tenant_id = connection.info.tenant_id;
    let grant = match graph.long_lived_token(&connection.access_token).await {
        Ok(grant) => grant,
        Err(e) => return Ok(Err(Refused::Meta(e))),
    };
    // Meta's long-lived tokens live 60 days; anything beyond ten years is not an expiry.
    let expires_at = grant
        .expires_in
        .filter(|s| (1..=10 * 365 * 86_400).contains(s))
        .and_then(|s| now.checked_add_signed(Duration::seconds(s)));
    let Some(expires_at) = expires_at else {
        return Ok(Err(Refused::NotLater(connection.info.expires_at)));
    };
    // Meta reports whole seconds: a token "extended" by less than a minute was not extended.
    if connection.info.expires_at.is_some_and(|before| {
        before
            .checked_add_signed(Duration::minutes(1))
            .is_none_or(|grace| expires_at <= grace)
    }) {
        return Ok(Err(Refused::NotLater(connection.info.expires_at)));
    }
    let audit = AuditEntry::new(
        tenant_id,
        "refresh",
        json!({
            "token_fingerprint": fingerprint(&grant.access_token),
            "previous_fingerprint": fingerprint(&connection.access_token),
            "expires_at_before": connection.info.expires_at,
            "expires_at": expires_at,
        }),
    );
    let stored = store
        .store_refreshed_token(
            cipher,
            tenant_id,
            &connection.access_token,
            &grant.access_token,
            expires_at,
            None,
            &audit,
        )
        .await?;
    Ok(match stored {
        Written::Stored => Ok(expires_at),
        Written::NotLater => Err(Refused::NotLater(connection.info.expires_at)),
        Written::Replaced => Err(Refused::Replaced),
    })
}

impl Report for Refreshed {
    fn exit(&self) -> Exit {
        if self.summary.needs_consent > 0 {
            Exit::Problem
        } else if self.summary.unreachable > 0 {
            Exit::Meta
        } else {
            Exit::Success
        }
    }

    fn show(&self, out: &Printer) {
        let (rows, s) = (&self.tenants, &self.summary);
        if rows.is_empty() {
            out.note("No token to refresh.");
            return;
        }
        let now = Utc::now();
        let mut table = new_table([
            "TENANT",
            "RESULT",
            "EXPIRED / EXPIRES",
            "NOW EXPIRES",
            "WHAT TO DO",
        ]);
        for r in rows {
            let todo = match r.result {
                Outcome::Extended | Outcome::Unchanged => String::new(),
                Outcome::NeedsConsent => format!(
                    "{} ({})",
                    r.command.clone().unwrap_or_default(),
                    r.reason.clone().unwrap_or_default()
                ),
                Outcome::Unreachable => {
                    format!("try again later ({})", r.reason.clone().unwrap_or_default())
                }
            };
            table.add_row([
                r.tenant_id.to_string(),
                format!("{:?}", r.result).to_lowercase(),
                date_with_distance(r.expires_at_before, now),
                date_with_distance(r.expires_at, now),
                todo,
            ]);
        }
        out.table(&table);
        out.note(format!(
            "{} extended, {} unchanged, {} need consent again, {} unreachable{}",
            s.extended,
            s.unchanged,
            s.needs_consent,
            s.unreachable,
            if s.never_expires > 0 {
                format!(", {} never expire", s.never_expires)
            } else {
                String::new()
            }
        ));
    }
}
