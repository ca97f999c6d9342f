//! Which keys the stored tokens use, and re-sealing them under another
//! (`keys rotate`), batch by batch, each row by compare-and-swap.

use chrono::Utc;

use super::{AuditEntry, Store, StoreError};
use crate::crypto::SealedToken;
use crate::keyring::Keyring;

impl Store {
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
}
