//! The `tenants` table.

use super::{Store, StoreError, Tenant, TenantListing};

impl Store {
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

    /// At most `limit` tenants after `after_id`, in id order, each with its
    /// connection's state: `tenants list` reads a page at a time.
    pub async fn tenant_listing_page(
        &self,
        after_id: i32,
        limit: u32,
    ) -> Result<Vec<TenantListing>, StoreError> {
        const SQL: &str = "SELECT t.id, t.name, m.meta_user_id, m.meta_user_name, m.token_type, m.expires_at, \
             m.data_access_expires_at, m.business_manager_id, m.ad_account_id, m.page_id, m.last_checked_at, \
             m.last_check_status FROM tenants t LEFT JOIN meta_tokens m ON m.tenant_id = t.id \
             WHERE t.id > $1 ORDER BY t.id LIMIT $2";
        Ok(with_pool!(self, pool => sqlx::query_as(SQL)
            .bind(after_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await)?)
    }

    /// Which of `ids` name a tenant.
    pub async fn existing_tenants(
        &self,
        ids: &[i32],
    ) -> Result<std::collections::HashSet<i32>, StoreError> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let sql = format!(
            "SELECT id FROM tenants WHERE id IN ({})",
            super::placeholders(1, ids.len())
        );
        let found: Vec<i32> = with_pool!(self, pool => {
            let mut query = sqlx::query_scalar(&sql);
            for id in ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await
        })?;
        Ok(found.into_iter().collect())
    }
}
