//! Every setting (README, "Configuration"), resolved in one place.
//!
//! Precedence: flag > environment > `.env` file > built-in default. clap
//! resolves flag > environment for settings that have a flag; `main` loads the
//! `.env` file into the environment (never overriding it) before parsing, so
//! the file sits below both. Each accessor validates only its own setting, so
//! a command asks for exactly what it uses and fails before any network or
//! database work when that is missing or malformed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::crypto::{KeyError, TokenKey};
use crate::keyring::{KeyDir, KeySettings};

/// A setting that is missing or malformed. Always names the variable and the fix.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}. {fix}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
    pub fix: String,
}

impl ConfigError {
    pub fn new(variable: &'static str, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

impl ConfigError {
    /// A key setting that holds no usable key.
    pub fn key(variable: &'static str, error: KeyError) -> Self {
        let fix = error.fix();
        Self::new(variable, error.to_string(), fix)
    }
}

/// The Graph API version used when `META_GRAPH_API_VERSION` is unset.
pub const DEFAULT_GRAPH_API_VERSION: &str = crate::graph::versions::NEWEST;
pub const DEFAULT_REDIRECT_URI: &str = "http://localhost:8765/callback";
/// Where `connect` listens behind an `https://` relay redirect URI.
pub const DEFAULT_LOOPBACK_PORT: u16 = 8765;
pub const DEFAULT_SCOPES: &str = "ads_management,ads_read,business_management,leads_retrieval,pages_manage_metadata,pages_read_engagement,pages_show_list,whatsapp_business_management,whatsapp_business_messaging";
pub const DEFAULT_REQUIRED_SCOPES: &str = "ads_read,business_management";
const DEFAULT_GRAPH_URL: &str = "https://graph.facebook.com";
const DEFAULT_DIALOG_URL: &str = "https://www.facebook.com";

/// The environment variables crm-meta reads (besides those clap reads for flags).
const VARIABLES: &[&str] = &[
    "CRM_META_HOME",
    "XDG_DATA_HOME",
    "HOME",
    "META_APP_ID",
    "META_APP_SECRET",
    "META_APP_SECRET_FILE",
    "META_GRAPH_API_VERSION",
    "META_REDIRECT_URI",
    "META_LOOPBACK_PORT",
    "META_GRAPH_URL",
    "META_DIALOG_URL",
    "META_REQUIRED_SCOPES",
    "CRM_META_TOKEN_KEY",
    "CRM_META_TOKEN_KEY_FILE",
    "CRM_META_TOKEN_KEY_OLD",
    "CRM_META_TOKEN_KEYS_PREVIOUS",
    "CRM_META_TOKEN_KEYS_PREVIOUS_FILE",
    "META_HTTP_TIMEOUT",
    "META_RATE_LIMIT_MAX_WAIT",
    "BROWSER",
    "NO_COLOR",
];

/// Resolved settings. Secrets are read lazily and never kept in `Debug` output.
#[derive(Clone)]
pub struct Settings {
    env: BTreeMap<&'static str, String>,
    database_url: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Only names: values may be secrets or URLs with passwords.
        f.debug_struct("Settings")
            .field("set", &self.env.keys().collect::<Vec<_>>())
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .finish()
    }
}

/// Where the store lives.
#[derive(Clone)]
pub enum DatabaseTarget {
    /// An embedded SQLite file (created on first use).
    Sqlite { path: PathBuf },
    /// A PostgreSQL server. The URL may carry a password.
    Postgres { url: SecretString, display: String },
}

impl DatabaseTarget {
    /// A description safe to print: never a password.
    pub fn display(&self) -> String {
        match self {
            DatabaseTarget::Sqlite { path } => format!("sqlite://{}", path.display()),
            DatabaseTarget::Postgres { display, .. } => display.clone(),
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, DatabaseTarget::Postgres { .. })
    }
}

/// The Meta app this tool acts as.
#[derive(Clone)]
pub struct MetaApp {
    pub id: String,
    pub secret: SecretString,
}

impl std::fmt::Debug for MetaApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetaApp")
            .field("id", &self.id)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// Where Graph and the OAuth dialog live, and which version to speak.
#[derive(Debug, Clone)]
pub struct GraphEndpoints {
    pub graph_url: url::Url,
    pub dialog_url: url::Url,
    pub version: String,
}

impl Settings {
    /// Reads the process environment. `database_url` is the `--database-url`
    /// flag or `DATABASE_URL`, as clap resolved it.
    pub fn from_env(database_url: Option<String>) -> Self {
        Self::from_lookup(database_url, |name| std::env::var(name).ok())
    }

