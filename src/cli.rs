//! The command-line interface: every command, flag and help text.
//!
//! Doc comments are the help text. Options shared by several commands are
//! flattened groups, as in sqlx-cli's `opt.rs`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

/// Connect CRM Ventas tenants to Meta (Facebook): OAuth from a terminal, an
/// encrypted token store, the CRM's Meta migrations, token audits.
///
/// Settings come from flags, then the environment, then a `.env` file in the
/// working directory. See the README for every variable.
#[derive(Debug, Parser)]
#[command(
    name = "crm-meta",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOpts,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags accepted before or after any subcommand.
#[derive(Debug, Args)]
pub struct GlobalOpts {
    /// Print one JSON document on stdout; no colour, progress bars or prompts.
    #[arg(long, global = true)]
    pub json: bool,

    /// More logging on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Answer yes to every confirmation; never prompt.
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,

    /// Do not read a `.env` file from the working directory.
    #[arg(long, global = true)]
    pub no_dotenv: bool,

    /// Database: `postgres://…` for production, `sqlite:…` for an embedded file.
    /// [default: sqlite://$CRM_META_HOME/crm-meta.db]
    #[arg(
        long,
        env = "DATABASE_URL",
        hide_env_values = true,
        global = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,
}

/// A tenant id: a positive integer naming a row of `tenants`.
pub type TenantId = i32;

fn tenant_id_parser() -> clap::builder::RangedI64ValueParser<i32> {
    clap::value_parser!(i32).range(1..)
}

#[derive(Debug, Args)]
pub struct TenantArg {
    /// The tenant's id (a row of `tenants`).
    #[arg(long, value_name = "ID", value_parser = tenant_id_parser())]
    pub tenant: TenantId,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or upgrade the CRM's Meta tables (safe to run from several CI jobs at once).
    Migrate(MigrateArgs),

    /// Manage tenants where crm-meta owns the `tenants` table.
    #[command(subcommand)]
    Tenants(TenantsCommand),

    /// Connect a tenant's Meta account: OAuth in the browser, then a verified,
    /// encrypted long-lived token.
    Connect(ConnectArgs),

    /// Revoke the app at Meta and delete the tenant's stored token.
    Disconnect(DisconnectArgs),

    /// Check stored tokens live against Meta.
    TestConnection(TestConnectionArgs),

    /// Show Meta's `debug_token` view of a token.
    DebugToken(DebugTokenArgs),

    /// List a tenant's business managers and ad accounts.
    ListAccounts(ListAccountsArgs),

    /// Check every stored token; flag expired, invalid, missing-scope and expiring ones.
    Audit(AuditArgs),

    /// Import existing tokens from stdin, validated and stored encrypted.
    Import(ImportArgs),

    /// Choose the business manager and ad account the CRM syncs for a tenant.
    Select(SelectArgs),

    /// Extend long-lived tokens while Meta allows; report tenants that must consent again.
    Refresh(RefreshArgs),

    /// Manage the key that encrypts tokens at rest.
    #[command(subcommand)]
    Keys(KeysCommand),

    /// Check the setup: settings, the Meta app, redirect URI, database, keys, version clocks, clock skew.
    Doctor,

    /// Every upcoming date that will break something, soonest first (store only, no Meta call, no key).
    Deadlines(DeadlinesArgs),

    /// The audit log, newest first (no key needed).
    Log(LogArgs),

    /// Lead ads: install the app on the tenant's Page for `leadgen`, and check the whole flow.
    #[command(subcommand)]
    Leads(LeadsCommand),

    /// Print the HTML page to host at an https:// META_REDIRECT_URI (a Live app's
    /// relay): it forwards Meta's answer to `connect` on this computer.
    RelayPage(RelayPageArgs),

    /// Print a shell completion script on stdout.
    Completions {
        /// The shell to complete for.
        shell: Shell,
    },
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct MigrateArgs {
    #[command(subcommand)]
    pub command: Option<MigrateCommand>,
}

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Apply pending migrations (the default).
    Run,
    /// List applied and pending migrations; exit 3 when any is pending.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// Add a tenant.
    Add {
        /// The tenant's id.
        #[arg(long, value_name = "ID", value_parser = tenant_id_parser())]
        id: TenantId,
        /// The tenant's display name.
        #[arg(long)]
        name: String,
    },
    /// Every tenant with its connection state (from the database; no network).
    List,
}

