//! The append-only `meta_audit_log`: one insert for any number of entries,
//! the "change a row and log it" transaction, and reads for people.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use super::{AuditEntry, AuditRecord, Store, StoreError, placeholders};

/// A multi-row insert of `rows` audit entries, for [`insert_audits!`].
pub(super) fn insert_audits_sql(rows: usize) -> String {
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
        let sql = $crate::store::audit_log::insert_audits_sql(entries.len());
        let mut query = sqlx::query(&sql);
        for entry in entries {
            query = query
                .bind(entry.tenant_id)
                .bind(&entry.action)
                .bind(&entry.actor)
                .bind(::sqlx::types::Json(&entry.detail))
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
                insert_audits!(tx, [$audit], $now);
            }
            tx.commit().await?;
            Ok(changed)
        })
    };
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    tenant_id: i32,
    action: String,
    actor: String,
    detail: Json<serde_json::Value>,
    created_at: DateTime<Utc>,
}

impl AuditRow {
    fn into_record(self) -> AuditRecord {
        AuditRecord {
            entry: AuditEntry {
                tenant_id: self.tenant_id,
                action: self.action,
                actor: self.actor,
                detail: self.detail.0,
            },
            created_at: self.created_at,
        }
    }
}

/// Which audit entries `log` shows.
#[derive(Debug, Default)]
pub struct AuditFilter {
    pub tenant_id: Option<i32>,
    pub action: Option<String>,
    pub since: Option<DateTime<Utc>>,
}

impl Store {
    /// Appends an entry that goes with no connection change of its own.
    pub async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let now = Utc::now();
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            insert_audits!(tx, [entry], now);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Audit entries newest first, filtered, at most `limit`.
    pub async fn audit_entries(
        &self,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, StoreError> {
        let mut sql = String::from(
            "SELECT tenant_id, action, actor, detail, created_at FROM meta_audit_log WHERE 1 = 1",
        );
        let mut n = 0;
        let mut next = || {
            n += 1;
            n
        };
        if filter.tenant_id.is_some() {
            sql.push_str(&format!(" AND tenant_id = ${}", next()));
        }
        if filter.action.is_some() {
            sql.push_str(&format!(" AND action = ${}", next()));
        }
        if filter.since.is_some() {
            sql.push_str(&format!(" AND created_at >= ${}", next()));
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
        let rows: Vec<AuditRow> = with_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql);
            if let Some(tenant_id) = filter.tenant_id {
                query = query.bind(tenant_id);
            }
            if let Some(action) = &filter.action {
                query = query.bind(action);
            }
            if let Some(since) = filter.since {
                query = query.bind(since);
            }
            query.fetch_all(pool).await
        })?;
        Ok(rows.into_iter().map(AuditRow::into_record).collect())
    }

    /// A tenant's audit entries, oldest first.
    pub async fn audit_log(&self, tenant_id: i32) -> Result<Vec<AuditRecord>, StoreError> {
        const SQL: &str = "SELECT tenant_id, action, actor, detail, created_at FROM meta_audit_log WHERE tenant_id = $1 ORDER BY id";
        let rows: Vec<AuditRow> =
            with_pool!(self, pool => sqlx::query_as(SQL).bind(tenant_id).fetch_all(pool).await)?;
        Ok(rows.into_iter().map(AuditRow::into_record).collect())
    }
}