    /// Builds settings from any lookup (tests use a map). Empty values count as unset.
    pub fn from_lookup(
        database_url: Option<String>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let env = VARIABLES
            .iter()
            .filter_map(|name| {
                lookup(name)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (*name, v))
            })
            .collect();
        Self {
            env,
            database_url: database_url.filter(|v| !v.trim().is_empty()),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str)
    }

    /// `CRM_META_HOME`, else `$XDG_DATA_HOME/crm-meta`, else `~/.local/share/crm-meta`.
    pub fn home(&self) -> Result<PathBuf, ConfigError> {
        if let Some(home) = self.get("CRM_META_HOME") {
            return Ok(PathBuf::from(home));
        }
        if let Some(xdg) = self
            .get("XDG_DATA_HOME")
            .filter(|p| Path::new(p).is_absolute())
        {
            return Ok(Path::new(xdg).join("crm-meta"));
        }
        if let Some(home) = self.get("HOME") {
            return Ok(Path::new(home).join(".local/share/crm-meta"));
        }
        dirs::data_dir().map(|d| d.join("crm-meta")).ok_or_else(|| {
            ConfigError::new(
                "CRM_META_HOME",
                "no home directory to keep the embedded database in",
                "Set CRM_META_HOME to a writable directory, or DATABASE_URL to a database.",
            )
        })
    }

    /// The database to use: `DATABASE_URL` or the embedded default.
    pub fn database(&self) -> Result<DatabaseTarget, ConfigError> {
        let Some(url) = self.database_url.as_deref() else {
            return Ok(DatabaseTarget::Sqlite {
                path: self.home()?.join("crm-meta.db"),
            });
        };
        parse_database_url(url)
    }

