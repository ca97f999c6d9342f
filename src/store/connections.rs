//! `meta_tokens`: storing, reading, checking and deleting connections.
//! Every write that replaces or deletes a token is a compare-and-swap on
//! the ciphertext that was read, so a concurrent writer's token survives.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use sqlx::types::Json;

use super::model::{CONNECTION_COLUMNS, ConnectionRow};
use super::{
    AuditEntry, Connection, ConnectionInfo, Expiry, NewConnection, Store, StoreError, StoredAs,
    StoredToken, Upserted, placeholders, unknown_tenant_on_fk,
};
use crate::crypto::SealedToken;
use crate::keyring::Keyring;
use crate::token::TokenStatus;

/// Columns an upsert writes, in bind order; `created_at` and `updated_at` share the time.
const UPSERT_COLUMNS: &str = "tenant_id, access_token, token_key_id, token_type, expires_at, data_access_expires_at, \
     scopes, business_managers, meta_user_id, meta_user_name, graph_api_version, created_at, updated_at, last_used_by, \
     business_manager_id, ad_account_id, last_checked_at, last_check_status, page_id";
const UPSERT_PARAMS_PER_ROW: usize = 18;

/// `INSERT … ON CONFLICT (tenant_id) DO UPDATE` for `rows` connections. A
/// given selection is stored; without one, the earlier choice survives only
/// a token of the same Meta user. The last check is the new token's (or none).
fn upsert_sql(rows: usize) -> String {
    let values: Vec<String> = (0..rows)
        .map(|r| {
            // created_at and updated_at share parameter 12.
            let params: Vec<String> = [
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 12, 13, 14, 15, 16, 17, 18,
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
            page_id = CASE WHEN excluded.page_id IS NOT NULL THEN excluded.page_id \
                WHEN meta_tokens.meta_user_id = excluded.meta_user_id THEN meta_tokens.page_id END, \
            page_subscribed_at = CASE WHEN meta_tokens.meta_user_id = excluded.meta_user_id \
                AND (excluded.page_id IS NULL OR excluded.page_id = meta_tokens.page_id) \
                THEN meta_tokens.page_subscribed_at END, \
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
            .bind($conn.page_id.as_deref())
    };
}

/// `tenant_id, access_token, token_key_id, meta_user_id`, as read.
type TokenRow = (i32, String, String, String);

/// Opens each row's token with the key its id names.
fn open_tokens(rows: Vec<TokenRow>, cipher: &Keyring) -> Result<Vec<StoredToken>, StoreError> {
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

/// Which stored token a compare-and-swap write expects to find.
pub enum Expected<'a> {
    /// The ciphertext that was read; needs no key.
    Stored(&'a StoredAs),
    /// The token itself, under whatever key seals it now: a re-encryption
    /// by `keys rotate` is not a change.
    Token(&'a SecretString, &'a Keyring),
}

/// What [`Store::store_refreshed_token`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    Stored,
    /// The stored expiry is already as late: nothing written.
    NotLater,
    /// The connection now holds another token: nothing written.
    Replaced,
}

/// Inside a write transaction: the row's current ciphertext if it still
/// holds the token `$expected` names (locked on PostgreSQL), else `None`.
macro_rules! expected_ciphertext {
    ($store:expr, $tx:expr, $tenant_id:expr, $expected:expr) => {{
        let select = match $store {
            Store::Sqlite(_) => {
                "SELECT access_token, token_key_id FROM meta_tokens WHERE tenant_id = $1"
            }
            Store::Postgres(_) => {
                "SELECT access_token, token_key_id FROM meta_tokens WHERE tenant_id = $1 FOR UPDATE"
            }
        };
        let row: Option<(String, String)> = sqlx::query_as(select)
            .bind($tenant_id)
            .fetch_optional(&mut *$tx)
            .await?;
        match (row, $expected) {
            (None, _) => None,
            (Some((ciphertext, _)), Expected::Stored(read)) => {
                (ciphertext == read.ciphertext()).then_some(ciphertext)
            }
            (Some((ciphertext, key_id)), Expected::Token(token, keyring)) => {
                let sealed = SealedToken { ciphertext, key_id };
                let held = keyring.open($tenant_id, &sealed)?;
                (held.expose_secret() == token.expose_secret()).then_some(sealed.ciphertext)
            }
        }
    }};
}

impl Store {
    /// Stores a tenant's connection (replacing any earlier one) and its audit
    /// entry in one transaction. The chosen business manager and ad account
    /// survive a replacement only when the Meta user is the same.
    pub async fn upsert_connection(
        &self,
        cipher: &Keyring,
        conn: &NewConnection,
        audit: &AuditEntry,
    ) -> Result<Upserted, StoreError> {
        debug_assert_eq!(conn.tenant_id, audit.tenant_id);
        let outcome = self
            .upsert(cipher, &[(conn, audit)])
            .await
            .map_err(|e| match e {
                StoreError::Database(db) => unknown_tenant_on_fk(db, conn.tenant_id),
                other => other,
            })?;
        Ok(outcome[0])
    }

    /// Stores many connections, each with its audit entry, in one transaction
    /// (multi-row statements, so thousands take a few round trips). All or
    /// nothing: an unknown tenant fails the whole call.
    pub async fn upsert_connections(
        &self,
        cipher: &Keyring,
        rows: &[(NewConnection, AuditEntry)],
    ) -> Result<Vec<Upserted>, StoreError> {
        let rows: Vec<(&NewConnection, &AuditEntry)> = rows.iter().map(|(c, a)| (c, a)).collect();
        self.upsert(cipher, &rows).await
    }

    /// The one upsert: [`upsert_sql`] in chunks, the audit entries with them.
    async fn upsert(
        &self,
        cipher: &Keyring,
        rows: &[(&NewConnection, &AuditEntry)],
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
                insert_audits!(tx, chunk.iter().map(|(_, audit)| *audit).collect::<Vec<_>>(), now);
            }
            tx.commit().await?;
            Ok(rows.iter().map(|(c, _)| if existing.contains(&c.tenant_id) { Upserted::Updated } else { Upserted::Inserted }).collect())
        })
    }

    /// Every stored token with its tenant and Meta user, without the heavier
    /// columns (`keys rotate --dry-run` opens them all).
    pub async fn tokens(&self, cipher: &Keyring) -> Result<Vec<StoredToken>, StoreError> {
        const SQL: &str = "SELECT tenant_id, access_token, token_key_id, meta_user_id FROM meta_tokens ORDER BY tenant_id";
        let rows: Vec<TokenRow> =
            with_pool!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await)?;
        open_tokens(rows, cipher)
    }

    /// At most `limit` stored tokens after `after_tenant`, in tenant order:
    /// fleet commands read the store a page at a time, so their memory does
    /// not grow with the number of tenants.
    pub async fn tokens_page(
        &self,
        cipher: &Keyring,
        after_tenant: i32,
        limit: u32,
    ) -> Result<Vec<StoredToken>, StoreError> {
        const SQL: &str = "SELECT tenant_id, access_token, token_key_id, meta_user_id FROM meta_tokens \
             WHERE tenant_id > $1 ORDER BY tenant_id LIMIT $2";
        let rows: Vec<TokenRow> = with_pool!(self, pool => sqlx::query_as(SQL)
            .bind(after_tenant)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await)?;
        open_tokens(rows, cipher)
    }

    /// The tenants of every Meta user connected to more than one tenant
    /// (usually few: held whole, unlike the fleet).
    pub async fn shared_meta_users(&self) -> Result<Vec<(i32, String)>, StoreError> {
        const SQL: &str = "SELECT tenant_id, meta_user_id FROM meta_tokens WHERE meta_user_id IN \
             (SELECT meta_user_id FROM meta_tokens GROUP BY meta_user_id HAVING COUNT(*) > 1) ORDER BY tenant_id";
        Ok(with_pool!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await)?)
    }

    /// How many stored tokens never expire (system users).
    pub async fn never_expiring_count(&self) -> Result<u64, StoreError> {
        const SQL: &str = "SELECT COUNT(*) FROM meta_tokens WHERE expires_at IS NULL";
        let n: i64 = with_pool!(self, pool => sqlx::query_scalar(SQL).fetch_one(pool).await)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// How many connections are stored.
    pub async fn connection_count(&self) -> Result<u64, StoreError> {
        const SQL: &str = "SELECT COUNT(*) FROM meta_tokens";
        let n: i64 = with_pool!(self, pool => sqlx::query_scalar(SQL).fetch_one(pool).await)?;
        Ok(u64::try_from(n).unwrap_or(0))
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

    /// At most `limit` connections after `after_tenant`, with their tokens
    /// decrypted, in tenant order (fleet checks read a page at a time);
    /// with `expiring_by`, only tokens that expire by then.
    pub async fn connections_page(
        &self,
        cipher: &Keyring,
        after_tenant: i32,
        limit: u32,
        expiring_by: Option<DateTime<Utc>>,
    ) -> Result<Vec<Connection>, StoreError> {
        let filter = if expiring_by.is_some() {
            "AND expires_at IS NOT NULL AND expires_at <= $3"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {CONNECTION_COLUMNS} FROM meta_tokens WHERE tenant_id > $1 {filter} ORDER BY tenant_id LIMIT $2"
        );
        let rows: Vec<ConnectionRow> = with_pool!(self, pool => {
            let query = sqlx::query_as(&sql).bind(after_tenant).bind(i64::from(limit));
            let query = match expiring_by {
                Some(by) => query.bind(by),
                None => query,
            };
            query.fetch_all(pool).await
        })?;
        rows.into_iter()
            .map(|row| row.open(cipher).map_err(StoreError::from))
            .collect()
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
        let entries: Vec<AuditEntry> = tenant_ids.iter().map(|&id| audit(id)).collect();
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            for &tenant_id in tenant_ids {
                sqlx::query(SQL).bind(tenant_id).bind(checked_at).bind(TokenStatus::Invalid.as_str()).execute(&mut *tx).await?;
            }
            for chunk in entries.chunks(self.rows_per_statement()) {
                insert_audits!(tx, chunk, checked_at);
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

    /// Records the Page whose leads the CRM receives for a tenant, with its
    /// audit entry, in one transaction. A different Page forgets that this
    /// tenant installed the app on the old one. Returns whether the tenant
    /// had a connection to record it on.
    pub async fn set_page(
        &self,
        tenant_id: i32,
        page_id: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE meta_tokens SET page_subscribed_at = CASE WHEN page_id = $2 THEN page_subscribed_at END, \
             page_id = $2, updated_at = $3, last_used_by = $4 WHERE tenant_id = $1";
        let now = Utc::now();
        change_with_audit!(
            self,
            audit,
            now,
            sqlx::query(SQL)
                .bind(tenant_id)
                .bind(page_id)
                .bind(now)
                .bind(&audit.actor)
        )
    }

    /// Records that this tenant installed the app on its Page (still
    /// `page_id`), with its audit entry, in one transaction.
    pub async fn mark_page_subscribed(
        &self,
        tenant_id: i32,
        page_id: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "UPDATE meta_tokens SET page_subscribed_at = $3, updated_at = $3, last_used_by = $4 \
             WHERE tenant_id = $1 AND page_id = $2";
        let now = Utc::now();
        change_with_audit!(
            self,
            audit,
            now,
            sqlx::query(SQL)
                .bind(tenant_id)
                .bind(page_id)
                .bind(now)
                .bind(&audit.actor)
        )
    }

    /// Other tenants whose connection names this Page.
    pub async fn tenants_on_page(
        &self,
        page_id: &str,
        except_tenant: i32,
    ) -> Result<Vec<i32>, StoreError> {
        const SQL: &str = "SELECT tenant_id FROM meta_tokens WHERE page_id = $1 AND tenant_id <> $2 ORDER BY tenant_id";
        Ok(
            with_pool!(self, pool => sqlx::query_scalar(SQL).bind(page_id).bind(except_tenant).fetch_all(pool).await)?,
        )
    }

    /// Replaces a tenant's token with a refreshed one, with its audit entry,
    /// in one transaction, only if the row still holds `previous` (a
    /// `connect` may have replaced it meanwhile; a re-encryption by `keys
    /// rotate` is no change) and the new expiry is later than the stored one
    /// (so a concurrent refresh cannot move it back).
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
    ) -> Result<Refreshed, StoreError> {
        const UPDATE: &str = "UPDATE meta_tokens SET access_token = $2, token_key_id = $3, expires_at = $4, \
             data_access_expires_at = COALESCE($5, data_access_expires_at), updated_at = $6, last_used_by = $7, \
             last_checked_at = $6, last_check_status = 'ok' \
             WHERE tenant_id = $1 AND access_token = $8 AND expires_at IS NOT NULL AND expires_at < $4";
        let now = Utc::now();
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let expected = Expected::Token(previous, cipher);
            let Some(ciphertext) = expected_ciphertext!(self, tx, tenant_id, expected) else {
                return Ok(Refreshed::Replaced);
            };
            let sealed = cipher.seal(tenant_id, token)?;
            let changed = sqlx::query(UPDATE)
                .bind(tenant_id)
                .bind(&sealed.ciphertext)
                .bind(&sealed.key_id)
                .bind(expires_at)
                .bind(data_access_expires_at)
                .bind(now)
                .bind(&audit.actor)
                .bind(&ciphertext)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                > 0;
            if !changed {
                return Ok(Refreshed::NotLater);
            }
            insert_audits!(tx, [audit], now);
            tx.commit().await?;
            Ok(Refreshed::Stored)
        })
    }

    /// Every expiry no later than `until`, soonest first (then by tenant,
    /// token before data access), handed to `each` as the database streams
    /// them: one sorted query, no page of it held.
    pub async fn for_each_expiry<E: From<StoreError>>(
        &self,
        until: DateTime<Utc>,
        mut each: impl FnMut(Expiry) -> Result<(), E>,
    ) -> Result<(), E> {
        use futures::TryStreamExt;
        const SQL: &str = "SELECT tenant_id, name, kind, at FROM ( \
             SELECT m.tenant_id AS tenant_id, t.name AS name, 0 AS kind, m.expires_at AS at \
               FROM meta_tokens m JOIN tenants t ON t.id = m.tenant_id \
               WHERE m.expires_at IS NOT NULL AND m.expires_at <= $1 \
             UNION ALL \
             SELECT m.tenant_id, t.name, 1, m.data_access_expires_at \
               FROM meta_tokens m JOIN tenants t ON t.id = m.tenant_id \
               WHERE m.data_access_expires_at IS NOT NULL AND m.data_access_expires_at <= $1 \
           ) d ORDER BY at, tenant_id, kind";
        with_pool!(self, pool => {
            let mut rows = sqlx::query_as::<_, Expiry>(SQL).bind(until).fetch(pool);
            while let Some(expiry) = rows.try_next().await.map_err(StoreError::from)? {
                each(expiry)?;
            }
            Ok(())
        })
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
    /// transaction, only if the row still holds the token `expected` names:
    /// a connection replaced meanwhile is not the one the caller revoked, so
    /// it stays, and the answer is [`StoreError::ConnectionChanged`].
    pub async fn delete_connection(
        &self,
        tenant_id: i32,
        expected: Expected<'_>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        const DELETE: &str = "DELETE FROM meta_tokens WHERE tenant_id = $1 AND access_token = $2";
        let now = Utc::now();
        with_pool!(self, pool => {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let Some(ciphertext) = expected_ciphertext!(self, tx, tenant_id, expected) else {
                return Err(StoreError::ConnectionChanged(tenant_id));
            };
            sqlx::query(DELETE).bind(tenant_id).bind(&ciphertext).execute(&mut *tx).await?;
            insert_audits!(tx, [audit], now);
            tx.commit().await?;
            Ok(())
        })
    }
}
