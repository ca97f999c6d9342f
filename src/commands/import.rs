//! `crm-meta import [--format jsonl|csv]`: existing tokens from stdin,
//! validated through batched `debug_token`, stored encrypted in bulk. Every
//! rejected line is reported with its number; the rest is imported.

use std::collections::{HashMap, HashSet};

use anyhow::{Context as _, Result};
use chrono::Utc;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::io::AsyncReadExt;

use super::Context;
use crate::cli::{ImportArgs, ImportFormat};
use crate::crypto::fingerprint;
use crate::error::{Exit, UserError};
use crate::fleet;
use crate::graph::versions::Clock;
use crate::output::{Printer, Report};
use crate::store::{AuditEntry, NewConnection, Upserted};
use crate::token::{DEFAULT_WARNING_DAYS, SharedUsers, TokenStatus};

/// Largest input accepted on stdin.
const MAX_INPUT_BYTES: u64 = 256 * 1024 * 1024;
const MAX_TOKEN_LEN: usize = 4096;

/// One usable line of input.
struct Candidate {
    line: usize,
    tenant_id: i32,
    token: SecretString,
}

#[derive(Debug, Serialize)]
struct Rejected {
    line: usize,
    reason: String,
}

#[derive(Deserialize)]
struct JsonLine {
    tenant_id: serde_json::Value,
    access_token: serde_json::Value,
}

pub async fn run(ctx: &Context, args: ImportArgs) -> Result<Exit> {
    let graph = ctx.graph(&[Clock::Graph])?;
    ctx.limit_usage(&graph, &args.usage);
    let target = ctx.database()?;
    let keys = ctx.key_settings(&target)?;
    let required = ctx.settings.required_scopes();
    let store = ctx.store(&target).await?;
    let cipher = ctx.keyring_for_writing(&store, keys).await?;

    let mut input = String::new();
    tokio::io::stdin()
        .take(MAX_INPUT_BYTES + 1)
        .read_to_string(&mut input)
        .await
        .context("reading stdin (is it UTF-8 text?)")?;
    if input.len() as u64 > MAX_INPUT_BYTES {
        return Err(UserError(format!(
            "stdin is larger than {} MiB; split the input and import each part",
            MAX_INPUT_BYTES >> 20
        ))
        .into());
    }
    let (candidates, mut rejected) = match args.format {
        ImportFormat::Jsonl => parse_jsonl(&input),
        ImportFormat::Csv => parse_csv(&input),
    };
    drop(input);

    // Unknown tenants and repeated tenants are rejected before asking Meta anything.
    let known: HashSet<i32> = store.tenants().await?.into_iter().map(|t| t.id).collect();
    let mut first_line: HashMap<i32, usize> = HashMap::new();
    let candidates: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| {
            let reason = if !known.contains(&c.tenant_id) {
                format!("no tenant with id {}", c.tenant_id)
            } else if let Some(first) = first_line.get(&c.tenant_id) {
                format!("tenant {} already appears on line {first}", c.tenant_id)
            } else {
                first_line.insert(c.tenant_id, c.line);
                return true;
            };
            rejected.push(Rejected {
                line: c.line,
                reason,
            });
            false
        })
        .collect();

    let tokens: Vec<SecretString> = candidates.iter().map(|c| c.token.clone()).collect();
    let progress = ctx.printer.progress(tokens.len() as u64, "checking tokens");
    let _usage_note = ctx.follow_usage(&graph, &progress);
    let now = Utc::now();

    // Each batch's accepted tokens are stored (one transaction per batch)
    // while later batches are still on the network.
    let mut imported_tenants: Vec<(i32, String)> = Vec::new();
    let judge = |offset: usize, answers: Vec<_>| {
        let mut rows = Vec::new();
        for (i, answer) in answers.iter().enumerate() {
            let candidate = &candidates[offset + i];
            match accept(
                candidate,
                answer,
                graph.app_id(),
                graph.version(),
                &required,
                ctx.yes,
                now,
            ) {
                Ok((connection, audit)) => {
                    imported_tenants.push((connection.tenant_id, connection.meta_user_id.clone()));
                    rows.push((connection, audit));
                }
                Err(reason) => rejected.push(Rejected {
                    line: candidate.line,
                    reason,
                }),
            }
        }
        rows
    };
    let (mut imported, mut updated) = (0, 0);
    fleet::check_and_write_indexed(
        &graph,
        &tokens,
        fleet::DEFAULT_CONCURRENCY,
        |n| progress.inc(n),
        judge,
        async |rows: Vec<(NewConnection, AuditEntry)>| {
            let outcomes = store.upsert_connections(&cipher, &rows).await?;
            imported += outcomes
                .iter()
                .filter(|o| **o == Upserted::Inserted)
                .count();
            updated += outcomes.iter().filter(|o| **o == Upserted::Updated).count();
            Ok::<_, crate::store::StoreError>(())
        },
    )
    .await
    .context("storing the imported tokens")?;
    progress.finish();

    // Tenants now sharing a Meta user with another tenant.
    let users = store.meta_users().await?;
    let shared_users = SharedUsers::new(users.iter().map(|(id, user)| (*id, user.as_str())));
    store.close().await;
    let shared: Vec<SharedUser> = imported_tenants
        .iter()
        .filter_map(|(tenant_id, meta_user_id)| {
            let others = shared_users.others(*tenant_id, meta_user_id);
            (!others.is_empty()).then_some(SharedUser {
                tenant_id: *tenant_id,
                shared_with: others,
            })
        })
        .collect();
    rejected.sort_by_key(|r| r.line);
    if !shared.is_empty() {
        ctx.printer.warn(format!(
            "{} imported tenant(s) share their Meta user with other tenants; disconnecting one with revocation invalidates the others (see `crm-meta tenants list`)",
            shared.len()
        ));
    }
    ctx.printer.finish(&Imported {
        imported,
        updated,
        rejected,
        shared,
    })
}

