//! The one Graph API client every command uses.
//!
//! It signs user-token calls with `appsecret_proof`, parses Meta's typed
//! errors, retries transient failures of idempotent calls with jittered
//! backoff, waits out rate limits within a bound, honours the usage headers,
//! times out every request, never follows redirects, and scrubs tokens,
//! secrets and codes from anything it reports.

//!
//! - `transport`: HTTP, `appsecret_proof`, retries, rate-limit waits, error
//!   parsing and scrubbing;
//! - `endpoints`: the typed calls (token exchange, `debug_token` and its
//!   batches, `/me`, list edges with pagination, revocation);
//! - `pages`: the lead-ads calls (Pages and Page tokens, `subscribed_apps`,
//!   lead access, the app's webhook subscriptions);
//! - `types`, `error`, `usage`, `versions`: answers, errors, usage headers
//!   and the version clocks.

mod endpoints;
mod error;
pub mod pages;
mod transport;
mod types;
mod usage;
pub mod versions;

pub use endpoints::parse_batch_item;
pub use error::{ApiError, GraphError};
pub use transport::{Auth, GraphClient, RetryPolicy, appsecret_proof};
pub use types::*;
pub use usage::UsageGovernor;

/// Items per Graph batch request (Meta's limit).
pub const MAX_BATCH: usize = 50;
/// Page size asked of list edges (Meta caps it; the end is the missing `next`).
pub const PAGE_LIMIT: u32 = 100;
/// A loop guard: no edge this tool reads has more pages than this.
pub(crate) const MAX_PAGES: usize = 10_000;
/// How much of a non-JSON body an error quotes.
pub(crate) const SNIPPET_CHARS: usize = 120;
