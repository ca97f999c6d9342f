//! The token store: tenants, their Meta connections and the audit log, on
//! PostgreSQL or an embedded SQLite file, chosen by the database URL.
//!
//! Both backends run the same SQL (`$N` placeholders work on both), so every
//! operation is written once and `with_pool!` instantiates it per backend.
//! Tokens go in and come out as `SecretString`: they are sealed with the
//! keyring on the way in and opened on the way out, so nothing outside this
//! module ever sees ciphertext or could write a plaintext token. Every
//! statement on a tenant's rows is keyed by that tenant's id.
//!
//! - `model`: the rows as the rest of the tool sees them;
//! - `tenants`, `connections`, `keys` and `audit_log`: the statements on
//!   each table, one `impl Store` block each;
//! - `migrations`: the embedded migrations and what a database applied.

use std::path::Path;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection as _, PgConnection, PgPool, SqlitePool};

use crate::crypto::{CryptoError, create_private_dir};
use crate::settings::DatabaseTarget;
use secrecy::ExposeSecret;

/// Runs the same code against whichever pool the store holds.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite($pool) => $body,
            Store::Postgres($pool) => $body,
        }
    };
}

#[macro_use]
mod audit_log;
mod connections;
mod keys;
mod migrations;
mod model;
mod tenants;

pub use audit_log::AuditFilter;
pub use connections::{Expected, Refreshed};
pub use migrations::{MigrationInfo, MigrationStatus};
pub use model::{
    AuditEntry, AuditRecord, Connection, ConnectionInfo, Expiry, NewConnection, Selection,
    StoredAs, StoredToken, Tenant, TenantListing, Upserted,
};

/// How long to wait for a database server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A database of tenants and their connections.
#[derive(Debug, Clone)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Why a store operation failed. Each variant says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {target}")]
    Connect {
        target: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("the database has {} pending migration(s) ({}); run `crm-meta migrate` first", pending.len(), join(pending))]
    PendingMigrations { pending: Vec<i64> },
    #[error(
        "migration {version} failed part-way in an earlier run; fix the database by hand, then delete its row from _sqlx_migrations and run `crm-meta migrate`"
    )]
    DirtyMigration { version: i64 },
    #[error(
        "migration {version} was changed after it was applied to this database; use the crm-meta release that applied it"
    )]
    ChangedMigration { version: i64 },
    #[error(
        "the database was migrated by a newer crm-meta (it has migration {version}, unknown to this one); upgrade crm-meta"
    )]
    NewerSchema { version: i64 },
    #[error("a migration failed and was rolled back, leaving the database as it was before it")]
    Migration(#[source] sqlx::migrate::MigrateError),
    #[error(
        "no tenant with id {0}; check the id, or add it with `crm-meta tenants add --id {0} --name NAME`"
    )]
    UnknownTenant(i32),
    #[error("tenant {0} already exists")]
    TenantExists(i32),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(
        "the connection of tenant {0} changed while this command ran (a connect, refresh or import replaced it); nothing was deleted"
    )]
    ConnectionChanged(i32),
    #[error("database error")]
    Database(#[from] sqlx::Error),
}

fn join(versions: &[i64]) -> String {
    versions
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl StoreError {
    /// A stable word for `--json` errors.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::Connect { .. } => "database_unreachable",
            StoreError::PendingMigrations { .. } => "pending_migrations",
            StoreError::DirtyMigration { .. }
            | StoreError::ChangedMigration { .. }
            | StoreError::NewerSchema { .. } => "schema_mismatch",
            StoreError::Migration(_) => "migration_failed",
            StoreError::UnknownTenant(_) => "unknown_tenant",
            StoreError::TenantExists(_) => "tenant_exists",
            StoreError::Crypto(e) => e.kind(),
            StoreError::ConnectionChanged(_) => "connection_changed",
            StoreError::Database(_) => "database",
        }
    }

    fn from_migrate(err: sqlx::migrate::MigrateError) -> Self {
        use sqlx::migrate::MigrateError as M;
        match err {
            M::VersionMissing(version) => StoreError::NewerSchema { version },
            M::VersionMismatch(version) => StoreError::ChangedMigration { version },
            M::Dirty(version) => StoreError::DirtyMigration { version },
            other => StoreError::Migration(other),
        }
    }
}

impl Store {
    /// Opens the store for a command: the embedded store is created and
    /// migrated on first use; PostgreSQL must already be migrated.
    pub async fn open(target: &DatabaseTarget) -> Result<Self, StoreError> {
        let store = Self::connect(target).await?;
        match store {
            Store::Sqlite(_) => {
                store.migrate().await?;
            }
            Store::Postgres(_) => store.require_migrated().await?,
        }
        Ok(store)
    }

