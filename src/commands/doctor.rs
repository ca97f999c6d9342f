//! `crm-meta doctor`: one command to run after setup or when something is
//! off. Each check says ok, warn or fail, and how to fix it. It sends no
//! tenant's token anywhere: Meta sees only the app's own credentials.

use anyhow::Result;
use chrono::Utc;
use serde::Serialize;

use super::Context;
use crate::error::Exit;
use crate::graph::versions::{self, Clock, Lifecycle};
use crate::keyring::Inventory;
use crate::oauth::loopback::LoopbackTarget;
use crate::output::{Printer, Report, new_table};
use crate::settings::{ConfigError, DatabaseTarget};
use crate::store::Store;

/// Beyond this, expiry maths and `appsecret_time` go wrong.
const MAX_SKEW_SECONDS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Serialize)]
struct Check {
    name: &'static str,
    status: Status,
    detail: String,
    fix: Option<String>,
}

impl Check {
    fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: Status::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn config(name: &'static str, e: &ConfigError) -> Self {
        Self::fail(
            name,
            format!("{}: {}", e.variable, e.problem),
            e.fix.clone(),
        )
    }
}

#[derive(Serialize)]
struct DoctorReport {
    checks: Vec<Check>,
}

pub async fn run(ctx: &Context) -> Result<Exit> {
    let s = &ctx.settings;
    let mut checks = Vec::new();

    // Settings: each one parses.
    let problems: Vec<ConfigError> = [
        s.meta_app().err(),
        s.graph().err(),
        s.http_limits().err(),
        s.database()
            .and_then(|target| s.key_settings(&target).and_then(|k| k.check()))
            .err(),
    ]
    .into_iter()
    .flatten()
    .collect();
    match problems.first() {
        None => checks.push(Check::ok("settings", "every setting parses")),
        Some(first) => checks.push(Check::config("settings", first)),
    }

    let (app, clock) = meta_app(ctx).await;
    let app_known = app.status == Status::Ok;
    checks.push(app);
    checks.push(clock);
    checks.push(leads_webhook(ctx, app_known).await);
    checks.push(redirect_uri(s.redirect_uri(), s.loopback_port()));
    let (database, keys) = store_checks(ctx).await;
    checks.push(database);
    checks.push(keys);
    for clock in Clock::BOTH {
        checks.push(version_clock(ctx, clock));
    }
    ctx.printer.finish(&DoctorReport { checks })
}

/// The app's own webhook subscription to Pages' `leadgen` field, with an
/// active callback: without it no lead reaches the CRM, whatever each
/// tenant's Page does.
async fn leads_webhook(ctx: &Context, app_known: bool) -> Check {
    const NAME: &str = "leads_webhook";
    const FIX: &str = "In the Meta App Dashboard, Webhooks: choose the Page object, set the CRM's callback URL and verify token, and subscribe to the leadgen field.";
    if !app_known {
        return Check::warn(
            NAME,
            "not checked: the app's id and secret are not proven",
            "Fix meta_app, then run doctor again.",
        );
    }
    let subscriptions = match ctx.graph(&[]) {
        Ok(graph) => graph.app_subscriptions().await,
        Err(e) => return Check::fail(NAME, e.to_string(), "Fix the settings above."),
    };
    let subscriptions = match subscriptions {
        Ok(subscriptions) => subscriptions,
        Err(e) => {
            return Check::fail(
                NAME,
                format!("reading the app's webhook subscriptions failed: {e}"),
                "Check the network, then run doctor again.",
            );
        }
    };
    let Some(page) = subscriptions.iter().find(|s| s.object == "page") else {
        return Check::fail(
            NAME,
            "the app has no webhook subscription to the Page object",
            FIX,
        );
    };
    let url = page.callback_url.as_deref().unwrap_or("no callback URL");
    if !page.fields.iter().any(|f| f.name == crate::leads::LEADGEN) {
        let fields: Vec<&str> = page.fields.iter().map(|f| f.name.as_str()).collect();
        return Check::fail(
            NAME,
            format!(
                "the Page subscription ({url}) lacks the leadgen field (it has: {})",
                if fields.is_empty() {
                    "none".to_owned()
                } else {
                    fields.join(", ")
                }
            ),
            FIX,
        );
    }
    if !page.active {
        return Check::fail(
            NAME,
            format!("the Page leadgen subscription's callback {url} is not active"),
            "Make the callback URL answer Meta's verification request, then re-verify it in the App Dashboard (Webhooks).",
        );
    }
    Check::ok(NAME, format!("Pages' leadgen field reaches {url}"))
}