#[derive(Serialize)]
struct Imported {
    imported: usize,
    updated: usize,
    rejected: Vec<Rejected>,
    /// Imported tenants whose Meta user is connected to other tenants too.
    shared: Vec<SharedUser>,
}

#[derive(Serialize)]
struct SharedUser {
    tenant_id: i32,
    shared_with: Vec<i32>,
}

impl Report for Imported {
    fn exit(&self) -> Exit {
        if self.rejected.is_empty() {
            Exit::Success
        } else {
            Exit::Problem
        }
    }

    fn show(&self, out: &Printer) {
        out.line(format!(
            "Imported {}, updated {}, rejected {}.",
            self.imported,
            self.updated,
            self.rejected.len()
        ));
        for r in &self.rejected {
            out.line(format!("  line {}: {}", r.line, r.reason));
        }
    }
}

/// Judges one line's `debug_token` answer: the row to store, or why not.
fn accept(
    candidate: &Candidate,
    answer: &Result<crate::graph::DebugToken, crate::graph::GraphError>,
    app_id: &str,
    graph_api_version: &str,
    required: &[String],
    yes: bool,
    now: chrono::DateTime<Utc>,
) -> Result<(NewConnection, AuditEntry), String> {
    let a = crate::token::assess(answer, app_id, required, DEFAULT_WARNING_DAYS, now);
    let acceptable = match a.status {
        TokenStatus::Ok | TokenStatus::Expiring => true,
        TokenStatus::MissingScope => yes,
        _ => false,
    };
    let Some(meta_user_id) = a.meta_user_id.clone().filter(|_| acceptable) else {
        return Err(match a.status {
            TokenStatus::MissingScope => format!(
                "{} (pass --yes to import it anyway)",
                a.detail.unwrap_or_default()
            ),
            TokenStatus::Unreachable => {
                format!("Meta could not be asked: {}", a.detail.unwrap_or_default())
            }
            status => format!(
                "{status}: {}",
                a.detail.unwrap_or_else(|| "no user id".into())
            ),
        });
    };
    let audit = AuditEntry::new(
        candidate.tenant_id,
        "import",
        json!({
            "line": candidate.line,
            "token_fingerprint": fingerprint(&candidate.token),
            "token_type": a.token_type,
            "meta_user_id": meta_user_id,
            "expires_at": a.expires_at,
            "missing_scopes": a.missing_scopes,
        }),
    );
    let connection = NewConnection {
        tenant_id: candidate.tenant_id,
        access_token: candidate.token.clone(),
        token_type: a.token_type.unwrap_or_else(|| "USER".into()),
        expires_at: a.expires_at,
        data_access_expires_at: a.data_access_expires_at,
        scopes: a.scopes,
        business_managers: json!([]),
        meta_user_id,
        meta_user_name: None,
        graph_api_version: graph_api_version.to_owned(),
        checked: Some(a.status),
        selection: None,
        page_id: None,
    };
    Ok((connection, audit))
}

