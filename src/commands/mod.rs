//! One module per command. Each takes the shared [`Context`] (settings,
//! printer, store and keys opened on demand), does its work through the
//! core, and hands a typed report to `ctx.printer.finish`, which renders it
//! and returns the exit status it earned; errors go back to `main` through
//! `anyhow`.

mod audit;
mod completions;
mod connect;
mod deadlines;
mod debug_token;
mod disconnect;
mod doctor;
mod import;
mod keys;
mod leads;
mod list_accounts;
mod log;
mod migrate;
mod refresh;
mod relay_page;
mod select;
mod tenants;
mod test_connection;

use std::io::IsTerminal;

use anyhow::{Context as _, Result};
use secrecy::SecretString;
use tokio::io::{AsyncBufReadExt, AsyncReadExt};

use crate::assets::{self, Assets, Reachable, Resolved};
use crate::cli::AccountChoice;
use crate::output::new_table;

use crate::cli::{Cli, Command, GlobalOpts};
use crate::error::{Exit, UserError};
use crate::graph::pages::ManagedPage;
use crate::graph::versions::{self, Clock, Lifecycle};
use crate::graph::{GraphClient, RetryPolicy};
use crate::keyring::{KeySettings, Keyring};
use crate::leads::PageChoice;
use crate::output::Printer;
use crate::settings::{DatabaseTarget, Settings};
use crate::store::Connection;
use crate::store::Store;

/// What every command gets: settings resolved once, the printer, and the
/// global flags. Database and key are opened on demand, so a command that
/// needs neither never touches them.
pub struct Context {
    pub settings: Settings,
    pub printer: Printer,
    pub yes: bool,
    /// Meta's warning that the configured version has ended, from any Graph
    /// client of this run; shown once when the command ends.
    version_notice: std::sync::Arc<std::sync::OnceLock<String>>,
}

impl Context {
    pub fn new(global: &GlobalOpts, settings: Settings, printer: Printer) -> Self {
        Self {
            settings,
            printer,
            yes: global.yes,
            version_notice: Default::default(),
        }
    }

    /// Resolves the database setting; fails before any I/O when it is malformed.
    pub fn database(&self) -> Result<DatabaseTarget> {
        Ok(self.settings.database()?)
    }

    /// Opens the store for a command that reads or writes tenants. An
    /// embedded store in a directory other users can enter draws a warning.
    pub async fn store(&self, target: &DatabaseTarget) -> Result<Store> {
        if let DatabaseTarget::Sqlite { path } = target {
            let mut dirs: Vec<std::path::PathBuf> =
                path.parent().map(Into::into).into_iter().collect();
            dirs.extend(self.settings.home().ok());
            dirs.dedup();
            for dir in dirs {
                if let Some(mode) = crate::crypto::shared_dir_mode(&dir) {
                    self.printer.warn(format!(
                        "{} can be entered by other users (mode {mode:o}); it holds the token store. Run `chmod 700 {}`.",
                        dir.display(),
                        dir.display()
                    ));
                }
            }
        }
        Ok(Store::open(target).await?)
    }

    /// The keys the settings name, checked before any I/O.
    pub fn key_settings(&self, target: &DatabaseTarget) -> Result<KeySettings> {
        let keys = self.settings.key_settings(target)?;
        keys.check()?;
        Ok(keys)
    }

    /// The keyring for stored tokens: every key a row may use, and the
    /// current one (generated only for an empty embedded store).
    pub async fn keyring(&self, store: &Store, keys: KeySettings) -> Result<Keyring> {
        Ok(Self::load_keyring(store, keys).await?.0)
    }

    /// The keyring for a command that stores tokens. It must hold every key
    /// the stored rows use: a run configured with only some of them is
    /// likely on the wrong key, and writing would split the store between
    /// keys that no single machine holds.
    pub async fn keyring_for_writing(&self, store: &Store, keys: KeySettings) -> Result<Keyring> {
        let (keyring, usage) = Self::load_keyring(store, keys).await?;
        if let Some((id, count)) = usage.iter().find(|(id, _)| !keyring.holds(id)) {
            return Err(UserError(format!(
                "{count} stored token(s) use key {id}, which this run does not hold (its current key is {}); \
                 nothing was stored. Set CRM_META_TOKEN_KEY to the store's key, or add key {id} to CRM_META_TOKEN_KEYS_PREVIOUS \
                 (`crm-meta keys list` shows every key the rows use)",
                keyring.current_key_id()
            ))
            .into());
        }
        Ok(keyring)
    }

