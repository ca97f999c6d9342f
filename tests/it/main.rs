//! One integration test binary (as ripgrep and uv do): the real `crm-meta`
//! binary and the real store against SQLite files and PostgreSQL.

mod browser;
mod cli;
mod clocks;
mod connect;
mod fleet;
mod hardening;
mod leads;
mod lifecycle;
mod metrics;
mod migrate;
mod operate;
mod relay;
mod store_contract;
mod support;
mod tenants;
mod tour;
mod trust;
