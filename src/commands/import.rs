//! `crm-meta import [--format jsonl|csv]`: existing tokens from stdin,
//! validated through batched `debug_token`, stored encrypted in bulk. Every
//! rejected line is reported with its number; the rest is imported.

use std::collections::{HashMap, HashSet};

use anyhow::{Context as _, Result};
use chrono::Utc;
use futures::StreamExt;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::Context;
use crate::cli::{ImportArgs, ImportFormat};
use crate::crypto::fingerprint;
use crate::error::Exit;
use crate::fleet;
use crate::graph::MAX_BATCH;
use crate::graph::versions::Clock;
use crate::output::{Printer, Report};
use crate::store::{AuditEntry, NewConnection, Store, Upserted};
use crate::token::{DEFAULT_WARNING_DAYS, SharedUsers, TokenStatus};

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

    // Lines stream in from stdin on a blocking thread, a few batches ahead
    // of the checks: memory does not grow with the input.
    let (lines, mut parsed) =
        tokio::sync::mpsc::channel::<Result<Candidate, Rejected>>(4 * MAX_BATCH);
    let format = args.format;
    let consumed = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let reader = {
        let consumed = std::sync::Arc::clone(&consumed);
        tokio::task::spawn_blocking(move || {
            let stdin = Counted {
                inner: std::io::stdin().lock(),
                consumed,
            };
            let emit = |item| lines.blocking_send(item).is_ok();
            match format {
                ImportFormat::Jsonl => parse_jsonl(std::io::BufReader::new(stdin), emit),
                ImportFormat::Csv => parse_csv(stdin, emit),
            }
        })
    };

    // Unknown tenants and repeated tenants are rejected before asking Meta
    // anything; the first line of each tenant is remembered (an id and a
    // line number each).
    let rejected = std::cell::RefCell::new(Vec::new());
    let mut first_line: HashMap<i32, usize> = HashMap::new();
    let batches = async_stream_batches(&mut parsed, &store, &mut first_line, &rejected);

    // From a file, a bar over its bytes with an ETA; from a pipe, a count.
    let input_size = stdin_file_size();
    let by_bytes = input_size.is_some();
    let progress = match input_size {
        Some(size) => ctx.printer.progress_bytes(size, "importing"),
        None => ctx.printer.progress_unknown("checking tokens"),
    };
    let _usage_note = ctx.follow_usage(&graph, &progress);
    let now = Utc::now();

    // Each batch's accepted tokens are stored (one transaction per batch)
    // while later batches are still on the network.
    let judge = |batch: fleet::Settled<Candidate>| {
        let mut rows = Vec::new();
        for (candidate, answer) in batch {
            match accept(
                &candidate,
                &answer,
                graph.app_id(),
                graph.version(),
                &required,
                ctx.yes,
                now,
            ) {
                Ok(accepted) => rows.push(accepted),
                Err(reason) => rejected.borrow_mut().push(Rejected {
                    line: candidate.line,
                    reason,
                }),
            }
        }
        rows
    };
    let (mut imported, mut updated) = (0, 0);
    fleet::check_and_write(
        &graph,
        batches,
        fleet::DEFAULT_CONCURRENCY,
        |n| {
            if by_bytes {
                progress.set_position(consumed.load(std::sync::atomic::Ordering::Relaxed));
            } else {
                progress.inc(n);
            }
        },
        judge,
        async |rows: Vec<(NewConnection, AuditEntry)>| {
            let outcomes = store.upsert_connections(&cipher, &rows).await?;
            imported += outcomes
                .iter()
                .filter(|o| **o == Upserted::Inserted)
                .count();
            updated += outcomes.iter().filter(|o| **o == Upserted::Updated).count();
            Ok::<_, anyhow::Error>(())
        },
    )
    .await
    .context("storing the imported tokens")?;
    progress.finish();
    drop(parsed);
    reader.await.context("reading stdin")??;
    let mut rejected = rejected.into_inner();

    // Imported tenants now sharing a Meta user with another tenant (only
    // shared users are read back, not the fleet).
    let users = store.shared_meta_users().await?;
    let shared_users = SharedUsers::new(users.iter().map(|(id, user)| (*id, user.as_str())));
    store.close().await;
    let imported_lines: HashSet<usize> = rejected.iter().map(|r| r.line).collect();
    let shared: Vec<SharedUser> = users
        .iter()
        .filter(|(tenant_id, _)| {
            first_line
                .get(tenant_id)
                .is_some_and(|line| !imported_lines.contains(line))
        })
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