    /// Loads the keyring against the keys the stored rows use.
    async fn load_keyring(
        store: &Store,
        keys: KeySettings,
    ) -> Result<(Keyring, Vec<(String, i64)>)> {
        let usage = store.key_ids().await?;
        let keyring = Keyring::load(keys, &usage)?;
        Ok((keyring, usage))
    }

    /// The Graph client, from the app and endpoint settings, for a command
    /// whose calls run on `clocks`: a version that ends within 90 days on one
    /// of them draws a warning (once), one that has ended is refused.
    pub fn graph(&self, clocks: &[Clock]) -> Result<GraphClient> {
        let app = self.settings.meta_app()?;
        let endpoints = self.settings.graph()?;
        let today = chrono::Utc::now().date_naive();
        for &clock in clocks {
            match clock.lifecycle(&endpoints.version, today) {
                Lifecycle::Current => {}
                Lifecycle::EndsSoon { on, days } => self.printer.warn(versions::ends_soon_warning(
                    clock,
                    &endpoints.version,
                    on,
                    days,
                )),
                Lifecycle::Ended { on } => {
                    let when = on.map(|d| format!(" on {d}")).unwrap_or_default();
                    return Err(crate::settings::ConfigError::new(
                        "META_GRAPH_API_VERSION",
                        format!(
                            "{} {} ended{when}; its {} calls fail",
                            clock.name(),
                            endpoints.version,
                            versions::what_fails(clock)
                        ),
                        format!("Set it to {}.", versions::NEWEST),
                    )
                    .into());
                }
            }
        }
        let (request_timeout, max_rate_limit_wait) = self.settings.http_limits()?;
        let policy = RetryPolicy {
            request_timeout,
            max_rate_limit_wait,
            ..RetryPolicy::default()
        };
        Ok(GraphClient::new(endpoints, app, policy)?
            .with_version_notice(self.version_notice.clone()))
    }

    /// A tenant's connection with its token, or the contract's errors: an
    /// unknown tenant (exit 1) or no connection (exit 4).
    pub async fn connection(
        &self,
        store: &Store,
        cipher: &Keyring,
        tenant_id: i32,
    ) -> Result<Connection> {
        store.require_tenant(tenant_id).await?;
        store
            .connection(cipher, tenant_id)
            .await?
            .ok_or_else(|| crate::error::NotConnected { tenant_id }.into())
    }

    /// Opens the store and a tenant's connection with its token, for the
    /// commands that act on one tenant.
    pub async fn open_connection(&self, tenant_id: i32) -> Result<(Store, Connection)> {
        let target = self.database()?;
        let keys = self.key_settings(&target)?;
        let store = self.store(&target).await?;
        let cipher = self.keyring(&store, keys).await?;
        let connection = self.connection(&store, &cipher, tenant_id).await?;
        Ok((store, connection))
    }

    /// Asks a yes/no question, or requires `flag` where nobody can answer.
    /// Returns whether the answer was yes.
    pub fn confirm(&self, question: &str, flag: &str) -> Result<bool> {
        self.printer.confirm(question, flag, self.yes)
    }

    /// Resolves `--business`/`--ad-account`, the only account there is, or
    /// the person's pick; refuses an account the token does not reach.
    pub fn choose_account<'a>(
        &self,
        options: &'a [Reachable<'a>],
        choice: &AccountChoice,
    ) -> Result<Chosen<'a>> {
        match assets::resolve_choice(
            options,
            choice.business.as_deref(),
            choice.ad_account.as_deref(),
        )? {
            Resolved::Picked(found) => Ok(Chosen::Picked(found)),
            Resolved::None => Ok(Chosen::Undecided(
                "the Meta user reaches no ad account".into(),
            )),
            Resolved::Several if self.printer.can_prompt() && !self.yes => {
                let labels: Vec<String> = options.iter().map(account_label).collect();
                let default = options
                    .iter()
                    .position(|o| o.account.is_usable())
                    .unwrap_or(0);
                let index = self
                    .printer
                    .pick(
                        "Ad account the CRM syncs for this tenant (type to filter)",
                        &labels,
                        default,
                    )?
                    .ok_or_else(|| {
                        UserError("no ad account chosen; run `crm-meta select` later".into())
                    })?;
                options
                    .get(index)
                    .map(Chosen::Picked)
                    .ok_or_else(|| UserError("no ad account chosen".into()).into())
            }
            Resolved::Several => Ok(Chosen::Undecided(format!(
                "{} ad accounts to choose from and nobody to ask (no terminal, or --yes): pass --business ID --ad-account act_… (see `crm-meta list-accounts`)",
                options.len()
            ))),
        }
    }
}

