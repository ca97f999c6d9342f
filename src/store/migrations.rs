//! The embedded migrations of both backends and what the database has applied.
//!
//! Applied migrations live in sqlx's `_sqlx_migrations` table. `migrate`
//! applies them under sqlx's lock (a PostgreSQL advisory lock), each in its own
//! transaction, so concurrent CI jobs apply each migration once and a failing
//! migration leaves no trace of itself.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::migrate::Migrator;

use super::{Store, StoreError};

pub static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");
pub static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");

/// One migration, as `migrate status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationInfo {
    pub version: i64,
    pub description: String,
}

/// Applied and pending migrations of a database.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MigrationStatus {
    pub applied: Vec<MigrationInfo>,
    pub pending: Vec<MigrationInfo>,
}

#[derive(sqlx::FromRow)]
struct AppliedRow {
    version: i64,
    success: bool,
    checksum: Vec<u8>,
}

impl Store {
    fn migrator(&self) -> &'static Migrator {
        match self {
            Store::Sqlite(_) => &SQLITE,
            Store::Postgres(_) => &POSTGRES,
        }
    }

    /// Compares the embedded migrations with those the database has applied.
    ///
    /// A migration that failed half-way (not `success`), one whose file changed
    /// after it ran, and one this binary does not know are errors: each needs a
    /// person to look, not an automatic fix.
    pub async fn migration_status(&self) -> Result<MigrationStatus, StoreError> {
        let applied: HashMap<i64, AppliedRow> = self
            .applied_migrations()
            .await?
            .into_iter()
            .map(|r| (r.version, r))
            .collect();
        let known: Vec<_> = self
            .migrator()
            .iter()
            .filter(|m| m.migration_type.is_up_migration())
            .collect();
        for row in applied.values() {
            if !row.success {
                return Err(StoreError::DirtyMigration {
                    version: row.version,
                });
            }
            if !known.iter().any(|m| m.version == row.version) {
                return Err(StoreError::NewerSchema {
                    version: row.version,
                });
            }
        }
        let mut status = MigrationStatus::default();
        for migration in known {
            let info = MigrationInfo {
                version: migration.version,
                description: migration.description.to_string(),
            };
            match applied.get(&migration.version) {
                Some(row) if *row.checksum != *migration.checksum => {
                    return Err(StoreError::ChangedMigration {
                        version: migration.version,
                    });
                }
                Some(_) => status.applied.push(info),
                None => status.pending.push(info),
            }
        }
        Ok(status)
    }

    async fn applied_migrations(&self) -> Result<Vec<AppliedRow>, StoreError> {
        const SQL: &str =
            "SELECT version, success, checksum FROM _sqlx_migrations ORDER BY version";
        let exists = self.table_exists("_sqlx_migrations").await?;
        if !exists {
            return Ok(Vec::new());
        }
        Ok(match self {
            Store::Sqlite(pool) => sqlx::query_as(SQL).fetch_all(pool).await?,
            Store::Postgres(pool) => sqlx::query_as(SQL).fetch_all(pool).await?,
        })
    }

    async fn table_exists(&self, table: &str) -> Result<bool, StoreError> {
        Ok(match self {
            Store::Sqlite(pool) => sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1)",
            )
            .bind(table)
            .fetch_one(pool)
            .await?,
            Store::Postgres(pool) => {
                sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
                    .bind(table)
                    .fetch_one(pool)
                    .await?
            }
        })
    }

    /// Applies every pending migration; returns those it applied.
    pub async fn migrate(&self) -> Result<Vec<MigrationInfo>, StoreError> {
        // PostgreSQL: sqlx takes an advisory lock. SQLite: sqlx takes none, so
        // concurrent first uses would race; a lock file next to the database
        // serialises them.
        let _lock = self.sqlite_migration_lock().await?;
        let before = self.migration_status().await?;
        let result = match self {
            Store::Sqlite(pool) => self.migrator().run(pool).await,
            Store::Postgres(pool) => self.migrator().run(pool).await,
        };
        result.map_err(StoreError::from_migrate)?;
        let after = self.migration_status().await?;
        Ok(before
            .pending
            .into_iter()
            .filter(|m| !after.pending.contains(m))
            .collect())
    }

    async fn sqlite_migration_lock(&self) -> Result<Option<std::fs::File>, StoreError> {
        let Store::Sqlite(pool) = self else {
            return Ok(None);
        };
        super::lock_sqlite(pool.connect_options().get_filename())
            .await
            .map(Some)
    }

    /// Refuses a database whose schema is older than this binary.
    pub async fn require_migrated(&self) -> Result<(), StoreError> {
        let status = self.migration_status().await?;
        if status.pending.is_empty() {
            Ok(())
        } else {
            Err(StoreError::PendingMigrations {
                pending: status.pending.iter().map(|m| m.version).collect(),
            })
        }
    }
}
