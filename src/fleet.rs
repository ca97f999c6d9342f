//! Many tokens at once: `debug_token` in Graph batches of 50, several batches
//! in flight, items that failed transiently or were rate limited sent again
//! in later batches. Shared by `audit` and `import`; never touches the
//! terminal (progress goes to a callback).

use std::time::Instant;

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt, stream};
use secrecy::SecretString;

use crate::graph::{DebugToken, GraphClient, GraphError, MAX_BATCH};
use crate::status::TokenStatus;
use crate::verify::unix_time;

/// Batches in flight by default: 8 × 50 tokens per round trip.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Times an item that failed transiently is sent again.
const MAX_ITEM_RETRIES: u32 = 4;

/// Asks `debug_token` about every token, [`MAX_BATCH`] per Graph batch and
/// `concurrency` batches in flight. Yields each batch's answers as it
/// settles, with the index of its first token, so callers can store results
/// while later batches are still on the network.
pub fn debug_batches<'a>(
    graph: &'a GraphClient,
    tokens: &'a [SecretString],
    concurrency: usize,
) -> impl Stream<Item = (usize, Vec<Result<DebugToken, GraphError>>)> + 'a {
    stream::iter(tokens.chunks(MAX_BATCH).enumerate())
        .map(move |(i, chunk)| async move { (i * MAX_BATCH, debug_chunk(graph, chunk).await) })
        .buffer_unordered(concurrency.max(1))
}

/// One batch, with its failed items sent again until they settle.
async fn debug_chunk(
    graph: &GraphClient,
    chunk: &[SecretString],
) -> Vec<Result<DebugToken, GraphError>> {
    let mut results: Vec<Option<Result<DebugToken, GraphError>>> =
        (0..chunk.len()).map(|_| None).collect();
    let mut pending: Vec<usize> = (0..chunk.len()).collect();
    let mut transient_rounds = 0;
    let started = Instant::now();
    let budget = graph.policy().max_rate_limit_wait + graph.policy().request_timeout;
    while !pending.is_empty() {
        let tokens: Vec<&SecretString> = pending.iter().map(|&i| &chunk[i]).collect();
        let answers = match graph.debug_tokens(&tokens).await {
            Ok(answers) => answers,
            Err(e) => {
                // The batch failed as a whole after the client's own retries.
                for &i in &pending {
                    results[i] = Some(Err(e.clone()));
                }
                break;
            }
        };
        let mut again = Vec::new();
        let mut rate_limited = false;
        for (&i, answer) in pending.iter().zip(answers) {
            match answer {
                Err(e)
                    if e.api().is_some_and(|a| a.is_rate_limit()) && started.elapsed() < budget =>
                {
                    rate_limited = true;
                    again.push(i);
                    results[i] = Some(Err(e));
                }
                Err(e) if e.is_retryable() && transient_rounds < MAX_ITEM_RETRIES => {
                    again.push(i);
                    results[i] = Some(Err(e));
                }
                answer => results[i] = Some(answer),
            }
        }
        if again.is_empty() {
            break;
        }
        if rate_limited {
            // Every batch of this client pauses until the block should be over.
            graph.usage().blocked_for(graph.policy().rate_limit_backoff);
        } else {
            transient_rounds += 1;
            tokio::time::sleep(graph.policy().base_backoff * 2u32.pow(transient_rounds)).await;
        }
        pending = again;
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(GraphError::Transport("no answer".into()))))
        .collect()
}

/// What a `debug_token` answer means for a stored token.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub status: TokenStatus,
    pub detail: Option<String>,
    pub meta_user_id: Option<String>,
    pub token_type: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub data_access_expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub missing_scopes: Vec<String>,
    /// A valid token that never expires (system users).
    pub never_expires: bool,
}

/// Judges one answer: invalid or expired, another app's, lacking a required
/// scope, expiring (token or data access) within `within_days`, or ok.
pub fn assess(
    answer: &Result<DebugToken, GraphError>,
    app_id: &str,
    required: &[String],
    within_days: i64,
    now: DateTime<Utc>,
) -> Assessment {
    match answer {
        Ok(debug) => assess_token(debug, app_id, required, within_days, now),
        Err(e) => {
            let status = match e.api() {
                _ if e.is_unreachable() => TokenStatus::Unreachable,
                Some(api) if api.is_expired_token() => TokenStatus::Expired,
                Some(api) if api.is_token_problem() => TokenStatus::Invalid,
                _ => TokenStatus::Unreachable,
            };
            Assessment::empty(status, e.to_string())
        }
    }
}

/// Judges what `debug_token` said about one token (see [`assess`]).
pub fn assess_token(
    debug: &DebugToken,
    app_id: &str,
    required: &[String],
    within_days: i64,
    now: DateTime<Utc>,
) -> Assessment {
    let expires_at = unix_time(debug.expires_at);
    let data_access_expires_at = unix_time(debug.data_access_expires_at);
    let mut a = Assessment {
        status: TokenStatus::Ok,
        detail: None,
        meta_user_id: debug.user_id.clone(),
        token_type: debug.token_type.clone(),
        expires_at,
        data_access_expires_at,
        scopes: debug.scopes.clone(),
        missing_scopes: required
            .iter()
            .filter(|s| !debug.scopes.contains(s))
            .cloned()
            .collect(),
        never_expires: debug.is_valid && debug.expires_at == 0,
    };
    if !debug.is_valid {
        let message = debug
            .error
            .as_ref()
            .map(|e| e.message.clone())
            .unwrap_or_else(|| "not valid".into());
        let expired = expires_at.is_some_and(|at| at <= now)
            || debug.error.as_ref().is_some_and(|e| e.subcode == Some(463));
        a.status = if expired {
            TokenStatus::Expired
        } else {
            TokenStatus::Invalid
        };
        a.detail = Some(message);
    } else if debug.app_id.as_deref() != Some(app_id) {
        a.status = TokenStatus::Invalid;
        a.detail = Some(format!(
            "issued to Meta app {}",
            debug.app_id.as_deref().unwrap_or("unknown")
        ));
    } else if !a.missing_scopes.is_empty() {
        a.status = TokenStatus::MissingScope;
        a.detail = Some(format!("lacks {}", a.missing_scopes.join(", ")));
    } else {
        let horizon = now + chrono::Duration::days(within_days);
        let soonest = [expires_at, data_access_expires_at]
            .into_iter()
            .flatten()
            .min();
        if let Some(at) = soonest.filter(|at| *at <= horizon) {
            a.status = TokenStatus::Expiring;
            let what = if Some(at) == expires_at {
                "token"
            } else {
                "data access"
            };
            a.detail = Some(format!("{what} expires {}", at.format("%Y-%m-%d")));
        }
    }
    a
}

impl Assessment {
    fn empty(status: TokenStatus, detail: String) -> Self {
        Self {
            status,
            detail: Some(detail),
            meta_user_id: None,
            token_type: None,
            expires_at: None,
            data_access_expires_at: None,
            scopes: Vec::new(),
            missing_scopes: Vec::new(),
            never_expires: false,
        }
    }
}