    /// The token keys the settings name: `CRM_META_TOKEN_KEY` (or `_FILE`)
    /// as the current key, `CRM_META_TOKEN_KEYS_PREVIOUS` (or `_FILE`) and
    /// `CRM_META_TOKEN_KEY_OLD` as earlier ones, and for the embedded store
    /// the home whose `keys/` directory holds its own. Malformed values fail
    /// here, before any I/O; [`crate::keyring::Keyring::load`] does the rest.
    pub fn key_settings(&self, database: &DatabaseTarget) -> Result<KeySettings, ConfigError> {
        let current = self
            .configured_key("CRM_META_TOKEN_KEY", "CRM_META_TOKEN_KEY_FILE")?
            .map(|key| (key, "CRM_META_TOKEN_KEY"));
        let mut previous = Vec::new();
        let listed = match (
            self.get("CRM_META_TOKEN_KEYS_PREVIOUS"),
            self.get("CRM_META_TOKEN_KEYS_PREVIOUS_FILE"),
        ) {
            (Some(list), _) => Some((list.to_owned(), "CRM_META_TOKEN_KEYS_PREVIOUS")),
            (None, Some(path)) => {
                let path = Path::new(path);
                crate::crypto::check_private(path)
                    .map_err(|e| ConfigError::key("CRM_META_TOKEN_KEYS_PREVIOUS_FILE", e))?;
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError::new(
                        "CRM_META_TOKEN_KEYS_PREVIOUS_FILE",
                        format!("cannot read {}: {e}", path.display()),
                        "Point it at a readable file of base64 keys, one a line or comma-separated.",
                    )
                })?;
                Some((text, "CRM_META_TOKEN_KEYS_PREVIOUS_FILE"))
            }
            (None, None) => None,
        };
        if let Some((list, variable)) = listed {
            for value in list
                .split([',', '\n'])
                .map(str::trim)
                .filter(|v| !v.is_empty())
            {
                let key =
                    TokenKey::from_base64(value).map_err(|e| ConfigError::key(variable, e))?;
                previous.push((key, variable));
            }
        }
        if let Some(value) = self.get("CRM_META_TOKEN_KEY_OLD") {
            let key = TokenKey::from_base64(value)
                .map_err(|e| ConfigError::key("CRM_META_TOKEN_KEY_OLD", e))?;
            previous.push((key, "CRM_META_TOKEN_KEY_OLD"));
        }
        let home = match database {
            DatabaseTarget::Sqlite { path } => Some(KeyDir::for_database(&self.home()?, path)),
            DatabaseTarget::Postgres { .. } => None,
        };
        Ok(KeySettings {
            current,
            previous,
            home,
        })
    }

    fn configured_key(
        &self,
        variable: &'static str,
        file_variable: &'static str,
    ) -> Result<Option<TokenKey>, ConfigError> {
        if let Some(value) = self.get(variable) {
            return TokenKey::from_base64(value)
                .map(Some)
                .map_err(|e| ConfigError::key(variable, e));
        }
        if let Some(path) = self.get(file_variable) {
            return TokenKey::load_file(Path::new(path))
                .map(Some)
                .map_err(|e| ConfigError::key(file_variable, e));
        }
        Ok(None)
    }

    /// The Meta app's id and secret (`META_APP_SECRET` or `META_APP_SECRET_FILE`).
    pub fn meta_app(&self) -> Result<MetaApp, ConfigError> {
        let id = self.get("META_APP_ID").ok_or_else(|| {
            ConfigError::new(
                "META_APP_ID",
                "not set",
                "Set META_APP_ID to the app id shown in the Meta app dashboard (App settings > Basic).",
            )
        })?;
        if !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::new(
                "META_APP_ID",
                "is not a Meta app id (digits only)",
                "Copy the numeric App ID from the Meta app dashboard.",
            ));
        }
        let secret = match (
            self.get("META_APP_SECRET"),
            self.get("META_APP_SECRET_FILE"),
        ) {
            (Some(secret), _) => secret.trim().to_owned(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| {
                    ConfigError::new(
                        "META_APP_SECRET_FILE",
                        format!("cannot read {path}: {e}"),
                        "Point META_APP_SECRET_FILE at a readable file holding the app secret.",
                    )
                })?
                .trim()
                .to_owned(),
            (None, None) => {
                return Err(ConfigError::new(
                    "META_APP_SECRET",
                    "not set",
                    "Set META_APP_SECRET, or META_APP_SECRET_FILE to a file holding it (never a flag: argv is visible to every user).",
                ));
            }
        };
        if secret.is_empty() || !secret.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ConfigError::new(
                "META_APP_SECRET",
                "is empty or not an app secret",
                "Copy the App Secret from the Meta app dashboard (App settings > Basic).",
            ));
        }
        Ok(MetaApp {
            id: id.to_owned(),
            secret: SecretString::from(secret),
        })
    }

    /// `META_GRAPH_API_VERSION` (the newest known when unset), checked for form only.
    pub fn graph_version(&self) -> Result<String, ConfigError> {
        let version = self
            .get("META_GRAPH_API_VERSION")
            .unwrap_or(DEFAULT_GRAPH_API_VERSION);
        if !is_graph_version(version) {
            return Err(ConfigError::new(
                "META_GRAPH_API_VERSION",
                format!("`{version}` is not a Graph API version"),
                format!("Use the form vNN.N, for example {DEFAULT_GRAPH_API_VERSION}."),
            ));
        }
        Ok(version.to_owned())
    }

    /// Graph and dialog base URLs and the API version.
    pub fn graph(&self) -> Result<GraphEndpoints, ConfigError> {
        let version = self.graph_version()?;
        Ok(GraphEndpoints {
            graph_url: base_url(
                "META_GRAPH_URL",
                self.get("META_GRAPH_URL").unwrap_or(DEFAULT_GRAPH_URL),
            )?,
            dialog_url: base_url(
                "META_DIALOG_URL",
                self.get("META_DIALOG_URL").unwrap_or(DEFAULT_DIALOG_URL),
            )?,
            version,
        })
    }

    /// `META_HTTP_TIMEOUT` (seconds per Graph request, default 30) and
    /// `META_RATE_LIMIT_MAX_WAIT` (seconds a request may spend waiting out
    /// Meta's rate limiting before the command gives up with exit 5, default 120).
    pub fn http_limits(&self) -> Result<(std::time::Duration, std::time::Duration), ConfigError> {
        let seconds = |variable: &'static str,
                       default: u64,
                       min: u64|
         -> Result<std::time::Duration, ConfigError> {
            match self.get(variable) {
                None => Ok(std::time::Duration::from_secs(default)),
                Some(v) => match v.trim().parse::<u64>() {
                    Ok(n) if (min..=3600).contains(&n) => Ok(std::time::Duration::from_secs(n)),
                    _ => Err(ConfigError::new(
                        variable,
                        format!("`{v}` is not a number of seconds from {min} to 3600"),
                        format!("Unset it for the default of {default}."),
                    )),
                },
            }
        };
        Ok((
            seconds("META_HTTP_TIMEOUT", 30, 1)?,
            seconds("META_RATE_LIMIT_MAX_WAIT", 120, 0)?,
        ))
    }

    /// Scopes a token must have, else its status is `missing_scope`.
    pub fn required_scopes(&self) -> Vec<String> {
        split_list(
            self.get("META_REQUIRED_SCOPES")
                .unwrap_or(DEFAULT_REQUIRED_SCOPES),
        )
    }

    /// `META_REDIRECT_URI` (connect's `--redirect-uri` wins over it), or the default.
    pub fn redirect_uri(&self) -> &str {
        self.get("META_REDIRECT_URI")
            .unwrap_or(DEFAULT_REDIRECT_URI)
    }

    /// `META_LOOPBACK_PORT`: the loopback port behind a relay page.
    pub fn loopback_port(&self) -> Result<u16, ConfigError> {
        let Some(raw) = self.get("META_LOOPBACK_PORT") else {
            return Ok(DEFAULT_LOOPBACK_PORT);
        };
        match raw.trim().parse::<u16>() {
            Ok(port) if port > 0 => Ok(port),
            _ => Err(ConfigError::new(
                "META_LOOPBACK_PORT",
                format!("`{}` is not a port number", crate::text::clean_line(raw)),
                "Use a number from 1 to 65535 (default 8765), the port the relay page forwards to.",
            )),
        }
    }

    /// `$BROWSER`, when set.
    pub fn browser(&self) -> Option<&str> {
        self.get("BROWSER")
    }

    /// Whether `NO_COLOR` asks for plain output.
    pub fn no_color(&self) -> bool {
        self.env.contains_key("NO_COLOR")
    }
}