/// Parsed lines in batches of up to [`MAX_BATCH`] usable candidates, each
/// checked against the store's tenants and against earlier lines; the
/// lines refused here go to `rejected`.
fn async_stream_batches<'a>(
    parsed: &'a mut tokio::sync::mpsc::Receiver<Result<Candidate, Rejected>>,
    store: &'a Store,
    first_line: &'a mut HashMap<i32, usize>,
    rejected: &'a std::cell::RefCell<Vec<Rejected>>,
) -> impl futures::Stream<Item = Result<Vec<(SecretString, Candidate)>>> + 'a {
    futures::stream::unfold(
        (parsed, first_line),
        move |(parsed, first_line)| async move {
            let mut lines = Vec::with_capacity(MAX_BATCH);
            while lines.len() < MAX_BATCH {
                match parsed.recv().await {
                    Some(Ok(candidate)) => lines.push(candidate),
                    Some(Err(refused)) => rejected.borrow_mut().push(refused),
                    None => break,
                }
            }
            if lines.is_empty() {
                return None;
            }
            let ids: Vec<i32> = lines.iter().map(|c| c.tenant_id).collect();
            let known = match store.existing_tenants(&ids).await {
                Ok(known) => known,
                Err(e) => return Some((Err(e.into()), (parsed, first_line))),
            };
            let mut batch = Vec::with_capacity(lines.len());
            for c in lines {
                let reason = if !known.contains(&c.tenant_id) {
                    format!("no tenant with id {}", c.tenant_id)
                } else if let Some(first) = first_line.get(&c.tenant_id) {
                    format!("tenant {} already appears on line {first}", c.tenant_id)
                } else {
                    first_line.insert(c.tenant_id, c.line);
                    batch.push((c.token.clone(), c));
                    continue;
                };
                rejected.borrow_mut().push(Rejected {
                    line: c.line,
                    reason,
                });
            }
            Some((Ok(batch), (parsed, first_line)))
        },
    )
    // A batch whose every line was refused asks Meta nothing.
    .filter(|batch| futures::future::ready(!matches!(batch, Ok(b) if b.is_empty())))
}

/// stdin's size when it is a regular file (`< tokens.jsonl`), for an ETA.
fn stdin_file_size() -> Option<u64> {
    use std::os::fd::AsFd;
    let fd = std::io::stdin().as_fd().try_clone_to_owned().ok()?;
    let meta = std::fs::File::from(fd).metadata().ok()?;
    meta.is_file().then_some(meta.len())
}

/// stdin, counting the bytes read from it.
struct Counted<R> {
    inner: R,
    consumed: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
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

/// Reads JSON lines, handing each usable or rejected line to `emit`
/// (which says whether to go on).
fn parse_jsonl(
    input: impl std::io::BufRead,
    mut emit: impl FnMut(Result<Candidate, Rejected>) -> bool,
) -> Result<()> {
    for (index, text) in input.lines().enumerate() {
        let line = index + 1;
        let parsed = match text {
            Err(e) if e.kind() == std::io::ErrorKind::InvalidData => Err(Rejected {
                line,
                reason: "not UTF-8 text".into(),
            }),
            Err(e) => return Err(anyhow::Error::new(e).context("reading stdin")),
            Ok(text) if text.trim().is_empty() => continue,
            Ok(text) => match serde_json::from_str::<JsonLine>(&text) {
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
            },
        };
        if !emit(parsed) {
            break;
        }
    }
    Ok(())
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

/// Reads `tenant_id,access_token` records, as [`parse_jsonl`] does lines.
fn parse_csv(
    input: impl std::io::Read,
    mut emit: impl FnMut(Result<Candidate, Rejected>) -> bool,
) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(input);
    for (index, record) in reader.records().enumerate() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(index + 1, |p| p.line() as usize);
                if !emit(Err(Rejected {
                    line,
                    reason: "not valid CSV".into(),
                })) {
                    break;
                }
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
            if !emit(Err(Rejected {
                line,
                reason: format!(
                    "expected 2 fields (tenant_id,access_token), found {}",
                    record.len()
                ),
            })) {
                break;
            }
            continue;
        }
        let id = record
            .get(0)
            .and_then(|v| v.parse::<i64>().ok())
            .and_then(|v| i32::try_from(v).ok())
            .filter(|v| *v > 0);
        if !emit(candidate(line, id, record.get(1).and_then(token))) {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every usable and rejected line of `input`.
    fn collect(
        parse: impl FnOnce(&[u8], &mut dyn FnMut(Result<Candidate, Rejected>) -> bool) -> Result<()>,
        input: &str,
    ) -> (Vec<Candidate>, Vec<Rejected>) {
        let (mut ok, mut rejected) = (Vec::new(), Vec::new());
        let mut emit = |item| {
            match item {
                Ok(c) => ok.push(c),
                Err(r) => rejected.push(r),
            }
            true
        };
        parse(input.as_bytes(), &mut emit).unwrap();
        (ok, rejected)
    }

    fn jsonl(input: &str) -> (Vec<Candidate>, Vec<Rejected>) {
        collect(|bytes, emit| parse_jsonl(bytes, emit), input)
    }

    fn csv(input: &str) -> (Vec<Candidate>, Vec<Rejected>) {
        collect(|bytes, emit| parse_csv(bytes, emit), input)
    }

    #[test]
    fn jsonl_lines_are_numbered_and_checked() {
        let input = "{\"tenant_id\": 7, \"access_token\": \"EAA1\"}\n\n{\"tenant_id\": \"8\", \"access_token\": \"EAA2\"}\nnot json\n{\"tenant_id\": 0, \"access_token\": \"EAA3\"}\n{\"tenant_id\": 9, \"access_token\": \"two words\"}\n{\"tenant_id\": 10}\n";
        let (ok, rejected) = jsonl(input);
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
            csv("tenant_id,access_token\n7,EAA1\n8 , EAA2 \n9\nx,EAA3\n\"10\",\"EAA4\"\n");
        assert_eq!(
            ok.iter().map(|c| (c.line, c.tenant_id)).collect::<Vec<_>>(),
            [(2, 7), (3, 8), (6, 10)]
        );
        assert_eq!(rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [4, 5]);
        let (ok, _) = csv("7,EAA1\n");
        assert_eq!(ok.len(), 1);
    }

    #[test]
    fn rejection_reasons_never_quote_the_token() {
        let (_, rejected) = jsonl("{\"tenant_id\": 7, \"access_token\": \"EAAsecret\" ");
        assert!(!rejected[0].reason.contains("EAAsecret"));
    }
}