/// The app id and secret, proven to Meta with an app access token, and
/// this machine's clock against the `Date` of Meta's answers.
async fn meta_app(ctx: &Context) -> (Check, Check) {
    const NAME: &str = "meta_app";
    let unchecked = || {
        Check::warn(
            "clock",
            "not compared with Meta's: Meta was not asked",
            "Fix the check above, then run doctor again.",
        )
    };
    let graph = match ctx.graph(&[]) {
        Ok(graph) => graph,
        Err(e) => {
            let check = match e.downcast_ref::<ConfigError>() {
                Some(config) => Check::config(NAME, config),
                None => Check::fail(NAME, e.to_string(), "Fix the settings above."),
            };
            return (check, unchecked());
        }
    };
    let verdict = match graph.app_token().await {
        Err(e) if e.is_unreachable() => Check::fail(
            NAME,
            e.to_string(),
            "Check the network and META_GRAPH_URL, then run doctor again.",
        ),
        Err(e) => Check::fail(
            NAME,
            format!("Meta refused the app id and secret: {e}"),
            "Copy META_APP_ID and META_APP_SECRET from the Meta app dashboard (App settings > Basic).",
        ),
        Ok(grant) => match graph.debug_token(&grant.access_token).await {
            Ok(debug) if debug.is_valid && debug.app_id.as_deref() == Some(graph.app_id()) => {
                Check::ok(
                    NAME,
                    format!(
                        "app {} ({}) is known to Meta and its secret is right",
                        graph.app_id(),
                        debug.application.as_deref().unwrap_or("unnamed")
                    ),
                )
            }
            Ok(debug) => Check::fail(
                NAME,
                format!(
                    "Meta's app token is not valid for app {} (it names {})",
                    graph.app_id(),
                    debug.app_id.as_deref().unwrap_or("no app")
                ),
                "Check META_APP_ID against the Meta app dashboard.",
            ),
            Err(e) => Check::fail(
                NAME,
                format!("debug_token of the app token failed: {e}"),
                "Check META_APP_ID and META_APP_SECRET, then run doctor again.",
            ),
        },
    };
    let clock = match graph.clock_offset() {
        Some(offset) if offset.num_seconds().abs() > MAX_SKEW_SECONDS => Check::warn(
            "clock",
            format!(
                "this machine's clock is {}s {} Meta's",
                offset.num_seconds().abs(),
                if offset.num_seconds() > 0 {
                    "behind"
                } else {
                    "ahead of"
                }
            ),
            "Synchronise the clock (NTP): token expiry and appsecret_time depend on it.",
        ),
        Some(offset) => Check::ok(
            "clock",
            format!("within {}s of Meta's", offset.num_seconds().abs()),
        ),
        None => unchecked(),
    };
    (verdict, clock)
}

/// The redirect URI's form, and for the loopback listener, a free port.
fn redirect_uri(uri: &str, loopback_port: Result<u16, ConfigError>) -> Check {
    const NAME: &str = "redirect_uri";
    let Ok(url) = url::Url::parse(uri) else {
        return Check::fail(
            NAME,
            format!("`{uri}` is not a URL"),
            "Set META_REDIRECT_URI to the redirect URI registered on the Meta app.",
        );
    };
    match url.scheme() {
        "https" => match loopback_port {
            Err(e) => Check::config(NAME, &e),
            Ok(port) => match loopback_ports_free(&LoopbackTarget::relay(port)) {
                Err((addr, e)) => Check::fail(
                    NAME,
                    format!(
                        "{addr} is in use ({e}): connect could not listen behind the relay page"
                    ),
                    "Stop what holds the port, or set META_LOOPBACK_PORT to a free one and publish `crm-meta relay-page` again.",
                ),
                Ok(()) => Check::ok(
                    NAME,
                    format!(
                        "{uri}: a relay page (works with a Live app when registered exactly); connect listens on {}",
                        crate::oauth::relay::listener_url(port)
                    ),
                ),
            },
        },
        "http" => match LoopbackTarget::from_redirect_uri(uri) {
            Err(e) => Check::fail(
                NAME,
                e.to_string(),
                "Use http://localhost:PORT/callback (development mode) or an https:// relay page (Live apps).",
            ),
            Ok(target) => match loopback_ports_free(&target) {
                Err((addr, e)) => Check::fail(
                    NAME,
                    format!("{addr} is in use ({e}): connect could not listen there"),
                    "Stop what holds the port, or register another port on the Meta app and set META_REDIRECT_URI.",
                ),
                Ok(_) => Check::warn(
                    NAME,
                    format!(
                        "{uri}: Meta accepts an http://localhost redirect only while the app is in development mode"
                    ),
                    "For a Live app, register an https:// relay page as the redirect URI and set META_REDIRECT_URI to it.",
                ),
            },
        },
        other => Check::fail(
            NAME,
            format!("`{uri}` uses {other}://"),
            "Use an https:// relay page or http://localhost:PORT/callback.",
        ),
    }
}

/// Binds what connect would bind: the address, and for `localhost` also [::1]
/// where the machine has IPv6 loopback.
fn loopback_ports_free(
    target: &LoopbackTarget,
) -> Result<(), (std::net::SocketAddr, std::io::Error)> {
    let _v4 = std::net::TcpListener::bind(target.addr).map_err(|e| (target.addr, e))?;
    if let Some(also) = target.also {
        match std::net::TcpListener::bind(also) {
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => return Err((also, e)),
            _ => {}
        }
    }
    Ok(())
}