#[derive(Debug, Args)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub tenant: TenantArg,

    /// Print the URL and read the redirected URL pasted back, instead of a loopback listener.
    #[arg(long, conflicts_with = "with_token")]
    pub no_browser: bool,

    /// Read an existing user or system-user token from stdin instead of running OAuth.
    #[arg(long)]
    pub with_token: bool,

    /// Seconds to wait for the authorization to complete.
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,

    /// Redirect URI registered on the Meta app (must match exactly).
    #[arg(long, env = "META_REDIRECT_URI", value_name = "URI")]
    pub redirect_uri: Option<String>,

    /// With an https:// redirect URI (a relay page): the loopback port to listen
    /// on [env: META_LOOPBACK_PORT] [default: 8765]
    #[arg(long, value_name = "PORT", value_parser = loopback_port_parser())]
    pub loopback_port: Option<u16>,

    /// Permissions to request, comma separated.
    #[arg(long, env = "META_SCOPES", value_name = "LIST")]
    pub scopes: Option<String>,

    /// Facebook Login for Business configuration id, sent instead of the scopes.
    #[arg(long, env = "META_LOGIN_CONFIG_ID", value_name = "ID")]
    pub config_id: Option<String>,

    #[command(flatten)]
    pub choice: AccountChoice,

    /// The Page whose lead ads reach the CRM (else the only one the user can
    /// advertise on, or a picker on a terminal).
    #[arg(long, value_name = "PAGE_ID")]
    pub page: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum LeadsCommand {
    /// Install the app on the tenant's Page for the `leadgen` webhook field, then verify it.
    Subscribe(TenantArg),
    /// Page chosen, app installed with `leadgen`, lead access, permissions, and the
    /// app's own `page`/`leadgen` subscription; exit 3 when a check fails.
    Status(LeadsStatusArgs),
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").args(["tenant", "all"]).required(true))]
pub struct LeadsStatusArgs {
    /// Only this tenant.
    #[arg(long, value_name = "ID", value_parser = tenant_id_parser())]
    pub tenant: Option<TenantId>,
    /// Every connected tenant.
    #[arg(long)]
    pub all: bool,
    /// Tenants checked at once with --all.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,

    #[command(flatten)]
    pub usage: UsageLimit,
}

fn loopback_port_parser() -> clap::builder::RangedI64ValueParser<u16> {
    clap::value_parser!(u16).range(1..)
}

#[derive(Debug, Args)]
pub struct RelayPageArgs {
    /// The loopback port `connect` listens on, which the page forwards to
    /// [env: META_LOOPBACK_PORT] [default: 8765]
    #[arg(long, value_name = "PORT", value_parser = loopback_port_parser())]
    pub loopback_port: Option<u16>,
}

/// Answers the "which ad account" question without a terminal.
#[derive(Debug, Args)]
pub struct AccountChoice {
    /// Business manager id.
    #[arg(long, value_name = "ID", requires = "ad_account")]
    pub business: Option<String>,

    /// Ad account id (`act_…`).
    #[arg(long, value_name = "ACT_ID")]
    pub ad_account: Option<String>,
}

#[derive(Debug, Args)]
pub struct DisconnectArgs {
    #[command(flatten)]
    pub tenant: TenantArg,

    /// Delete the stored token without revoking the app's permissions at Meta.
    #[arg(long)]
    pub keep_remote: bool,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").required(true).args(["tenant", "all"]))]
pub struct TestConnectionArgs {
    /// The tenant to check.
    #[arg(long, value_name = "ID", value_parser = tenant_id_parser())]
    pub tenant: Option<TenantId>,

    /// Check every connected tenant.
    #[arg(long)]
    pub all: bool,

    #[command(flatten)]
    pub usage: UsageLimit,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["tenant", "token_stdin"]))]
pub struct DebugTokenArgs {
    /// The tenant whose stored token to inspect.
    #[arg(long, value_name = "ID", value_parser = tenant_id_parser())]
    pub tenant: Option<TenantId>,

    /// Read the token from stdin (needs no database).
    #[arg(long)]
    pub token_stdin: bool,
}

#[derive(Debug, Args)]
pub struct ListAccountsArgs {
    #[command(flatten)]
    pub tenant: TenantArg,

    /// Only this business manager.
    #[arg(long, value_name = "ID")]
    pub business: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
}

impl From<ReportFormat> for crate::output::Format {
    fn from(format: ReportFormat) -> Self {
        match format {
            ReportFormat::Table => Self::Table,
            ReportFormat::Json => Self::Json,
            ReportFormat::Csv => Self::Csv,
        }
    }
}

impl From<DeadlineFormat> for crate::output::Format {
    fn from(format: DeadlineFormat) -> Self {
        match format {
            DeadlineFormat::Table => Self::Table,
            DeadlineFormat::Json => Self::Json,
            DeadlineFormat::Ics => Self::Ics,
        }
    }
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Flag tokens (or data access) expiring within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 14, value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub within: u32,

    /// Graph batch requests in flight at once.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: Option<u16>,

    /// Output format (`--json` implies json); prometheus is the text exposition format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,

    /// Also write the metrics, in Prometheus text format, to this file
    /// (atomically: for node_exporter's textfile collector).
    #[arg(long, value_name = "PATH")]
    pub metrics_file: Option<std::path::PathBuf>,

