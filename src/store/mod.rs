//! The token store: tenants, their Meta connections and the audit log, on
//! PostgreSQL or an embedded SQLite file, chosen by the database URL.
//!
//! Both backends run the same SQL (`$N` placeholders work on both), so every
//! operation is written once and [`with_pool!`] instantiates it per backend.
//! Tokens go in and come out as [`SecretString`]: they are sealed with the
//! [`Keyring`] on the way in and opened on the way out, so nothing outside
//! this module ever sees ciphertext or could write a plaintext token. Every
//! statement on a tenant's rows is keyed by that tenant's id.

mod migrations;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::types::Json;
use sqlx::{Connection as _, PgConnection, PgPool, SqlitePool};

/// How long to wait for a database server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub use migrations::{MigrationInfo, MigrationStatus};

use crate::crypto::{CryptoError, SealedToken, create_private_dir};
use crate::keyring::Keyring;
use crate::settings::DatabaseTarget;
use crate::token::TokenStatus;

/// Runs the same code against whichever pool the store holds.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            Store::Sqlite($pool) => $body,
            Store::Postgres($pool) => $body,
        }
    };
}

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

/// A row of `tenants`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Tenant {
    pub id: i32,
    pub name: String,
}

/// A connection to write: what `connect`, `import` and `refresh` learned.
pub struct NewConnection {
    pub tenant_id: i32,
    pub access_token: SecretString,
    pub token_type: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub data_access_expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub business_managers: serde_json::Value,
    pub meta_user_id: String,
    pub meta_user_name: Option<String>,
    pub graph_api_version: String,
    /// The check that just vouched for the token, recorded with it.
    pub checked: Option<TokenStatus>,
    /// The business manager and ad account the CRM syncs; `None` keeps an
    /// earlier choice when the Meta user is the same.
    pub selection: Option<Selection>,
}

/// The business manager (none for a personal account) and ad account the CRM syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub business_manager_id: Option<String>,
    pub ad_account_id: String,
}

/// A stored connection without its token: safe to print and serialize.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConnectionInfo {
    pub tenant_id: i32,
    pub token_type: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub data_access_expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub business_managers: serde_json::Value,
    pub meta_user_id: String,
    pub meta_user_name: Option<String>,
    pub graph_api_version: String,
    pub page_id: Option<String>,
    pub business_manager_id: Option<String>,
    pub ad_account_id: Option<String>,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub last_check_status: Option<TokenStatus>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored connection with its decrypted token.
pub struct Connection {
    pub info: ConnectionInfo,
    pub access_token: SecretString,
    /// Which stored token this is: a check result is recorded only while the
    /// row still holds it.
    pub stored_as: StoredAs,
}

/// Identifies one stored token (its ciphertext) without revealing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAs(String);

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub tenant_id: i32,
    pub action: String,
    pub actor: String,
    pub detail: serde_json::Value,
}

impl AuditEntry {
    /// An entry by the operating-system user running this process. `detail`
    /// must never hold a secret: callers put ids, fingerprints and dates in it.
    pub fn new(tenant_id: i32, action: &str, detail: serde_json::Value) -> Self {
        Self {
            tenant_id,
            action: action.to_owned(),
            actor: whoami::username(),
            detail,
        }
    }
}

/// An audit entry as stored, with its time.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub created_at: DateTime<Utc>,
}

/// Which tenants each Meta user is connected to: names the other tenants a
/// revocation for one of them would also cut off (`shared_with`).
#[derive(Debug, Default)]
pub struct SharedUsers(std::collections::HashMap<String, Vec<i32>>);

impl SharedUsers {
    pub fn new<'a>(connections: impl IntoIterator<Item = (i32, &'a str)>) -> Self {
        let mut by_user: std::collections::HashMap<String, Vec<i32>> =
            std::collections::HashMap::new();
        for (tenant_id, meta_user_id) in connections {
            by_user
                .entry(meta_user_id.to_owned())
                .or_default()
                .push(tenant_id);
        }
        Self(by_user)
    }

    /// The other tenants connected with `meta_user_id`.
    pub fn others(&self, tenant_id: i32, meta_user_id: &str) -> Vec<i32> {
        self.0
            .get(meta_user_id)
            .map(|ids| ids.iter().copied().filter(|&id| id != tenant_id).collect())
            .unwrap_or_default()
    }
}

