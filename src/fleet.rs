//! Many tokens at once: `debug_token` in Graph batches of 50, several batches
//! in flight (the Graph client settles each item, retrying what failed
//! transiently), and one pipeline that judges and stores each batch while
//! later ones are still on the network. Tokens can stream from the store a
//! page at a time ([`stored_tokens`]), so memory does not grow with the
//! fleet. Used by `audit`, `import`, `refresh` and `test-connection --all`;
//! never touches the terminal (progress goes to a callback).

use futures::{Stream, StreamExt, TryStreamExt, stream};
use secrecy::SecretString;

use crate::graph::{DebugToken, GraphClient, GraphError, MAX_BATCH};
use crate::keyring::Keyring;
use crate::store::{Connection, Store, StoreError, StoredToken};

/// Batches in flight by default: 8 × 50 tokens per round trip.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Rows read from the store per page.
const STORE_PAGE: u32 = 1_000;

/// A settled batch: each item's own data with Meta's answer about its token.
pub type Settled<T> = Vec<(T, Result<DebugToken, GraphError>)>;

/// Every stored token, in tenant order, as batches of at most
/// [`MAX_BATCH`], read from the store a page at a time.
pub fn stored_tokens<'a>(
    store: &'a Store,
    cipher: &'a Keyring,
) -> impl Stream<Item = Result<Vec<StoredToken>, StoreError>> + 'a {
    paged(
        move |after| store.tokens_page(cipher, after, STORE_PAGE),
        |t: &StoredToken| t.tenant_id,
    )
}

/// Every stored connection (token decrypted; with `expiring_by`, those
/// expiring by then), in tenant order, as batches of at most
/// [`MAX_BATCH`], read from the store a page at a time.
pub fn stored_connections<'a>(
    store: &'a Store,
    cipher: &'a Keyring,
    expiring_by: Option<chrono::DateTime<chrono::Utc>>,
) -> impl Stream<Item = Result<Vec<Connection>, StoreError>> + 'a {
    paged(
        move |after| store.connections_page(cipher, after, STORE_PAGE, expiring_by),
        |c: &Connection| c.info.tenant_id,
    )
}

/// A batch of connections as [`check_and_write`] takes it: each with its
/// token.
pub fn with_tokens(batch: Vec<Connection>) -> Vec<(SecretString, Connection)> {
    batch
        .into_iter()
        .map(|c| (c.access_token.clone(), c))
        .collect()
}

/// Pages of [`STORE_PAGE`] rows after a tenant id (`fetch`), until one
/// comes back short, cut into batches of at most [`MAX_BATCH`].
fn paged<T, F>(
    fetch: impl Fn(i32) -> F,
    tenant_of: fn(&T) -> i32,
) -> impl Stream<Item = Result<Vec<T>, StoreError>>
where
    F: std::future::Future<Output = Result<Vec<T>, StoreError>>,
{
    stream::try_unfold(Some(0), move |after| {
        let page = after.map(&fetch);
        async move {
            let Some(page) = page else {
                return Ok::<_, StoreError>(None);
            };
            let page = page.await?;
            let next = match page.last() {
                Some(last) if page.len() == STORE_PAGE as usize => Some(tenant_of(last)),
                _ => None,
            };
            Ok((!page.is_empty()).then_some((page, next)))
        }
    })
    .map_ok(|page| stream::iter(into_batches(page).into_iter().map(Ok)))
    .try_flatten()
}

fn into_batches<T>(items: Vec<T>) -> Vec<Vec<T>> {
    let mut batches = Vec::with_capacity(items.len().div_ceil(MAX_BATCH));
    let mut items = items.into_iter().peekable();
    while items.peek().is_some() {
        batches.push(items.by_ref().take(MAX_BATCH).collect());
    }
    batches
}

/// The one pipeline over many tokens. `batches` yields up to [`MAX_BATCH`]
/// tokens at a time, each with the caller's data; `concurrency` of them are
/// asked about at once, and they settle in order. `judge` turns each settled
/// batch into a job, and `write` runs the jobs while later batches are still
/// on the network. `progress` hears how many tokens each batch settled. A
/// failing source or write stops the remaining batches; at most a few
/// batches are in memory at any time.
pub async fn check_and_write<T, J, E>(
    graph: &GraphClient,
    batches: impl Stream<Item = Result<Vec<(SecretString, T)>, E>>,
    concurrency: usize,
    progress: impl Fn(u64),
    mut judge: impl FnMut(Settled<T>) -> J,
    mut write: impl AsyncFnMut(J) -> Result<(), E>,
) -> Result<(), E> {
    let concurrency = concurrency.max(1);
    let (jobs, mut queued) = tokio::sync::mpsc::channel::<Result<J, E>>(concurrency);
    let produce = async move {
        let mut settled = std::pin::pin!(
            batches
                .map(|batch| async move {
                    let batch = batch?;
                    let tokens: Vec<SecretString> = batch.iter().map(|(t, _)| t.clone()).collect();
                    let answers = graph.debug_tokens_settled(&tokens).await;
                    Ok(batch
                        .into_iter()
                        .map(|(_, data)| data)
                        .zip(answers)
                        .collect::<Settled<T>>())
                })
                .buffered(concurrency)
        );
        while let Some(batch) = settled.next().await {
            let job = batch.map(|batch| {
                let n = batch.len() as u64;
                (judge(batch), n)
            });
            let (job, n) = match job {
                Ok((job, n)) => (Ok(job), n),
                Err(e) => (Err(e), 0),
            };
            let failed = job.is_err();
            if jobs.send(job).await.is_err() || failed {
                break; // the writer stopped; its error is the result
            }
            progress(n);
        }
    };
    let consume = async move {
        while let Some(job) = queued.recv().await {
            write(job?).await?;
        }
        Ok(())
    };
    let ((), written) = tokio::join!(produce, consume);
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_at_most_fifty_in_order() {
        let batches = into_batches((0..120).collect());
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            [50, 50, 20]
        );
        assert_eq!(batches[2][0], 100);
        assert!(into_batches(Vec::<u8>::new()).is_empty());
    }
}
