//! One module per command. Each takes the shared [`Context`] and returns the
//! exit status it earned; errors go back to `main` through `anyhow`.

mod completions;
mod connect;
mod migrate;
mod tenants;

use anyhow::Result;

use crate::cli::{Cli, Command, GlobalOpts};
use crate::crypto::TokenCipher;
use crate::error::{Exit, NotImplemented, UserError};
use crate::graph::{GraphClient, RetryPolicy};
use crate::output::Printer;
use crate::settings::{DatabaseTarget, Settings};
use crate::store::Store;

/// What every command gets: settings resolved once, the printer, and the
/// global flags. Database and key are opened on demand, so a command that
/// needs neither never touches them.
pub struct Context {
    pub settings: Settings,
    pub printer: Printer,
    pub yes: bool,
}

impl Context {
    pub fn new(global: &GlobalOpts, settings: Settings) -> Self {
        let printer = Printer::new(global.json, global.quiet, settings.no_color());
        Self {
            settings,
            printer,
            yes: global.yes,
        }
    }

    /// Resolves the database setting; fails before any I/O when it is malformed.
    pub fn database(&self) -> Result<DatabaseTarget> {
        Ok(self.settings.database()?)
    }

    /// Opens the store for a command that reads or writes tenants.
    pub async fn store(&self, target: &DatabaseTarget) -> Result<Store> {
        Ok(Store::open(target).await?)
    }

    /// The cipher for stored tokens (resolving, or generating, the key).
    pub fn cipher(&self, target: &DatabaseTarget) -> Result<TokenCipher> {
        Ok(TokenCipher::new(self.settings.token_key(target)?))
    }

    /// The Graph client, from the app and endpoint settings.
    pub fn graph(&self) -> Result<GraphClient> {
        let app = self.settings.meta_app()?;
        let endpoints = self.settings.graph()?;
        let (request_timeout, max_rate_limit_wait) = self.settings.http_limits()?;
        let policy = RetryPolicy {
            request_timeout,
            max_rate_limit_wait,
            ..RetryPolicy::default()
        };
        Ok(GraphClient::new(endpoints, app, policy)?)
    }

    /// Asks a yes/no question, or requires `flag` where nobody can answer.
    /// Returns whether the answer was yes.
    pub fn confirm(&self, question: &str, flag: &str) -> Result<bool> {
        if self.yes {
            return Ok(true);
        }
        if !self.printer.can_prompt() {
            return Err(UserError(format!(
                "{question} No terminal to ask on: pass {flag} to confirm."
            ))
            .into());
        }
        Ok(dialoguer::Confirm::new()
            .with_prompt(question)
            .default(false)
            .interact()?)
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli, settings: Settings) -> Result<Exit> {
    let ctx = Context::new(&cli.global, settings);
    match cli.command {
        Command::Migrate(args) => migrate::run(&ctx, args).await,
        Command::Tenants(command) => tenants::run(&ctx, command).await,
        Command::Completions { shell } => completions::run(shell),
        Command::Connect(args) => connect::run(&ctx, args).await,
        Command::Disconnect(_) => not_yet("disconnect"),
        Command::TestConnection(_) => not_yet("test-connection"),
        Command::DebugToken(_) => not_yet("debug-token"),
        Command::ListAccounts(_) => not_yet("list-accounts"),
        Command::Audit(_) => not_yet("audit"),
        Command::Import(_) => not_yet("import"),
        Command::Select(_) => not_yet("select"),
        Command::Refresh(_) => not_yet("refresh"),
        Command::Keys(_) => not_yet("keys rotate"),
    }
}

/// Commands whose issues are still open say so instead of pretending.
fn not_yet(command: &'static str) -> Result<Exit> {
    Err(NotImplemented(command).into())
}
