//! The store's rows as the rest of the tool sees them: tenants,
//! connections (without ciphertext, or with the token opened), audit
//! entries. Tokens go in and come out as [`SecretString`] only.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Serialize;
use sqlx::types::Json;

use crate::crypto::{CryptoError, SealedToken};
use crate::keyring::Keyring;
use crate::token::TokenStatus;

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
    /// The Page whose leads the CRM receives; `None` keeps an earlier one
    /// when the Meta user is the same.
    pub page_id: Option<String>,
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
    /// When this tenant's `leads subscribe` installed the app on `page_id`.
    pub page_subscribed_at: Option<DateTime<Utc>>,
    pub business_manager_id: Option<String>,
    pub ad_account_id: Option<String>,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub last_check_status: Option<TokenStatus>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A tenant with its connection's state, as `tenants list` shows it (no
/// token, no cached assets).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenantListing {
    pub id: i32,
    pub name: String,
    pub meta_user_id: Option<String>,
    pub meta_user_name: Option<String>,
    pub token_type: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub data_access_expires_at: Option<DateTime<Utc>>,
    pub business_manager_id: Option<String>,
    pub ad_account_id: Option<String>,
    pub page_id: Option<String>,
    pub last_checked_at: Option<DateTime<Utc>>,
    pub last_check_status: Option<String>,
}

/// A stored connection with its decrypted token.
pub struct Connection {
    pub info: ConnectionInfo,
    pub access_token: SecretString,
    /// Which stored token this is: a check result is recorded only while the
    /// row still holds it.
    pub stored_as: StoredAs,
}

/// Identifies one stored token (its ciphertext) without revealing it: the
/// compare-and-swap writes match a row only while it still holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAs(pub(super) String);

impl StoredAs {
    pub(super) fn ciphertext(&self) -> &str {
        &self.0
    }
}

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

pub(super) const CONNECTION_COLUMNS: &str = "tenant_id, access_token, token_key_id, token_type, expires_at, data_access_expires_at, \
     scopes, business_managers, meta_user_id, meta_user_name, graph_api_version, page_id, page_subscribed_at, business_manager_id, \
     ad_account_id, last_checked_at, last_check_status, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub(super) struct ConnectionRow {
    pub(super) tenant_id: i32,
    pub(super) access_token: String,
    pub(super) token_key_id: String,
    pub(super) token_type: String,
    pub(super) expires_at: Option<DateTime<Utc>>,
    pub(super) data_access_expires_at: Option<DateTime<Utc>>,
    pub(super) scopes: Json<Vec<String>>,
    pub(super) business_managers: Json<serde_json::Value>,
    pub(super) meta_user_id: String,
    pub(super) meta_user_name: Option<String>,
    pub(super) graph_api_version: String,
    pub(super) page_id: Option<String>,
    pub(super) page_subscribed_at: Option<DateTime<Utc>>,
    pub(super) business_manager_id: Option<String>,
    pub(super) ad_account_id: Option<String>,
    pub(super) last_checked_at: Option<DateTime<Utc>>,
    pub(super) last_check_status: Option<String>,
    pub(super) created_at: DateTime<Utc>,
    pub(super) updated_at: DateTime<Utc>,
}

impl ConnectionRow {
    pub(super) fn sealed(&self) -> SealedToken {
        SealedToken {
            ciphertext: self.access_token.clone(),
            key_id: self.token_key_id.clone(),
        }
    }

    pub(super) fn into_info(self) -> ConnectionInfo {
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
            page_subscribed_at: self.page_subscribed_at,
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

    pub(super) fn open(self, cipher: &Keyring) -> Result<Connection, CryptoError> {
        let access_token = cipher.open(self.tenant_id, &self.sealed())?;
        let stored_as = StoredAs(self.access_token.clone());
        Ok(Connection {
            info: self.into_info(),
            access_token,
            stored_as,
        })
    }
}

/// One clock of one tenant: its token (`kind` 0) or its data access
/// (`kind` 1) expires `at`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Expiry {
    pub tenant_id: i32,
    pub name: String,
    pub kind: i32,
    pub at: DateTime<Utc>,
}
