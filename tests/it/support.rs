//! Shared test plumbing: the real binary with a clean environment, and
//! throwaway PostgreSQL databases on the server CI provides.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine;
use crm_meta::crypto::TokenKey;
use crm_meta::keyring::Keyring;
use crm_meta::settings::DatabaseTarget;
use crm_meta::store::Store;
use secrecy::SecretString;

/// The server's admin URL: CI sets it; the machine default otherwise.
pub fn pg_admin_url() -> String {
    std::env::var("CRM_META_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A fresh PostgreSQL database, dropped when the value is dropped.
pub struct PgDb {
    pub name: String,
    pub url: String,
}

/// A fresh database, or `return` from the test when no PostgreSQL answers
/// and none was asked for (a newcomer's `cargo test`; CI always has one).
macro_rules! pg_or_skip {
    () => {
        match crate::support::PgDb::available().await {
            Some(db) => db,
            None => return,
        }
    };
}
pub(crate) use pg_or_skip;

impl PgDb {
    /// A fresh database when a server answers. Without one, the PostgreSQL
    /// tests are skipped with a note, unless CI or `CRM_META_TEST_PG_URL`
    /// says a server must be there: then its absence fails the test.
    pub async fn available() -> Option<Self> {
        use sqlx::Connection;
        let admin = pg_admin_url();
        let required =
            std::env::var_os("CI").is_some() || std::env::var_os("CRM_META_TEST_PG_URL").is_some();
        let options = admin.parse::<sqlx::postgres::PgConnectOptions>().unwrap();
        let probe = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            sqlx::PgConnection::connect_with(&options),
        )
        .await;
        match probe {
            Ok(Ok(conn)) => {
                let _ = conn.close().await;
                Some(Self::new().await)
            }
            _ if required => {
                panic!("tests need PostgreSQL at {admin} (CI or CRM_META_TEST_PG_URL is set)")
            }
            _ => {
                eprintln!(
                    "skipped: no PostgreSQL at {admin}; set CRM_META_TEST_PG_URL to run the PostgreSQL tests"
                );
                None
            }
        }
    }

    pub async fn new() -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "crm_meta_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            hex::encode(crm_meta::crypto::random_bytes::<4>())
        );
        let admin = pg_admin_url();
        let mut conn = sqlx::PgConnection::connect_with(&admin.parse().unwrap())
            .await
            .unwrap_or_else(|e| {
                panic!("tests need PostgreSQL at {admin} (set CRM_META_TEST_PG_URL): {e}")
            });
        use sqlx::Connection;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let mut url = url::Url::parse(&admin).unwrap();
        url.set_path(&name);
        Self {
            name,
            url: url.to_string(),
        }
    }

    pub fn target(&self) -> DatabaseTarget {
        crm_meta::settings::parse_database_url(&self.url).unwrap()
    }

    /// Runs SQL directly, for arranging and inspecting state.
    pub async fn execute(&self, sql: &str) {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }

    pub async fn scalar<T>(&self, sql: &str) -> T
    where
        T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
    {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        let value = sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        value
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside any runtime; a short-lived one does the cleanup.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&pg_admin_url()).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

