//! The `tenants` table.

use super::{Store, StoreError, Tenant};

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
}