/// Splits a comma-separated list, dropping blanks.
pub fn split_list(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn is_graph_version(version: &str) -> bool {
    let Some(rest) = version.strip_prefix('v') else {
        return false;
    };
    let Some((major, minor)) = rest.split_once('.') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 3 && s.bytes().all(|b| b.is_ascii_digit());
    digits(major) && digits(minor)
}

/// Meta's base URLs: https on a `facebook.com` host, or plain http on this
/// machine's loopback (a local fake). Every call carries a token, the app
/// secret or a code, so any other host would be handed all of them.
fn base_url(variable: &'static str, value: &str) -> Result<url::Url, ConfigError> {
    let loopback = |url: &url::Url| match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let meta = |url: &url::Url| {
        url.host_str()
            .is_some_and(|h| h == "facebook.com" || h.ends_with(".facebook.com"))
    };
    let url = url::Url::parse(value).ok().filter(|u| u.has_host());
    match url {
        Some(url) if url.scheme() == "https" && meta(&url) => Ok(url),
        Some(url) if url.scheme() == "http" && loopback(&url) => Ok(url),
        Some(url) if url.scheme() == "http" && meta(&url) => Err(ConfigError::new(
            variable,
            format!("`{value}` is plain http; tokens and the app secret would travel unencrypted"),
            "Use https.",
        )),
        Some(url) if matches!(url.scheme(), "http" | "https") => Err(ConfigError::new(
            variable,
            format!(
                "`{value}` is not Meta: every Graph call would hand that host the app secret and tokens"
            ),
            "Use an https URL on a facebook.com host (or plain http on 127.0.0.1 for a local fake), or unset it for the default.",
        )),
        _ => Err(ConfigError::new(
            variable,
            format!("`{value}` is not an http(s) URL"),
            "Use a base URL such as https://graph.facebook.com, or unset it for the default.",
        )),
    }
}

/// Parses `DATABASE_URL`: `postgres://`/`postgresql://` or `sqlite:`.
pub fn parse_database_url(url: &str) -> Result<DatabaseTarget, ConfigError> {
    let malformed = |problem: String| {
        ConfigError::new(
            "DATABASE_URL",
            problem,
            "Use postgres://user:password@host:5432/dbname, or sqlite:///path/to/file.db (or unset it for the embedded default).",
        )
    };
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        // Parsed with a real URL parser: passwords may hold ':' or '@' (percent-encoded).
        let parsed = url::Url::parse(url)
            .map_err(|e| malformed(format!("not a valid PostgreSQL URL ({e})")))?;
        // Shown in messages: no password, and no query (sqlx also takes `?password=`).
        let mut display = parsed.clone();
        if parsed.password().is_some() {
            let _ = display.set_password(Some("***"));
        }
        display.set_query(None);
        return Ok(DatabaseTarget::Postgres {
            url: SecretString::from(url.to_owned()),
            display: display.to_string(),
        });
    }
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        let path = path.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" {
            return Err(malformed(
                "names no SQLite file (an in-memory store would lose every token)".into(),
            ));
        }
        return Ok(DatabaseTarget::Sqlite {
            path: PathBuf::from(path),
        });
    }
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or("none");
    Err(malformed(format!("unsupported scheme `{scheme}`")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn settings(vars: &[(&str, &str)], database_url: Option<&str>) -> Settings {
        let map: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(database_url.map(str::to_owned), move |k| {
            map.get(k).cloned()
        })
    }

    #[test]
    fn default_database_is_embedded_under_home() {
        let s = settings(&[("CRM_META_HOME", "/data/crm")], None);
        match s.database().unwrap() {
            DatabaseTarget::Sqlite { path } => assert_eq!(path, Path::new("/data/crm/crm-meta.db")),
            DatabaseTarget::Postgres { .. } => panic!("expected sqlite"),
        }
    }

    #[test]
    fn home_follows_xdg_then_home() {
        let s = settings(&[("XDG_DATA_HOME", "/x"), ("HOME", "/h")], None);
        assert_eq!(s.home().unwrap(), Path::new("/x/crm-meta"));
        let s = settings(&[("HOME", "/h")], None);
        assert_eq!(s.home().unwrap(), Path::new("/h/.local/share/crm-meta"));
    }

    #[test]
    fn postgres_passwords_with_reserved_characters_survive_and_are_hidden() {
        let url = "postgres://crm:p%40ss%3Aword@db.example:5432/crm";
        match parse_database_url(url).unwrap() {
            DatabaseTarget::Postgres {
                url: secret,
                display,
            } => {
                assert_eq!(secret.expose_secret(), url);
                assert!(!display.contains("p%40ss"), "{display}");
                assert!(display.contains("***"));
            }
            DatabaseTarget::Sqlite { .. } => panic!("expected postgres"),
        }
        match parse_database_url("postgres://crm@db/crm?password=hunter2&sslmode=require").unwrap()
        {
            DatabaseTarget::Postgres { display, .. } => {
                assert!(!display.contains("hunter2"), "{display}")
            }
            DatabaseTarget::Sqlite { .. } => panic!("expected postgres"),
        }
    }

    #[test]
    fn bad_database_urls_name_the_variable() {
        for bad in [
            "mysql://x",
            "sqlite:",
            "sqlite::memory:",
            "nonsense",
            "postgres://[bad",
        ] {
            let err = parse_database_url(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert_eq!(err.variable, "DATABASE_URL");
        }
        assert!(matches!(
            parse_database_url("sqlite:///tmp/x.db"),
            Ok(DatabaseTarget::Sqlite { .. })
        ));
        assert!(matches!(
            parse_database_url("sqlite:rel.db"),
            Ok(DatabaseTarget::Sqlite { .. })
        ));
    }

    #[test]
    fn meta_app_requires_id_and_secret() {
        assert_eq!(
            settings(&[], None).meta_app().unwrap_err().variable,
            "META_APP_ID"
        );
        assert_eq!(
            settings(&[("META_APP_ID", "123")], None)
                .meta_app()
                .unwrap_err()
                .variable,
            "META_APP_SECRET"
        );
        assert_eq!(
            settings(&[("META_APP_ID", "12a")], None)
                .meta_app()
                .unwrap_err()
                .variable,
            "META_APP_ID"
        );
        let app = settings(
            &[("META_APP_ID", "123"), ("META_APP_SECRET", "abc123")],
            None,
        )
        .meta_app()
        .unwrap();
        assert_eq!(app.secret.expose_secret(), "abc123");
        assert!(!format!("{app:?}").contains("abc123"));
    }

    #[test]
    fn graph_version_is_validated() {
        assert_eq!(
            settings(&[], None).graph().unwrap().version,
            DEFAULT_GRAPH_API_VERSION
        );
        for bad in ["25.0", "v25", "vx.0", "v25.0.1"] {
            let err = settings(&[("META_GRAPH_API_VERSION", bad)], None)
                .graph()
                .unwrap_err();
            assert_eq!(err.variable, "META_GRAPH_API_VERSION");
        }
        let err = settings(&[("META_GRAPH_URL", "ftp://x")], None)
            .graph()
            .unwrap_err();
        assert_eq!(err.variable, "META_GRAPH_URL");
    }

    #[test]
    fn key_settings_read_current_and_previous_keys() {
        let key = |b: u8| {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode([b; 32])
        };
        let previous = format!("{}, {}", key(2), key(3));
        let s = settings(
            &[
                ("CRM_META_TOKEN_KEY", &key(1)),
                ("CRM_META_TOKEN_KEYS_PREVIOUS", &previous),
                ("CRM_META_TOKEN_KEY_OLD", &key(4)),
            ],
            Some("postgres://localhost/crm"),
        );
        let keys = s.key_settings(&s.database().unwrap()).unwrap();
        assert!(keys.current.is_some() && keys.home.is_none());
        assert_eq!(keys.previous.len(), 3);
        let bad = settings(
            &[("CRM_META_TOKEN_KEYS_PREVIOUS", "nope")],
            Some("postgres://localhost/crm"),
        );
        let err = bad.key_settings(&bad.database().unwrap()).unwrap_err();
        assert_eq!(err.variable, "CRM_META_TOKEN_KEYS_PREVIOUS");
        // Without a key, PostgreSQL is refused when the keyring loads.
        let none = settings(&[], Some("postgres://localhost/crm"));
        let keys = none.key_settings(&none.database().unwrap()).unwrap();
        let err = crate::keyring::Keyring::load(keys, &[]).unwrap_err();
        assert_eq!(err.variable, "CRM_META_TOKEN_KEY");
    }

    #[test]
    fn empty_values_count_as_unset() {
        let s = settings(
            &[("CRM_META_HOME", "/d"), ("META_GRAPH_API_VERSION", "")],
            Some(""),
        );
        assert!(matches!(
            s.database().unwrap(),
            DatabaseTarget::Sqlite { .. }
        ));
        assert!(s.graph().is_ok());
    }

    #[test]
    fn graph_urls_and_http_limits_are_validated() {
        let err = settings(&[("META_GRAPH_URL", "http://graph.facebook.com")], None)
            .graph()
            .unwrap_err();
        assert!(err.problem.contains("unencrypted"), "{err}");
        for elsewhere in [
            "https://graph.example",
            "https://facebook.com.evil.example",
            "http://graph.example",
        ] {
            let err = settings(&[("META_GRAPH_URL", elsewhere)], None)
                .graph()
                .unwrap_err();
            assert!(err.problem.contains("is not Meta"), "{elsewhere}: {err}");
        }
        assert!(
            settings(&[("META_DIALOG_URL", "https://www.facebook.com")], None)
                .graph()
                .is_ok()
        );
        assert!(
            settings(&[("META_GRAPH_URL", "http://127.0.0.1:9")], None)
                .graph()
                .is_ok()
        );
        let err = settings(&[("META_HTTP_TIMEOUT", "0")], None)
            .http_limits()
            .unwrap_err();
        assert_eq!(err.variable, "META_HTTP_TIMEOUT");
        let (timeout, wait) = settings(&[("META_RATE_LIMIT_MAX_WAIT", "0")], None)
            .http_limits()
            .unwrap();
        assert_eq!((timeout.as_secs(), wait.as_secs()), (30, 0));
    }
}
