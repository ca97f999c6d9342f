//! crm-meta: connects CRM Ventas tenants to Meta from the command line.
//!
//! The library holds everything; `main.rs` only parses, runs and maps the
//! result to an exit code. Core modules (`store`, `crypto`, `settings`) never
//! touch the terminal; `output` and `commands` do.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod app;
pub mod assets;
pub mod cli;
pub mod commands;
pub mod crypto;
pub mod env_file;
pub mod error;
pub mod fleet;
pub mod graph;
pub mod keyring;
pub mod oauth;
pub mod output;
pub mod settings;
pub mod store;
pub mod text;
pub mod token;