    #[command(flatten)]
    pub usage: UsageLimit,
}

/// How far this run may push the app's Meta usage.
#[derive(Debug, Args)]
pub struct UsageLimit {
    /// Never push the app's reported Meta usage (X-App-Usage,
    /// X-Business-Use-Case-Usage) above this percent; the CRM keeps the rest.
    #[arg(long, env = "META_MAX_USAGE", value_name = "PCT", value_parser = clap::value_parser!(u8).range(1..=100))]
    pub max_usage: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Table,
    Json,
    Csv,
    Prometheus,
}

impl From<AuditFormat> for crate::output::Format {
    fn from(format: AuditFormat) -> Self {
        match format {
            AuditFormat::Table => Self::Table,
            AuditFormat::Json => Self::Json,
            AuditFormat::Csv => Self::Csv,
            AuditFormat::Prometheus => Self::Prometheus,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    Jsonl,
    Csv,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Input format on stdin.
    #[arg(long, value_enum, default_value_t = ImportFormat::Jsonl)]
    pub format: ImportFormat,

    #[command(flatten)]
    pub usage: UsageLimit,
}

#[derive(Debug, Args)]
pub struct SelectArgs {
    #[command(flatten)]
    pub tenant: TenantArg,

    #[command(flatten)]
    pub choice: AccountChoice,

    /// The Page whose lead ads reach the CRM (the user must have its ADVERTISE
    /// task); without an id, a picker on a terminal, or the only eligible Page.
    /// Alone, it leaves the ad account as it is.
    #[arg(long, value_name = "PAGE_ID", num_args = 0..=1, default_missing_value = "")]
    pub page: Option<String>,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("which").args(["tenant", "expiring_within"]))]
pub struct RefreshArgs {
    /// Only this tenant.
    #[arg(long, value_name = "ID", value_parser = tenant_id_parser())]
    pub tenant: Option<TenantId>,

    /// Only tokens expiring within this many days.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub expiring_within: Option<u32>,

    #[command(flatten)]
    pub usage: UsageLimit,
}

#[derive(Debug, Args)]
pub struct DeadlinesArgs {
    /// Only dates within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub within: u32,

    /// Output format (`--json` implies json); ics is an RFC 5545 calendar.
    #[arg(long, value_enum, default_value_t = DeadlineFormat::Table)]
    pub format: DeadlineFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeadlineFormat {
    Table,
    Json,
    Ics,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only this tenant.
    #[arg(long, value_name = "ID", value_parser = tenant_id_parser())]
    pub tenant: Option<TenantId>,

    /// Only this action (connect, disconnect, refresh, select, import, rotate, invalidate).
    #[arg(long, value_name = "ACTION")]
    pub action: Option<String>,

    /// Only entries from this date (YYYY-MM-DD, UTC) or instant (RFC 3339) on.
    #[arg(long, value_name = "DATE", value_parser = parse_since)]
    pub since: Option<chrono::DateTime<chrono::Utc>>,

    /// At most this many entries.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub limit: u32,
}

fn parse_since(value: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(value) {
        return Ok(at.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| "expected a date (2026-11-30) or an RFC 3339 instant".to_owned())
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new current key and re-encrypt every stored token under it.
    ///
    /// The new key is CRM_META_TOKEN_KEY when set; otherwise the embedded
    /// store generates one into $CRM_META_HOME/keys. The key is on disk before
    /// any row changes, rows move in batches by compare-and-swap, and old keys
    /// stay until --prune finds no row using them: a crash at any instant
    /// leaves every token readable, and running the command again completes.
    Rotate {
        /// Check that every token decrypts with the keys held and report what would change; write nothing.
        #[arg(long)]
        dry_run: bool,

        /// Afterwards, forget every key no row uses any more.
        #[arg(long)]
        prune: bool,
    },
    /// Each key id: current or not, present or missing, and how many tokens use it.
    List,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_flags_work_before_and_after_the_subcommand() {
        let before = Cli::try_parse_from(["crm-meta", "--json", "tenants", "list"]).unwrap();
        let after = Cli::try_parse_from(["crm-meta", "tenants", "list", "--json"]).unwrap();
        assert!(before.global.json && after.global.json);
    }

    #[test]
    fn tenant_ids_must_be_positive_integers() {
        for bad in ["0", "-1", "abc", "99999999999999999999", "2147483648"] {
            let parsed = Cli::try_parse_from(["crm-meta", "connect", "--tenant", bad]);
            assert!(parsed.is_err(), "{bad} was accepted");
        }
        assert!(Cli::try_parse_from(["crm-meta", "connect", "--tenant", "7"]).is_ok());
    }

    #[test]
    fn migrate_without_subcommand_means_run() {
        let cli = Cli::try_parse_from(["crm-meta", "migrate"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Migrate(MigrateArgs { command: None })
        ));
    }
}