/// A stored token, decrypted, with what `audit` needs beside it.
pub struct StoredToken {
    pub tenant_id: i32,
    pub token: SecretString,
    pub meta_user_id: String,
    pub stored_as: StoredAs,
}

/// Whether an upsert created the connection or replaced one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Inserted,
    Updated,
}

const CONNECTION_COLUMNS: &str = "tenant_id, access_token, token_key_id, token_type, expires_at, data_access_expires_at, \
     scopes, business_managers, meta_user_id, meta_user_name, graph_api_version, page_id, business_manager_id, \
     ad_account_id, last_checked_at, last_check_status, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct ConnectionRow {
    tenant_id: i32,
    access_token: String,
    token_key_id: String,
    token_type: String,
    expires_at: Option<DateTime<Utc>>,
    data_access_expires_at: Option<DateTime<Utc>>,
    scopes: Json<Vec<String>>,
    business_managers: Json<serde_json::Value>,
    meta_user_id: String,
    meta_user_name: Option<String>,
    graph_api_version: String,
    page_id: Option<String>,
    business_manager_id: Option<String>,
    ad_account_id: Option<String>,
    last_checked_at: Option<DateTime<Utc>>,
    last_check_status: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl ConnectionRow {
    fn sealed(&self) -> SealedToken {
        SealedToken {
            ciphertext: self.access_token.clone(),
            key_id: self.token_key_id.clone(),
        }
    }

    fn into_info(self) -> ConnectionInfo {
        ConnectionInfo {
            tenant_id: self.tenant_id,
            token_type: self.token_type,
            expires_at: self.expires_at,
            data_access_expires_at: self.data_access_expires_at,
            scopes: self.scopes.0,
            business_managers: self.business_managers.0,
            meta_user_id: self.meta_user_id,
            meta_user_name: self.meta_user_name,
            graph_api_version: self.graph_api_version,
            page_id: self.page_id,
            business_manager_id: self.business_manager_id,
            ad_account_id: self.ad_account_id,
            last_checked_at: self.last_checked_at,
            last_check_status: self
                .last_check_status
                .as_deref()
                .and_then(TokenStatus::parse),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    fn open(self, cipher: &Keyring) -> Result<Connection, CryptoError> {
        let access_token = cipher.open(self.tenant_id, &self.sealed())?;
        let stored_as = StoredAs(self.access_token.clone());
        Ok(Connection {
            info: self.into_info(),
            access_token,
            stored_as,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    tenant_id: i32,
    action: String,
    actor: String,
    detail: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
}

/// Columns an upsert writes, in bind order; `created_at` and `updated_at` share the time.
const UPSERT_COLUMNS: &str = "tenant_id, access_token, token_key_id, token_type, expires_at, data_access_expires_at, \
     scopes, business_managers, meta_user_id, meta_user_name, graph_api_version, created_at, updated_at, last_used_by, \
     business_manager_id, ad_account_id, last_checked_at, last_check_status";
const UPSERT_PARAMS_PER_ROW: usize = 17;

/// `INSERT … ON CONFLICT (tenant_id) DO UPDATE` for `rows` connections. A
/// given selection is stored; without one, the earlier choice survives only
/// a token of the same Meta user. The last check is the new token's (or none).
fn upsert_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| {
            // created_at and updated_at share parameter 12.
            let params: Vec<String> = [
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 13, 14, 15, 16, 17,
            ]
            .iter()
            .map(|i| format!("${}", r * UPSERT_PARAMS_PER_ROW + i))
            .collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO meta_tokens ({UPSERT_COLUMNS}) VALUES {} \
         ON CONFLICT (tenant_id) DO UPDATE SET \
            access_token = excluded.access_token, token_key_id = excluded.token_key_id, \
            token_type = excluded.token_type, expires_at = excluded.expires_at, \
            data_access_expires_at = excluded.data_access_expires_at, scopes = excluded.scopes, \
            business_managers = excluded.business_managers, graph_api_version = excluded.graph_api_version, \
            business_manager_id = CASE WHEN excluded.ad_account_id IS NOT NULL THEN excluded.business_manager_id \
                WHEN meta_tokens.meta_user_id = excluded.meta_user_id THEN meta_tokens.business_manager_id END, \
            ad_account_id = CASE WHEN excluded.ad_account_id IS NOT NULL THEN excluded.ad_account_id \
                WHEN meta_tokens.meta_user_id = excluded.meta_user_id THEN meta_tokens.ad_account_id END, \
            meta_user_id = excluded.meta_user_id, meta_user_name = excluded.meta_user_name, \
            last_checked_at = excluded.last_checked_at, last_check_status = excluded.last_check_status, \
            updated_at = excluded.updated_at, last_used_by = excluded.last_used_by",
        values.join(", ")
    )
}

/// Binds one [`NewConnection`] in [`UPSERT_COLUMNS`] order.
macro_rules! bind_connection {
    ($query:expr, $conn:expr, $sealed:expr, $now:expr, $actor:expr) => {
        $query
            .bind($conn.tenant_id)
            .bind(&$sealed.ciphertext)
            .bind(&$sealed.key_id)
            .bind(&$conn.token_type)
            .bind($conn.expires_at)
            .bind($conn.data_access_expires_at)
            .bind(Json(&$conn.scopes))
            .bind(Json(&$conn.business_managers))
            .bind(&$conn.meta_user_id)
            .bind(&$conn.meta_user_name)
            .bind(&$conn.graph_api_version)
            .bind($now)
            .bind(&$actor)
            .bind(
                $conn
                    .selection
                    .as_ref()
                    .and_then(|s| s.business_manager_id.as_deref()),
            )
            .bind($conn.selection.as_ref().map(|s| s.ad_account_id.as_str()))
            .bind($conn.checked.map(|_| $now))
            .bind($conn.checked.map(TokenStatus::as_str))
    };
}

fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

const INSERT_AUDIT: &str = "INSERT INTO meta_audit_log (tenant_id, action, actor, detail, created_at) VALUES ($1, $2, $3, $4, $5)";

/// Binds an [`AuditEntry`] to [`INSERT_AUDIT`].
macro_rules! insert_audit {
    ($entry:expr, $now:expr) => {
        sqlx::query(INSERT_AUDIT)
            .bind($entry.tenant_id)
            .bind(&$entry.action)
            .bind(&$entry.actor)
            .bind(Json(&$entry.detail))
            .bind($now)
    };
}

/// A multi-row insert of `rows` audit entries, for [`insert_audits!`].
fn insert_audits_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| format!("({})", placeholders(r * 5 + 1, 5)))
        .collect();
    format!(
        "INSERT INTO meta_audit_log (tenant_id, action, actor, detail, created_at) VALUES {}",
        values.join(", ")
    )
}

/// Inserts audit entries, all stamped `$now`, in one statement.
macro_rules! insert_audits {
    ($tx:expr, $entries:expr, $now:expr) => {{
        let entries = $entries;
        let sql = insert_audits_sql(entries.len());
        let mut query = sqlx::query(&sql);
        for entry in entries {
            query = query
                .bind(entry.tenant_id)
                .bind(&entry.action)
                .bind(&entry.actor)
                .bind(Json(&entry.detail))
                .bind($now);
        }
        query.execute(&mut *$tx).await?;
    }};
}

/// Runs one statement and, when it changed a row, its audit entry, in one
/// write transaction; evaluates to whether a row changed.
macro_rules! change_with_audit {
    ($store:expr, $audit:expr, $now:expr, $statement:expr) => {
        with_pool!($store, pool => {
            let mut tx = pool.begin_with($store.begin_write()).await?;
            let changed = $statement.execute(&mut *tx).await?.rows_affected() > 0;
            if changed {
                insert_audit!($audit, $now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(changed)
        })
    };
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

    // ---- tenants ----

    /// Adds a tenant; an existing id is an error, not an update.
    pub async fn add_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        let result = with_pool!(self, pool => sqlx::query("INSERT INTO tenants (id, name) VALUES ($1, $2)")
            .bind(tenant.id)
            .bind(&tenant.name)
            .execute(pool)
            .await
            .map(|_| ()));
        match result {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::TenantExists(tenant.id))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        const SQL: &str = "SELECT id, name FROM tenants ORDER BY id";
        Ok(with_pool!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await)?)
    }

    pub async fn tenant(&self, id: i32) -> Result<Option<Tenant>, StoreError> {
        const SQL: &str = "SELECT id, name FROM tenants WHERE id = $1";
        Ok(with_pool!(self, pool => sqlx::query_as(SQL).bind(id).fetch_optional(pool).await)?)
    }

    /// The tenant, or an error naming the unknown id.
    pub async fn require_tenant(&self, id: i32) -> Result<Tenant, StoreError> {
        self.tenant(id).await?.ok_or(StoreError::UnknownTenant(id))
    }

    // ---- connections ----

    /// Stores a tenant's connection (replacing any earlier one) and its audit
    /// entry in one transaction. The chosen business manager and ad account
    /// survive a replacement only when the Meta user is the same.
    pub async fn upsert_connection(
        &self,
        cipher: &Keyring,
        conn: &NewConnection,
        audit: &AuditEntry,
    ) -> Result<Upserted, StoreError> {
        const EXISTS: &str = "SELECT COUNT(*) FROM meta_tokens WHERE tenant_id = $1";
        let upsert = upsert_sql(1);
        debug_assert_eq!(conn.tenant_id, audit.tenant_id);
        let now = Utc::now();
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let sealed = cipher.seal(conn.tenant_id, &conn.access_token)?;
            let existing: i64 = sqlx::query_scalar(EXISTS).bind(conn.tenant_id).fetch_one(&mut *tx).await?;
            bind_connection!(sqlx::query(&upsert), conn, sealed, now, audit.actor)
                .execute(&mut *tx)
                .await
                .map_err(|e| unknown_tenant_on_fk(e, conn.tenant_id))?;
            insert_audit!(audit, now).execute(&mut *tx).await?;
            tx.commit().await?;
            Ok(if existing == 0 { Upserted::Inserted } else { Upserted::Updated })
        })
    }

    /// Stores many connections, each with its audit entry, in one transaction
    /// (multi-row statements, so thousands take a few round trips). All or
    /// nothing: an unknown tenant fails the whole call.
    pub async fn upsert_connections(
        &self,
        cipher: &Keyring,
        rows: &[(NewConnection, AuditEntry)],
    ) -> Result<Vec<Upserted>, StoreError> {
        let now = Utc::now();
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            // Sealed inside the write transaction: see `Keyring::write_key`.
            let key = cipher.write_key()?;
            let sealed: Vec<SealedToken> = rows
                .iter()
                .map(|(c, _)| key.seal(c.tenant_id, &c.access_token))
                .collect::<Result<_, _>>()?;
            let mut existing = std::collections::HashSet::new();
            for chunk in rows.chunks(self.rows_per_statement() * 4) {
                let sql = format!("SELECT tenant_id FROM meta_tokens WHERE tenant_id IN ({})", placeholders(1, chunk.len()));
                let mut query = sqlx::query_scalar::<_, i32>(&sql);
                for (c, _) in chunk {
                    query = query.bind(c.tenant_id);
                }
                existing.extend(query.fetch_all(&mut *tx).await?);
            }
            for (chunk, sealed) in rows.chunks(self.rows_per_statement()).zip(sealed.chunks(self.rows_per_statement())) {
                let sql = upsert_sql(chunk.len());
                let mut query = sqlx::query(&sql);
                for ((conn, audit), sealed) in chunk.iter().zip(sealed) {
                    query = bind_connection!(query, conn, sealed, now, audit.actor);
                }
                query.execute(&mut *tx).await?;
                insert_audits!(tx, chunk.iter().map(|(_, audit)| audit).collect::<Vec<_>>(), now);
            }
            tx.commit().await?;
            Ok(rows.iter().map(|(c, _)| if existing.contains(&c.tenant_id) { Upserted::Updated } else { Upserted::Inserted }).collect())
        })
    }

    /// Every stored token with its tenant and Meta user, without the heavier
    /// columns (for `audit`, which checks thousands).
    pub async fn tokens(&self, cipher: &Keyring) -> Result<Vec<StoredToken>, StoreError> {
        const SQL: &str = "SELECT tenant_id, access_token, token_key_id, meta_user_id FROM meta_tokens ORDER BY tenant_id";
        let rows: Vec<(i32, String, String, String)> =
            with_pool!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|(tenant_id, ciphertext, key_id, meta_user_id)| {
                let sealed = SealedToken { ciphertext, key_id };
                let token = cipher.open(tenant_id, &sealed)?;
                Ok(StoredToken {
                    tenant_id,
                    token,
                    meta_user_id,
                    stored_as: StoredAs(sealed.ciphertext),
                })
            })
            .collect()
    }

    /// Records many check results in one transaction (a statement per status
    /// and chunk). A result lands only where the row still holds the token
    /// that was checked: a `connect` that replaced it meanwhile keeps its own
    /// result. Never touches the tokens.
    pub async fn record_checks(
        &self,
        results: &[(i32, StoredAs, TokenStatus)],
        checked_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut by_status: std::collections::BTreeMap<&'static str, Vec<(i32, &str)>> =
            std::collections::BTreeMap::new();
        for (tenant_id, stored_as, status) in results {
            by_status
                .entry(status.as_str())
                .or_default()
                .push((*tenant_id, stored_as.0.as_str()));
        }
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            for (status, rows) in &by_status {
                for chunk in rows.chunks(self.rows_per_statement() * 2) {
                    let pairs: Vec<String> = (0..chunk.len())
                        .map(|r| format!("(CAST(${} AS INTEGER), CAST(${} AS TEXT))", 3 + 2 * r, 4 + 2 * r))
                        .collect();
                    let sql = format!(
                        "UPDATE meta_tokens SET last_checked_at = $1, last_check_status = $2 \
                         WHERE (tenant_id, access_token) IN (VALUES {})",
                        pairs.join(", ")
                    );
                    let mut query = sqlx::query(&sql).bind(checked_at).bind(*status);
                    for (tenant_id, ciphertext) in chunk {
                        query = query.bind(*tenant_id).bind(*ciphertext);
                    }
                    query.execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// A tenant's connection with its token decrypted, if it has one.
    pub async fn connection(
        &self,
        cipher: &Keyring,
        tenant_id: i32,
    ) -> Result<Option<Connection>, StoreError> {
        let row = self.connection_row(tenant_id).await?;
        Ok(row.map(|r| r.open(cipher)).transpose()?)
    }

    /// A tenant's connection and which token it holds, without decrypting
    /// it (for a `disconnect --keep-remote`, which needs no key).
    pub async fn connection_sealed(
        &self,
        tenant_id: i32,
    ) -> Result<Option<(ConnectionInfo, StoredAs)>, StoreError> {
        Ok(self.connection_row(tenant_id).await?.map(|row| {
            let stored_as = StoredAs(row.access_token.clone());
            (row.into_info(), stored_as)
        }))
    }

    /// A tenant's connection without decrypting its token.
    pub async fn connection_info(
        &self,
        tenant_id: i32,
    ) -> Result<Option<ConnectionInfo>, StoreError> {
        Ok(self
            .connection_row(tenant_id)
            .await?
            .map(ConnectionRow::into_info))
    }

    async fn connection_row(&self, tenant_id: i32) -> Result<Option<ConnectionRow>, StoreError> {
        let sql = format!("SELECT {CONNECTION_COLUMNS} FROM meta_tokens WHERE tenant_id = $1");
        Ok(
            with_pool!(self, pool => sqlx::query_as(&sql).bind(tenant_id).fetch_optional(pool).await)?,
        )
    }

    /// Every connection without tokens, by tenant id.
    pub async fn connection_infos(&self) -> Result<Vec<ConnectionInfo>, StoreError> {
        Ok(self
            .connection_rows()
            .await?
            .into_iter()
            .map(ConnectionRow::into_info)
            .collect())
    }

    /// Every connection with its token decrypted, by tenant id. A token that
    /// does not decrypt fails the whole call: a wrong key must not look like
    /// an empty fleet.
    pub async fn connections(&self, cipher: &Keyring) -> Result<Vec<Connection>, StoreError> {
        let rows = self.connection_rows().await?;
        Ok(rows
            .into_iter()
            .map(|r| r.open(cipher))
            .collect::<Result<_, _>>()?)
    }

    async fn connection_rows(&self) -> Result<Vec<ConnectionRow>, StoreError> {
        let sql = format!("SELECT {CONNECTION_COLUMNS} FROM meta_tokens ORDER BY tenant_id");
        Ok(with_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await)?)
    }

    /// Marks connections invalid after their tokens died at Meta (a revocation
    /// for another tenant of the same Meta user), each with its audit row, in
    /// one transaction. The tokens stay: Meta, not this tool, decided.
    pub async fn mark_invalid(
        &self,
        tenant_ids: &[i32],
        checked_at: DateTime<Utc>,
        audit: impl Fn(i32) -> AuditEntry,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE meta_tokens SET last_checked_at = $2, last_check_status = $3 WHERE tenant_id = $1";
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            for &tenant_id in tenant_ids {
                sqlx::query(SQL).bind(tenant_id).bind(checked_at).bind(TokenStatus::Invalid.as_str()).execute(&mut *tx).await?;
                insert_audit!(audit(tenant_id), checked_at).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    /// Replaces the cached business managers of a connection (no audit row:
    /// a cache refresh changes nothing the CRM acts on).
    pub async fn update_business_managers(
        &self,
        tenant_id: i32,
        business_managers: &serde_json::Value,
    ) -> Result<(), StoreError> {
        const SQL: &str = "UPDATE meta_tokens SET business_managers = $2 WHERE tenant_id = $1";
        with_pool!(self, pool => sqlx::query(SQL).bind(tenant_id).bind(Json(business_managers)).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Records the business manager and ad account the CRM syncs for a
    /// tenant, with its audit entry, in one transaction. Returns whether the
    /// tenant had a connection to record it on.
    pub async fn set_selection(
        &self,
        tenant_id: i32,
        business_manager_id: Option<&str>,
        ad_account_id: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE meta_tokens SET business_manager_id = $2, ad_account_id = $3, updated_at = $4, last_used_by = $5 WHERE tenant_id = $1";
        let now = Utc::now();
        change_with_audit!(
            self,
            audit,
            now,
            sqlx::query(SQL)
                .bind(tenant_id)
                .bind(business_manager_id)
                .bind(ad_account_id)
                .bind(now)
                .bind(&audit.actor)
        )
    }

    /// Replaces a tenant's token with a refreshed one, with its audit entry,
    /// in one transaction, only if the row still holds `previous` (a
    /// `connect` may have replaced it meanwhile) and the new expiry is later
    /// than the stored one (so a concurrent refresh cannot move it back).
    /// Returns whether it was stored.
    #[allow(clippy::too_many_arguments)]
    pub async fn store_refreshed_token(
        &self,
        cipher: &Keyring,
        tenant_id: i32,
        previous: &SecretString,
        token: &SecretString,
        expires_at: DateTime<Utc>,
        data_access_expires_at: Option<DateTime<Utc>>,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        const UPDATE: &str = "UPDATE meta_tokens SET access_token = $2, token_key_id = $3, expires_at = $4, \
             data_access_expires_at = COALESCE($5, data_access_expires_at), updated_at = $6, last_used_by = $7, \
             last_checked_at = $6, last_check_status = 'ok' \
             WHERE tenant_id = $1 AND expires_at IS NOT NULL AND expires_at < $4";
        // The row is locked for the check (SQLite's BEGIN IMMEDIATE already holds the write lock).
        let current = match self {
            Store::Sqlite(_) => {
                "SELECT access_token, token_key_id FROM meta_tokens WHERE tenant_id = $1"
            }
            Store::Postgres(_) => {
                "SELECT access_token, token_key_id FROM meta_tokens WHERE tenant_id = $1 FOR UPDATE"
            }
        };
        let now = Utc::now();
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let sealed = cipher.seal(tenant_id, token)?;
            let row: Option<(String, String)> = sqlx::query_as(current).bind(tenant_id).fetch_optional(&mut *tx).await?;
            let Some((ciphertext, key_id)) = row else { return Ok(false) };
            let stored = cipher.open(tenant_id, &SealedToken { ciphertext, key_id })?;
            if stored.expose_secret() != previous.expose_secret() {
                return Ok(false);
            }
            let changed = sqlx::query(UPDATE)
                .bind(tenant_id)
                .bind(&sealed.ciphertext)
                .bind(&sealed.key_id)
                .bind(expires_at)
                .bind(data_access_expires_at)
                .bind(now)
                .bind(&audit.actor)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0;
            if changed {
                insert_audit!(audit, now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(changed)
        })
    }

    /// The ids of the keys the stored tokens are sealed with, and how many each.
    pub async fn key_ids(&self) -> Result<Vec<(String, i64)>, StoreError> {
        const SQL: &str = "SELECT token_key_id, COUNT(*) FROM meta_tokens GROUP BY token_key_id ORDER BY token_key_id";
        Ok(with_pool!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await)?)
    }

    /// Runs `f` on the key usage while no other process can write tokens
    /// (SQLite's write lock; a PostgreSQL table lock that still lets readers
    /// in), so a key `f` forgets cannot gain a row meanwhile.
    pub async fn with_writes_held<T>(
        &self,
        f: impl FnOnce(&[(String, i64)]) -> T,
    ) -> Result<T, StoreError> {
        const USAGE: &str = "SELECT token_key_id, COUNT(*) FROM meta_tokens GROUP BY token_key_id ORDER BY token_key_id";
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            if let Store::Postgres(_) = self {
                sqlx::query("LOCK TABLE meta_tokens IN EXCLUSIVE MODE").execute(&mut *tx).await?;
            }
            let usage: Vec<(String, i64)> = sqlx::query_as(USAGE).fetch_all(&mut *tx).await?;
            let result = f(&usage);
            tx.commit().await?;
            Ok(result)
        })
    }

    /// Re-seals under the keyring's write key up to `limit` rows that use
    /// another key, from tenant ids above `after`, each with a `rotate` audit
    /// row, in one transaction. Each row changes only if it still holds the
    /// ciphertext that was read (and PostgreSQL locks them while it works),
    /// so a concurrent writer's token is never overwritten. Returns the last
    /// tenant id seen and how many rows moved, or `None` past the last row.
    pub async fn reseal_batch(
        &self,
        cipher: &Keyring,
        after: i32,
        limit: usize,
    ) -> Result<Option<(i32, usize)>, StoreError> {
        let select = format!(
            "SELECT tenant_id, access_token, token_key_id FROM meta_tokens \
             WHERE token_key_id <> $1 AND tenant_id > $2 ORDER BY tenant_id LIMIT {limit}{}",
            match self {
                Store::Sqlite(_) => "",
                Store::Postgres(_) => " FOR UPDATE",
            }
        );
        let now = Utc::now();
        let actor = whoami::username();
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let key = cipher.write_key()?;
            let rows: Vec<(i32, String, String)> = sqlx::query_as(&select)
                .bind(key.id())
                .bind(after)
                .fetch_all(&mut *tx)
                .await?;
            let Some(&(last, _, _)) = rows.last() else { return Ok(None) };
            let mut moved = 0;
            for chunk in rows.chunks(self.rows_per_statement()) {
                let mut resealed = Vec::with_capacity(chunk.len());
                for (tenant_id, ciphertext, key_id) in chunk {
                    let sealed = SealedToken { ciphertext: ciphertext.clone(), key_id: key_id.clone() };
                    let token = cipher.open(*tenant_id, &sealed)?;
                    resealed.push((*tenant_id, ciphertext, key.seal(*tenant_id, &token)?.ciphertext));
                }
                let values: Vec<String> = (0..chunk.len())
                    .map(|r| format!("(CAST(${} AS INTEGER), CAST(${} AS TEXT), CAST(${} AS TEXT))", 2 + 3 * r, 3 + 3 * r, 4 + 3 * r))
                    .collect();
                let update = format!(
                    "WITH v(tenant_id, old_token, new_token) AS (VALUES {}) \
                     UPDATE meta_tokens SET access_token = v.new_token, token_key_id = $1 FROM v \
                     WHERE meta_tokens.tenant_id = v.tenant_id AND meta_tokens.access_token = v.old_token \
                     RETURNING meta_tokens.tenant_id",
                    values.join(", ")
                );
                let mut query = sqlx::query_scalar::<_, i32>(&update).bind(key.id());
                for (tenant_id, old, new) in &resealed {
                    query = query.bind(*tenant_id).bind(old.as_str()).bind(new.as_str());
                }
                let changed: Vec<i32> = query.fetch_all(&mut *tx).await?;
                let entries: Vec<AuditEntry> = chunk
                    .iter()
                    .filter(|(tenant_id, _, _)| changed.contains(tenant_id))
                    .map(|(tenant_id, _, from)| AuditEntry {
                        tenant_id: *tenant_id,
                        action: "rotate".into(),
                        actor: actor.clone(),
                        detail: serde_json::json!({ "from_key_id": from, "to_key_id": key.id() }),
                    })
                    .collect();
                if !entries.is_empty() {
                    insert_audits!(tx, &entries, now);
                }
                moved += changed.len();
            }
            tx.commit().await?;
            Ok(Some((last, moved)))
        })
    }

    /// Every connection's tenant and Meta user (nothing heavier).
    pub async fn meta_users(&self) -> Result<Vec<(i32, String)>, StoreError> {
        const SQL: &str = "SELECT tenant_id, meta_user_id FROM meta_tokens ORDER BY tenant_id";
        Ok(with_pool!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await)?)
    }

    /// Other tenants connected with the same Meta user.
    pub async fn tenants_sharing_meta_user(
        &self,
        meta_user_id: &str,
        except_tenant: i32,
    ) -> Result<Vec<i32>, StoreError> {
        const SQL: &str = "SELECT tenant_id FROM meta_tokens WHERE meta_user_id = $1 AND tenant_id <> $2 ORDER BY tenant_id";
        Ok(
            with_pool!(self, pool => sqlx::query_scalar(SQL).bind(meta_user_id).bind(except_tenant).fetch_all(pool).await)?,
        )
    }

    /// Deletes a tenant's connection and writes its audit entry, in one
    /// transaction, only if the row still holds the token `stored_as` names:
    /// a connection replaced meanwhile is not the one the caller revoked, so
    /// it stays, and the answer is [`StoreError::ConnectionChanged`].
    pub async fn delete_connection(
        &self,
        tenant_id: i32,
        stored_as: &StoredAs,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        const SQL: &str = "DELETE FROM meta_tokens WHERE tenant_id = $1 AND access_token = $2";
        let now = Utc::now();
        let deleted: Result<bool, StoreError> = change_with_audit!(
            self,
            audit,
            now,
            sqlx::query(SQL).bind(tenant_id).bind(&stored_as.0)
        );
        if deleted? {
            Ok(())
        } else {
            Err(StoreError::ConnectionChanged(tenant_id))
        }
    }

    // ---- audit log ----

    /// Appends an entry that goes with no connection change of its own.
    pub async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let now = Utc::now();
        with_pool!(self, pool => insert_audit!(entry, now).execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// A tenant's audit entries, oldest first.
    pub async fn audit_log(&self, tenant_id: i32) -> Result<Vec<AuditRecord>, StoreError> {
        const SQL: &str = "SELECT tenant_id, action, actor, detail, created_at FROM meta_audit_log WHERE tenant_id = $1 ORDER BY id";
        let rows: Vec<AuditRow> =
            with_pool!(self, pool => sqlx::query_as(SQL).bind(tenant_id).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|r| AuditRecord {
                entry: AuditEntry {
                    tenant_id: r.tenant_id,
                    action: r.action,
                    actor: r.actor,
                    detail: r.detail.0,
                },
                created_at: r.created_at,
            })
            .collect())
    }
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
