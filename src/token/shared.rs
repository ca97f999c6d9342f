//! Which tenants share a Meta user: a revocation for one of them cuts off
//! the others too, so every token view names them (`shared_with`).

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