impl Context {
    /// `--max-usage`/`META_MAX_USAGE`: this run's fleet calls never push the
    /// app's reported usage past it, waiting at most META_RATE_LIMIT_MAX_WAIT.
    pub fn limit_usage(&self, graph: &GraphClient, limit: &crate::cli::UsageLimit) {
        if let Some(percent) = limit.max_usage {
            graph
                .usage()
                .set_ceiling(f64::from(percent), graph.policy().max_rate_limit_wait);
        }
    }

    /// The progress note while the `--max-usage` ceiling holds calls back.
    pub fn follow_usage(
        &self,
        graph: &GraphClient,
        progress: &crate::output::Progress,
    ) -> crate::output::Follow {
        let graph = graph.clone();
        progress.follow(move || {
            let wait = graph.usage().ceiling_wait()?;
            let until = wait.until.map_or_else(
                || "answers in flight report lower usage".to_owned(),
                |at| chrono::DateTime::<chrono::Local>::from(at).format("%H:%M:%S").to_string(),
            );
            Some(format!(
                "waiting: the app's Meta usage is {:.0}%, this run stays under {:.0}% (--max-usage), until {until}",
                wait.percent, wait.max_percent
            ))
        })
    }

    /// Resolves `--page ID` (empty: no id), the only Page the user can
    /// advertise on, or the person's pick among every Page with its tasks.
    /// A Page without `ADVERTISE`, or not the user's, is refused by name.
    pub fn choose_page<'a>(
        &self,
        pages: &'a [ManagedPage],
        requested: Option<&str>,
    ) -> Result<PagePick<'a>> {
        let requested = requested.map(str::trim).filter(|id| !id.is_empty());
        match crate::leads::choose_page(pages, requested)? {
            PageChoice::Picked(page) => Ok(PagePick::Picked(page)),
            PageChoice::NoneEligible => Ok(PagePick::Undecided(format!(
                "the Meta user can perform the ADVERTISE task on none of its {} Page(s)",
                pages.len()
            ))),
            PageChoice::Several(_) if self.printer.can_prompt() && !self.yes => {
                let labels: Vec<String> = pages
                    .iter()
                    .map(|p| format!("{}  {}  ({})", p.id, p.name, p.tasks.join(", ")))
                    .collect();
                let default = pages.iter().position(|p| p.can_advertise()).unwrap_or(0);
                let index = self
                    .printer
                    .pick(
                        "Page whose lead ads reach the CRM (type to filter)",
                        &labels,
                        default,
                    )?
                    .ok_or_else(|| UserError("no Page chosen".into()))?;
                let id = pages.get(index).map(|p| p.id.as_str());
                match crate::leads::choose_page(pages, id)? {
                    PageChoice::Picked(page) => Ok(PagePick::Picked(page)),
                    _ => Err(UserError("no Page chosen".into()).into()),
                }
            }
            PageChoice::Several(eligible) => Ok(PagePick::Undecided(format!(
                "{} Pages to choose from and nobody to ask (no terminal, or --yes): pass --page ID",
                eligible.len()
            ))),
        }
    }
}

/// How the tenant's Page was decided.
pub enum PagePick<'a> {
    Picked(&'a ManagedPage),
    Undecided(String),
}

/// How the ad account the CRM syncs was decided.
pub enum Chosen<'a> {
    Picked(&'a Reachable<'a>),
    /// Nothing to choose from, or nobody to ask and nothing said.
    Undecided(String),
}

/// One line of the ad-account picker.
fn account_label(o: &Reachable) -> String {
    let a = o.account;
    let marker = if a.is_usable() {
        String::new()
    } else {
        format!("  [{}]", a.status)
    };
    let owner = match o.business {
        Some((_, name)) => format!("{name} · {:?}", a.relation).to_lowercase(),
        None => "personal".to_owned(),
    };
    format!("{}  {}  ({owner}){marker}", a.id, a.name)
}

