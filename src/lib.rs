//! crm-meta: connects CRM Ventas tenants to Meta from the command line.
//!
//! The library holds everything; `main.rs` only calls [`app::main`]. The
//! core (`settings`, `store`, `keyring`, `crypto`, `token`, `graph`,
//! `oauth`, `fleet`, `leads`) never touches the terminal; `commands` build typed
//! reports and `output` renders them. Modules are crate-private unless the
//! integration tests and benchmarks drive them directly.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub(crate) mod assets;
pub(crate) mod cli;
pub(crate) mod commands;
pub mod crypto;
pub(crate) mod env_file;
pub(crate) mod error;
pub(crate) mod fleet;
pub mod graph;
pub mod keyring;
pub(crate) mod leads;
pub(crate) mod oauth;
pub(crate) mod output;
pub mod settings;
pub mod store;
pub(crate) mod text;
pub mod token;
