//! Many tokens at once: `debug_token` in Graph batches of 50, several batches
//! in flight, items that failed transiently or were rate limited sent again
//! in later batches. Shared by `audit` and `import`; never touches the
//! terminal (progress goes to a callback).

use std::time::Instant;

use futures::{Stream, StreamExt, stream};
use secrecy::SecretString;

use crate::graph::{DebugToken, GraphClient, GraphError, MAX_BATCH};

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