    /// Connects without looking at the schema (for `migrate`).
    pub async fn connect(target: &DatabaseTarget) -> Result<Self, StoreError> {
        let connect_error = |source| StoreError::Connect {
            target: target.display(),
            source,
        };
        match target {
            DatabaseTarget::Sqlite { path } => {
                if let Some(dir) = path
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty() && !d.exists())
                {
                    create_private_dir(dir).map_err(|e| connect_error(sqlx::Error::Io(e)))?;
                }
                let options = sqlite_options(path);
                // The first connection may switch the file to WAL, which needs
                // it to itself: concurrent first uses take turns.
                let _lock = lock_sqlite(path).await?;
                // SQLite gives the -wal and -shm files the database file's
                // mode, so a private database file keeps all three private.
                make_private_file(path).map_err(|e| connect_error(sqlx::Error::Io(e)))?;
                let pool = SqlitePoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(options)
                    .await
                    .map_err(connect_error)?;
                Ok(Store::Sqlite(pool))
            }
            DatabaseTarget::Postgres { url, .. } => {
                let options: PgConnectOptions = url
                    .expose_secret()
                    .parse::<PgConnectOptions>()
                    .map_err(connect_error)?
                    .application_name("crm-meta");
                // One direct connection first: the pool would retry a refused
                // connection until its acquire timeout; a CLI should say so at once.
                let probe =
                    tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
                        .await
                        .map_err(|_| connect_error(sqlx::Error::PoolTimedOut))?
                        .map_err(connect_error)?;
                let _ = probe.close().await;
                let pool = PgPoolOptions::new()
                    .max_connections(8)
                    .acquire_timeout(Duration::from_secs(15))
                    .connect_with(options)
                    .await
                    .map_err(connect_error)?;
                Ok(Store::Postgres(pool))
            }
        }
    }

    /// `BEGIN IMMEDIATE` on SQLite takes the write lock up front, so two
    /// writers queue on the busy timeout instead of one failing with
    /// SQLITE_BUSY when it upgrades a read lock.
    fn begin_write(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "BEGIN IMMEDIATE",
            Store::Postgres(_) => "BEGIN",
        }
    }

    /// Rows per multi-row statement. PostgreSQL pays a round trip per
    /// statement, so statements are large (200 × 17 parameters, far below its
    /// 65,535). SQLite pays nothing per statement but looks up each `$N`
    /// parameter by a linear scan, so its statements stay small.
    fn rows_per_statement(&self) -> usize {
        match self {
            Store::Sqlite(_) => 16,
            Store::Postgres(_) => 200,
        }
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }
}

fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An exclusive lock on a file beside the SQLite database, held while a
/// process creates, converts or migrates it (sqlx's SQLite migrator takes no
/// lock of its own). Released when the returned file is dropped.
pub(crate) async fn lock_sqlite(database: &Path) -> Result<std::fs::File, StoreError> {
    let path = database.with_extension("db-lock");
    tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        let mut options = std::fs::OpenOptions::new();
        options.create(true).truncate(false).write(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options.open(&path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(|e| StoreError::Database(sqlx::Error::Io(std::io::Error::other(e))))?
    .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))
}

/// Creates the database file readable by its owner only (whatever the
/// umask), and takes group and other access away from an existing one and
/// its -wal and -shm files: they hold tenant names, Meta user ids and the
/// audit log.
fn make_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    drop(options.open(path)?);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let mut shm = path.as_os_str().to_owned();
        shm.push("-shm");
        for file in [path.as_os_str().to_owned(), wal, shm] {
            match std::fs::metadata(&file) {
                Ok(meta) if meta.permissions().mode() & 0o077 != 0 => std::fs::set_permissions(
                    &file,
                    std::fs::Permissions::from_mode(meta.permissions().mode() & 0o700),
                )?,
                _ => {}
            }
        }
    }
    Ok(())
}

fn sqlite_options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL: a commit survives power loss before the command goes on, so
        // a rotation's prune can never outlive the commits it relies on.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(30))
}

/// A write refused by the tenants foreign key means the tenant id is unknown.
fn unknown_tenant_on_fk(err: sqlx::Error, tenant_id: i32) -> StoreError {
    match &err {
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
            StoreError::UnknownTenant(tenant_id)
        }
        _ => err.into(),
    }
}
