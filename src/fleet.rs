//! Many tokens at once: `debug_token` in Graph batches of 50, several batches
//! in flight (the Graph client settles each item, retrying what failed
//! transiently), and [`check_and_write`], the one pipeline that judges and
//! stores each batch while later ones are still on the network. Used by
//! `audit`, `import` and `refresh`; never touches the terminal (progress
//! goes to a callback).

use futures::{Stream, StreamExt, stream};
use secrecy::SecretString;

use crate::graph::{DebugToken, GraphClient, GraphError, MAX_BATCH};

/// Batches in flight by default: 8 × 50 tokens per round trip.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Asks `debug_token` about every token, [`MAX_BATCH`] per Graph batch and
/// `concurrency` batches in flight. Yields each batch's answers as it
/// settles, with the index of its first token, so callers can store results
/// while later batches are still on the network.
fn debug_batches<'a>(
    graph: &'a GraphClient,
    tokens: &'a [SecretString],
    concurrency: usize,
) -> impl Stream<Item = (usize, Vec<Result<DebugToken, GraphError>>)> + 'a {
    stream::iter(tokens.chunks(MAX_BATCH).enumerate())
        .map(move |(i, chunk)| async move { (i * MAX_BATCH, graph.debug_tokens_settled(chunk).await) })
        .buffer_unordered(concurrency.max(1))
}

/// The one pipeline over many tokens: `debug_token` in batches,
/// `concurrency` in flight; `judge` turns each settled batch (with the
/// index of its first token) into a job, and `write` runs the jobs while
/// later batches are still on the network. `progress` hears how many tokens
/// each batch settled. A failed write stops the remaining batches.
pub async fn check_and_write<J, E>(
    graph: &GraphClient,
    tokens: &[SecretString],
    concurrency: usize,
    progress: impl Fn(u64),
    mut judge: impl FnMut(usize, Vec<Result<DebugToken, GraphError>>) -> J,
    mut write: impl AsyncFnMut(J) -> Result<(), E>,
) -> Result<(), E> {
    let (jobs, mut queued) = tokio::sync::mpsc::unbounded_channel();
    let produce = async move {
        let mut batches = debug_batches(graph, tokens, concurrency);
        while let Some((offset, answers)) = batches.next().await {
            let settled = answers.len() as u64;
            if jobs.send(judge(offset, answers)).is_err() {
                break; // the writer failed; its error is the result
            }
            progress(settled);
        }
    };
    let consume = async move {
        while let Some(job) = queued.recv().await {
            write(job).await?;
        }
        Ok(())
    };
    let ((), written) = tokio::join!(produce, consume);
    written
}
