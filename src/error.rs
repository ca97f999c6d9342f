//! Exit codes of the contract and the typed errors that map onto them.
//!
//! Commands return `anyhow::Result`; at the edge, [`classify`] walks the error
//! chain for the first typed error below and takes its exit code and kind.
//! Anything else is an unexpected error (exit 1).

use std::process::ExitCode;

use crate::settings::ConfigError;

/// The exit codes (README, "Exit codes"). The discriminants are the codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success; every checked token `ok`.
    Success = 0,
    /// Configuration, database or unexpected error.
    Error = 1,
    /// Usage error (clap).
    Usage = 2,
    /// A check found a problem: a token not `ok`, a pending migration, a rejected import line.
    Problem = 3,
    /// The tenant has no Meta connection.
    NotConnected = 4,
    /// Meta could not be reached or answered with an error after retries.
    Meta = 5,
    /// Authorization not completed: denied, timed out or cancelled.
    AuthIncomplete = 6,
}

impl Exit {
    /// The numeric code, as a process exit status and in JSON errors.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// A request the user made that cannot be carried out as asked (unknown
/// tenant, a confirmation that needs `--yes`, a command not built yet).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

/// The tenant exists but has no stored Meta connection (exit 4).
#[derive(Debug, thiserror::Error)]
#[error("tenant {tenant_id} has no Meta connection; run `crm-meta connect --tenant {tenant_id}`")]
pub struct NotConnected {
    pub tenant_id: i32,
}

/// Maps an error chain to its exit code and a stable `kind` for `--json`.
pub fn classify(err: &anyhow::Error) -> (Exit, &'static str) {
    for cause in err.chain() {
        if cause.is::<ConfigError>() {
            return (Exit::Error, "config");
        }
        if cause.is::<UserError>() || cause.is::<crate::assets::Unreachable>() {
            return (Exit::Error, "invalid_request");
        }
        if cause.is::<NotConnected>() {
            return (Exit::NotConnected, "not_connected");
        }
        if let Some(store) = cause.downcast_ref::<crate::store::StoreError>() {
            return (Exit::Error, store.kind());
        }
        if let Some(key) = cause.downcast_ref::<crate::crypto::CryptoError>() {
            return (Exit::Error, key.kind());
        }
        if let Some(graph) = cause.downcast_ref::<crate::graph::GraphError>() {
            return (Exit::Meta, graph.kind());
        }
        if let Some(oauth) = cause.downcast_ref::<crate::oauth::OAuthError>() {
            use crate::oauth::OAuthError as O;
            return match oauth {
                O::Denied { .. } => (Exit::AuthIncomplete, "denied"),
                O::TimedOut(_) => (Exit::AuthIncomplete, "timed_out"),
                O::Cancelled => (Exit::AuthIncomplete, "cancelled"),
                O::BadCallback(_) | O::State(_) => (Exit::AuthIncomplete, "bad_callback"),
                O::NotLoopback { .. } | O::Bind { .. } => (Exit::Error, "listener"),
            };
        }
        if let Some(verify) = cause.downcast_ref::<crate::token::verify::VerifyError>() {
            use crate::token::verify::VerifyError as V;
            return match verify {
                V::NotValid { .. } => (Exit::Problem, "token_invalid"),
                V::WrongApp { .. } => (Exit::Problem, "token_wrong_app"),
                V::Graph(g) => (Exit::Meta, g.kind()),
            };
        }
    }
    (Exit::Error, "error")
}
