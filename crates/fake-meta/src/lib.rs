//! A fake Meta: the OAuth dialog and the parts of the Graph API crm-meta
//! uses, served over real HTTP on 127.0.0.1, behaving as Meta's documentation says
//! the real one does: single-use codes bound to their redirect URI and PKCE
//! challenge, short- and long-lived tokens, `debug_token`, cursor pagination
//! that ends at the missing `next`, `appsecret_proof` enforcement, revocation,
//! batch requests, Pages and their lead-ads subscriptions, Meta's error
//! shapes and usage headers. Latency, faults and
//! rate limits can be injected.
//!
//! The fake serves tests, benchmarks and `cargo run --example fake_meta`:
//! arrange a [`World`], [`FakeMeta::start`] it, point crm-meta at
//! [`FakeMeta::env`], then inspect the world through [`FakeMeta::world`].
//!
//! Modules: `world` (the state and how tests arrange it), `oauth` (the
//! dialog and the code and token exchanges), `graph` (`debug_token`, the
//! Graph edges, pagination, batches), `pages` (Pages, Page tokens, the
//! `subscribed_apps` edge, lead access, the app's webhook subscriptions), `server` (the HTTP server, request
//! dispatch, latency and faults) and `answer` (Meta's answer and error
//! shapes). Everything public is re-exported here.

mod answer;
mod graph;
mod oauth;
mod pages;
mod server;
mod world;

pub use server::FakeMeta;
pub use world::{
    ALL_PAGE_TASKS, APP_ID, APP_SECRET, AdAccount, AppSubscription, Business, DEMO_PAGE_ID, Dialog,
    Fault, LONG_LIVED_SECONDS, Page, RateBudget, Token, User, World, now,
};