fn tenant_id(value: &serde_json::Value) -> Option<i32> {
    let id = match value {
        serde_json::Value::Number(n) => n.as_i64()?,
        serde_json::Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    i32::try_from(id).ok().filter(|id| *id > 0)
}

fn token(value: &str) -> Option<SecretString> {
    let value = value.trim();
    (!value.is_empty()
        && value.len() <= MAX_TOKEN_LEN
        && value.bytes().all(|b| b.is_ascii_graphic()))
    .then(|| SecretString::from(value.to_owned()))
}

fn candidate(
    line: usize,
    id: Option<i32>,
    token: Option<SecretString>,
) -> Result<Candidate, Rejected> {
    match (id, token) {
        (None, _) => Err(Rejected {
            line,
            reason: "tenant_id is not a positive integer".into(),
        }),
        (_, None) => Err(Rejected {
            line,
            reason: "access_token is missing or not a token (one word of printable ASCII)".into(),
        }),
        (Some(tenant_id), Some(token)) => Ok(Candidate {
            line,
            tenant_id,
            token,
        }),
    }
}

fn parse_jsonl(input: &str) -> (Vec<Candidate>, Vec<Rejected>) {
    let mut ok = Vec::new();
    let mut rejected = Vec::new();
    for (index, text) in input.lines().enumerate() {
        let line = index + 1;
        if text.trim().is_empty() {
            continue;
        }
        let parsed = match serde_json::from_str::<JsonLine>(text) {
            Ok(parsed) => candidate(
                line,
                tenant_id(&parsed.tenant_id),
                parsed.access_token.as_str().and_then(token),
            ),
            Err(e) => Err(Rejected {
                line,
                reason: format!(
                    "not a JSON object with tenant_id and access_token ({})",
                    e.classify_reason()
                ),
            }),
        };
        match parsed {
            Ok(c) => ok.push(c),
            Err(r) => rejected.push(r),
        }
    }
    (ok, rejected)
}

trait ReasonOnly {
    fn classify_reason(&self) -> &'static str;
}

impl ReasonOnly for serde_json::Error {
    /// serde's message may quote the input (a token); only its category is safe to print.
    fn classify_reason(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "missing or mistyped field",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

fn parse_csv(input: &str) -> (Vec<Candidate>, Vec<Rejected>) {
    let mut ok = Vec::new();
    let mut rejected = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input.as_bytes());
    for (index, record) in reader.records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(index + 1, |p| p.line() as usize);
                rejected.push(Rejected {
                    line,
                    reason: "not valid CSV".into(),
                });
                continue;
            }
        };
        let line = record.position().map_or(index + 1, |p| p.line() as usize);
        if index == 0 && record.get(0) == Some("tenant_id") {
            continue;
        }
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != 2 {
            rejected.push(Rejected {
                line,
                reason: format!(
                    "expected 2 fields (tenant_id,access_token), found {}",
                    record.len()
                ),
            });
            continue;
        }
        let id = record
            .get(0)
            .and_then(|v| v.parse::<i64>().ok())
            .and_then(|v| i32::try_from(v).ok())
            .filter(|v| *v > 0);
        match candidate(line, id, record.get(1).and_then(token)) {
            Ok(c) => ok.push(c),
            Err(r) => rejected.push(r),
        }
    }
    (ok, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonl_lines_are_numbered_and_checked() {
        let input = "{\"tenant_id\": 7, \"access_token\": \"EAA1\"}\n\n{\"tenant_id\": \"8\", \"access_token\": \"EAA2\"}\nnot json\n{\"tenant_id\": 0, \"access_token\": \"EAA3\"}\n{\"tenant_id\": 9, \"access_token\": \"two words\"}\n{\"tenant_id\": 10}\n";
        let (ok, rejected) = parse_jsonl(input);
        assert_eq!(
            ok.iter().map(|c| (c.line, c.tenant_id)).collect::<Vec<_>>(),
            [(1, 7), (3, 8)]
        );
        assert_eq!(
            rejected.iter().map(|r| r.line).collect::<Vec<_>>(),
            [4, 5, 6, 7]
        );
    }

    #[test]
    fn csv_with_or_without_header() {
        let (ok, rejected) =
            parse_csv("tenant_id,access_token\n7,EAA1\n8 , EAA2 \n9\nx,EAA3\n\"10\",\"EAA4\"\n");
        assert_eq!(
            ok.iter().map(|c| (c.line, c.tenant_id)).collect::<Vec<_>>(),
            [(2, 7), (3, 8), (6, 10)]
        );
        assert_eq!(rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [4, 5]);
        let (ok, _) = parse_csv("7,EAA1\n");
        assert_eq!(ok.len(), 1);
    }

    #[test]
    fn rejection_reasons_never_quote_the_token() {
        let (_, rejected) = parse_jsonl("{\"tenant_id\": 7, \"access_token\": \"EAAsecret\" ");
        assert!(!rejected[0].reason.contains("EAAsecret"));
    }
}