/// A base64 key for tests, distinct per byte.
pub fn key_b64(byte: u8) -> String {
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

pub fn token_key(byte: u8) -> TokenKey {
    TokenKey::from_base64(&key_b64(byte)).unwrap()
}

/// A keyring of the test key `byte` alone.
pub fn cipher(byte: u8) -> Keyring {
    Keyring::new(token_key(byte))
}

/// Connections for tenants `1..=count` (tokens `EAAtoken<id>`, one Meta user
/// each), with their `import` audit rows, to store directly.
pub fn bulk_connections(
    count: i32,
) -> Vec<(crm_meta::store::NewConnection, crm_meta::store::AuditEntry)> {
    (1..=count)
        .map(|id| {
            (
                crm_meta::store::NewConnection {
                    tenant_id: id,
                    access_token: secret(&format!("EAAtoken{id}")),
                    token_type: "USER".into(),
                    expires_at: None,
                    data_access_expires_at: None,
                    scopes: vec![],
                    business_managers: serde_json::json!([]),
                    meta_user_id: format!("u{id}"),
                    meta_user_name: None,
                    graph_api_version: "v27.0".into(),
                    checked: None,
                    selection: None,
                    page_id: None,
                },
                crm_meta::store::AuditEntry::new(id, "import", serde_json::json!({})),
            )
        })
        .collect()
}

/// The key files of an embedded store's home (`$CRM_META_HOME/keys/*.key`).
pub fn key_files(crm_meta_home: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(crm_meta_home.join("keys"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "key"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

pub fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

/// An opened SQLite store in a temporary directory.
/// Overwrites the stored ciphertext of the embedded store's tokens
/// (`filter`: a WHERE clause, or empty for all) with bytes no key opens.
pub async fn corrupt_stored_tokens(cli: &Cli, filter: &str) {
    let path = cli.home.join("crm-meta/crm-meta.db");
    let store = Store::connect(&DatabaseTarget::Sqlite { path })
        .await
        .unwrap();
    if let Store::Sqlite(pool) = &store {
        sqlx::query(&format!(
            "UPDATE meta_tokens SET access_token = 'v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' {filter}"
        ))
        .execute(pool)
        .await
        .unwrap();
    }
    store.close().await;
}

pub async fn sqlite_store(dir: &Path) -> Store {
    let target = DatabaseTarget::Sqlite {
        path: dir.join("store.db"),
    };
    Store::open(&target).await.unwrap()
}

/// The crm-meta binary with a clean environment: no inherited settings, a
/// private home, no `.env`.
#[derive(Clone)]
pub struct Cli {
    pub home: PathBuf,
    envs: Vec<(String, String)>,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl Cli {
    pub fn new(home: &Path) -> Self {
        Self {
            home: home.to_owned(),
            envs: Vec::new(),
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.envs.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.terminal_command(args);
        cmd.stdin(Stdio::null());
        cmd
    }

    /// The command with stdin left alone, for a pseudo-terminal to attach.
    pub fn terminal_command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_crm-meta"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &self.home)
            .env("CRM_META_HOME", self.home.join("crm-meta"))
            .current_dir(&self.home)
            .args(args);
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().unwrap();
        to_run(out)
    }
}

impl Cli {
    /// Runs with `stdin` as standard input.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        to_run(child.wait_with_output().unwrap())
    }

    /// Runs off the async runtime, so an in-process fake Meta keeps serving.
    pub async fn run_async(&self, args: &[&str]) -> Run {
        let mut cmd = self.command(args);
        tokio::task::spawn_blocking(move || to_run(cmd.output().unwrap()))
            .await
            .unwrap()
    }

    pub async fn run_with_stdin_async(&self, args: &[&str], stdin: &str) -> Run {
        let this = Cli {
            home: self.home.clone(),
            envs: self.envs.clone(),
        };
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let stdin = stdin.to_owned();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            this.run_with_stdin(&args, &stdin)
        })
        .await
        .unwrap()
    }
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes an executable shell script.
pub fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

fn to_run(out: Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A fake Meta, a private home and the binary pointed at both, with tenants.
pub struct FakeEnv {
    _dir: tempfile::TempDir,
    pub fake: fake_meta::FakeMeta,
    pub cli: Cli,
}

pub async fn fake_env(world: fake_meta::World, tenants: &[&str]) -> FakeEnv {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake_meta::FakeMeta::start(world).await.unwrap();
    let cli = fake
        .env()
        .into_iter()
        .fold(Cli::new(dir.path()), |c, (k, v)| c.env(k, &v));
    for id in tenants {
        cli.run(&[
            "tenants",
            "add",
            "--id",
            id,
            "--name",
            &format!("Tenant {id}"),
        ])
        .assert_code(0);
    }
    FakeEnv {
        _dir: dir,
        fake,
        cli,
    }
}

impl FakeEnv {
    /// The same home and fake Meta with more variables set.
    pub fn cli_with(&self, extra: &[(&str, &str)]) -> Cli {
        let base = self
            .fake
            .env()
            .into_iter()
            .fold(Cli::new(&self.cli.home), |c, (k, v)| c.env(k, &v));
        extra.iter().fold(base, |c, (k, v)| c.env(k, v))
    }
}

/// A fake Meta and a fresh, migrated PostgreSQL database the binary is
/// pointed at (with an encryption key), with tenants.
pub async fn fake_env_on_postgres(
    world: fake_meta::World,
    tenants: &[&str],
) -> Option<(PgDb, FakeEnv)> {
    let db = PgDb::available().await?;
    let dir = tempfile::tempdir().unwrap();
    let fake = fake_meta::FakeMeta::start(world).await.unwrap();
    let cli = fake
        .env()
        .into_iter()
        .fold(Cli::new(dir.path()), |c, (k, v)| c.env(k, &v))
        .env("DATABASE_URL", &db.url)
        .env("CRM_META_TOKEN_KEY", &key_b64(7));
    cli.run_async(&["migrate"]).await.assert_code(0);
    for id in tenants {
        cli.run_async(&[
            "tenants",
            "add",
            "--id",
            id,
            "--name",
            &format!("Tenant {id}"),
        ])
        .await
        .assert_code(0);
    }
    Some((
        db,
        FakeEnv {
            _dir: dir,
            fake,
            cli,
        },
    ))
}
