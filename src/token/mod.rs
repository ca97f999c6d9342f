//! What a token's status is, and why: every rule in one place.
//!
//! - `status`: the contract's status words, and the status the stored
//!   dates alone imply (for `tenants list`, without asking Meta);
//! - [`assess()`]: a `debug_token` answer judged: validity, this app, the
//!   required scopes, expiry and data-access expiry;
//! - [`status_of_error`]: what a Graph error says about the token that made
//!   the call, by Meta's code and subcode, never by message text.
//!
//! `connect`, `import`, `test-connection`, `audit`, `refresh` and
//! `debug-token` all decide through here; `fleet` only batches the calls.

mod assess;
pub mod check;
mod shared;
mod status;
pub mod verify;

pub use assess::{Assessment, assess, assess_token, unix_time};
pub use shared::SharedUsers;
pub use status::{DEFAULT_WARNING_DAYS, TokenStatus, stored_status};

use crate::graph::GraphError;

/// What a failed Graph call made with a token says about that token:
/// Meta unreachable (or an error that is not about the token) is
/// `unreachable`; code 190 with subcode 463 is `expired`; any other token
/// error (190, 102) is `invalid`; a permission error (10, 200–299) is
/// `missing_scope`.
pub fn status_of_error(error: &GraphError) -> TokenStatus {
    match error.api() {
        _ if error.is_unreachable() => TokenStatus::Unreachable,
        Some(api) if api.is_expired_token() => TokenStatus::Expired,
        Some(api) if api.is_token_problem() => TokenStatus::Invalid,
        Some(api) if api.is_permission() => TokenStatus::MissingScope,
        _ => TokenStatus::Unreachable,
    }
}