/// The database reachable with every migration applied, and every key the
/// stored tokens use held. Nothing is created.
async fn store_checks(ctx: &Context) -> (Check, Check) {
    let target = match ctx.settings.database() {
        Ok(target) => target,
        Err(e) => return (Check::config("database", &e), skipped_keys()),
    };
    if let DatabaseTarget::Sqlite { path } = &target
        && !path.exists()
    {
        return (
            Check::ok(
                "database",
                format!(
                    "{} does not exist yet: the first command creates it",
                    target.display()
                ),
            ),
            Check::ok("keys", "no token stored yet"),
        );
    }
    let store = match Store::connect(&target).await {
        Ok(store) => store,
        Err(e) => {
            return (
                Check::fail(
                    "database",
                    format!("{e}"),
                    "Check DATABASE_URL and that the server is up.",
                ),
                skipped_keys(),
            );
        }
    };
    let database = match store.migration_status().await {
        Ok(status) if status.pending.is_empty() => Check::ok(
            "database",
            format!(
                "{}: {} migrations applied",
                target.display(),
                status.applied.len()
            ),
        ),
        Ok(status) if !target.is_postgres() => Check::ok(
            "database",
            format!(
                "{}: {} migration(s) pending, applied on the next command",
                target.display(),
                status.pending.len()
            ),
        ),
        Ok(status) => Check::fail(
            "database",
            format!("{} migration(s) pending", status.pending.len()),
            "Run `crm-meta migrate`.",
        ),
        Err(e) => Check::fail(
            "database",
            format!("{e}"),
            "Run `crm-meta migrate status` for details.",
        ),
    };
    let keys = match (store.key_ids().await, ctx.settings.key_settings(&target)) {
        (Err(_), _) => skipped_keys(),
        (_, Err(e)) => Check::config("keys", &e),
        (Ok(usage), Ok(settings)) => match Inventory::read(&settings) {
            Err(e) => Check::config("keys", &e),
            Ok(inventory) => {
                let missing: Vec<String> = usage
                    .iter()
                    .filter(|(id, _)| !inventory.holds(id))
                    .map(|(id, n)| format!("{id} ({n} token(s))"))
                    .collect();
                let total: i64 = usage.iter().map(|(_, n)| n).sum();
                if missing.is_empty() {
                    Check::ok(
                        "keys",
                        format!(
                            "all {total} stored token(s) open with the {} key(s) held",
                            inventory.held.len()
                        ),
                    )
                } else {
                    Check::fail(
                        "keys",
                        format!("missing key(s): {}", missing.join(", ")),
                        "Restore the key files (or CRM_META_TOKEN_KEYS_PREVIOUS); `crm-meta keys list` shows each.",
                    )
                }
            }
        },
    };
    store.close().await;
    (database, keys)
}

fn skipped_keys() -> Check {
    Check::warn(
        "keys",
        "not checked: the database could not be read",
        "Fix the database check first.",
    )
}

/// The configured version on one clock.
fn version_clock(ctx: &Context, clock: Clock) -> Check {
    let name = match clock {
        Clock::Graph => "graph_version",
        Clock::Marketing => "marketing_version",
    };
    let version = match ctx.settings.graph_version() {
        Ok(version) => version,
        Err(e) => return Check::config(name, &e),
    };
    match clock.lifecycle(&version, Utc::now().date_naive()) {
        Lifecycle::Current => Check::ok(
            name,
            format!("{} {version}: no end date within 90 days", clock.name()),
        ),
        Lifecycle::EndsSoon { on, days } => Check::warn(
            name,
            format!("{} {version} ends on {on} (in {days} days)", clock.name()),
            format!("Set META_GRAPH_API_VERSION={}.", versions::NEWEST),
        ),
        Lifecycle::Ended { on } => Check::fail(
            name,
            format!(
                "{} {version} ended{}",
                clock.name(),
                on.map(|d| format!(" on {d}")).unwrap_or_default()
            ),
            format!("Set META_GRAPH_API_VERSION={}.", versions::NEWEST),
        ),
    }
}

impl Report for DoctorReport {
    fn exit(&self) -> Exit {
        if self.checks.iter().any(|c| c.status == Status::Fail) {
            Exit::Problem
        } else {
            Exit::Success
        }
    }

    fn show(&self, out: &Printer) {
        let mut table = new_table(["CHECK", "STATUS", "DETAIL", "FIX"]);
        for c in &self.checks {
            table.add_row([
                c.name.to_owned(),
                format!("{:?}", c.status).to_lowercase(),
                c.detail.clone(),
                c.fix.clone().unwrap_or_default(),
            ]);
        }
        out.table(&table);
    }
}