/// Runs the parsed command line, printing through `printer` (the same one
/// `main` reports errors with).
pub async fn run(cli: Cli, settings: Settings, printer: Printer) -> Result<Exit> {
    let ctx = Context::new(&cli.global, settings, printer);
    let result = dispatch(&ctx, cli.command).await;
    if let Some(notice) = ctx.version_notice.get() {
        ctx.printer.warn(notice);
    }
    result
}

async fn dispatch(ctx: &Context, command: Command) -> Result<Exit> {
    match command {
        Command::Migrate(args) => migrate::run(ctx, args).await,
        Command::Tenants(command) => tenants::run(ctx, command).await,
        Command::Completions { shell } => completions::run(shell),
        Command::RelayPage(args) => relay_page::run(ctx, args),
        Command::Leads(command) => leads::run(ctx, command).await,
        Command::Connect(args) => connect::run(ctx, args).await,
        Command::Disconnect(args) => disconnect::run(ctx, args).await,
        Command::TestConnection(args) => test_connection::run(ctx, args).await,
        Command::DebugToken(args) => debug_token::run(ctx, args).await,
        Command::ListAccounts(args) => list_accounts::run(ctx, args).await,
        Command::Audit(args) => audit::run(ctx, args).await,
        Command::Import(args) => import::run(ctx, args).await,
        Command::Select(args) => select::run(ctx, args).await,
        Command::Refresh(args) => refresh::run(ctx, args).await,
        Command::Keys(crate::cli::KeysCommand::Rotate { dry_run, prune }) => {
            keys::rotate(ctx, dry_run, prune).await
        }
        Command::Keys(crate::cli::KeysCommand::List) => keys::list(ctx).await,
        Command::Log(args) => log::run(ctx, args).await,
        Command::Deadlines(args) => deadlines::run(ctx, args).await,
        Command::Doctor => doctor::run(ctx).await,
    }
}

/// The longest token accepted on stdin (Meta's are a few hundred bytes).
const MAX_TOKEN_LEN: usize = 4096;

/// Reads a token from stdin: hidden input on a terminal, the first line otherwise.
pub async fn read_token(flag: &str) -> Result<SecretString> {
    // On a terminal the token is read hidden, even with --json: typed or
    // pasted, it must not stay on the screen.
    let token = if std::io::stdin().is_terminal() {
        tokio::task::spawn_blocking(|| Printer::secret("Meta access token")).await??
    } else {
        let mut line = String::new();
        let mut stdin =
            tokio::io::BufReader::new(tokio::io::stdin()).take(MAX_TOKEN_LEN as u64 + 2);
        stdin
            .read_line(&mut line)
            .await
            .context("reading the token from stdin")?;
        line
    };
    let token = token.trim().to_owned();
    if token.is_empty()
        || token.len() > MAX_TOKEN_LEN
        || !token.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(UserError(format!(
            "{flag} expects one access token on stdin (a single line, no spaces)"
        ))
        .into());
    }
    Ok(SecretString::from(token))
}

/// Business managers and their ad accounts as one table, personal accounts
/// last; the tenant's chosen account is marked.
pub fn accounts_table(assets: &Assets, selected: Option<&str>) -> comfy_table::Table {
    let mut table = new_table([
        "BUSINESS MANAGER",
        "AD ACCOUNT",
        "NAME",
        "STATUS",
        "CURRENCY",
        "RELATION",
    ]);
    let personal = assets
        .personal_ad_accounts
        .iter()
        .map(|a| ("(personal)".to_owned(), a));
    let owned = assets.business_managers.iter().flat_map(|b| {
        b.ad_accounts
            .iter()
            .map(move |a| (format!("{} ({})", b.name, b.id), a))
    });
    for (bm, a) in owned.chain(personal) {
        let mark = if selected == Some(a.id.as_str()) {
            " *"
        } else {
            ""
        };
        table.add_row([
            bm,
            format!("{}{mark}", a.id),
            a.name.clone(),
            a.status.clone(),
            a.currency.clone().unwrap_or_default(),
            format!("{:?}", a.relation).to_lowercase(),
        ]);
    }
    table
}

/// Ctrl-C, registered now rather than at the first poll, so an interrupt that
/// arrives just after a message is printed is not lost to the default action.
pub fn ctrl_c() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        let mut signal =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
        async move {
            match signal.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
