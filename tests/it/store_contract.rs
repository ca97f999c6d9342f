//! One story about the store, told to a SQLite file and to PostgreSQL: both
//! backends must behave the same.

use chrono::{Duration, Utc};
use crm_meta::crypto::CryptoError;
use crm_meta::store::{AuditEntry, NewConnection, Store, StoreError, Tenant, Upserted};
use crm_meta::token::TokenStatus;
use secrecy::ExposeSecret;
use serde_json::json;

use crate::support::{cipher, secret, sqlite_store};

fn connection(tenant_id: i32, token: &str, user: &str) -> NewConnection {
    NewConnection {
        tenant_id,
        access_token: secret(token),
        token_type: "USER".into(),
        expires_at: Some(Utc::now() + Duration::days(60)),
        data_access_expires_at: Some(Utc::now() + Duration::days(90)),
        scopes: vec!["ads_read".into(), "business_management".into()],
        business_managers: json!([{"id": "111", "name": "BM"}]),
        meta_user_id: user.into(),
        meta_user_name: Some("Ana".into()),
        graph_api_version: "v25.0".into(),
        checked: None,
        selection: None,
        page_id: None,
    }
}

async fn story(store: Store) {
    let key = cipher(1);
    for (id, name) in [(1, "One"), (2, "Two")] {
        store
            .add_tenant(&Tenant {
                id,
                name: name.into(),
            })
            .await
            .unwrap();
    }
    assert!(matches!(
        store
            .add_tenant(&Tenant {
                id: 1,
                name: "Dup".into()
            })
            .await,
        Err(StoreError::TenantExists(1))
    ));
    assert_eq!(store.tenants().await.unwrap().len(), 2);
    assert!(matches!(
        store.require_tenant(99).await,
        Err(StoreError::UnknownTenant(99))
    ));

    // Insert, then replace: one connection per tenant.
    let audit = AuditEntry::new(1, "connect", json!({"fingerprint": "sha256:x"}));
    assert_eq!(
        store
            .upsert_connection(&key, &connection(1, "token-one", "u1"), &audit)
            .await
            .unwrap(),
        Upserted::Inserted
    );
    assert_eq!(
        store
            .upsert_connection(&key, &connection(1, "token-one-b", "u1"), &audit)
            .await
            .unwrap(),
        Upserted::Updated
    );
    store
        .upsert_connection(
            &key,
            &connection(2, "token-two", "u2"),
            &AuditEntry::new(2, "connect", json!({})),
        )
        .await
        .unwrap();
    assert_eq!(store.connection_infos().await.unwrap().len(), 2);

    // Reads decrypt with the right tenant's token and nothing else.
    let one = store.connection(&key, 1).await.unwrap().unwrap();
    assert_eq!(one.access_token.expose_secret(), "token-one-b");
    assert_eq!(one.info.scopes, vec!["ads_read", "business_management"]);
    assert_eq!(
        one.info.business_managers,
        json!([{"id": "111", "name": "BM"}])
    );
    assert_eq!(one.info.meta_user_id, "u1");
    let expires = one.info.expires_at.unwrap();
    assert!(
        (expires - (Utc::now() + Duration::days(60)))
            .num_seconds()
            .abs()
            < 60
    );
    assert_eq!(
        store
            .connection(&key, 2)
            .await
            .unwrap()
            .unwrap()
            .access_token
            .expose_secret(),
        "token-two"
    );

    // A wrong key is an error naming the key, never an empty result.
    let wrong = store.connection(&cipher(2), 1).await;
    assert!(matches!(
        wrong,
        Err(StoreError::Crypto(CryptoError::MissingKey {
            tenant_id: 1,
            ..
        }))
    ));
    assert!(store.connections(&cipher(2)).await.is_err());

    // Writes to an unknown tenant are refused by the database.
    let unknown = store
        .upsert_connection(
            &key,
            &connection(42, "t", "u"),
            &AuditEntry::new(42, "connect", json!({})),
        )
        .await;
    assert!(
        matches!(unknown, Err(StoreError::UnknownTenant(42))),
        "{unknown:?}"
    );
    assert!(
        store.audit_log(42).await.unwrap().is_empty(),
        "the refused write left an audit row"
    );

    // Check results touch only the check columns of that tenant.
    let now = Utc::now();
    let before = store.connection(&key, 1).await.unwrap().unwrap();
    store
        .record_checks(&[(1, before.stored_as.clone(), TokenStatus::Invalid)], now)
        .await
        .unwrap();
    let checked = store.connection(&key, 1).await.unwrap().unwrap();
    assert_eq!(checked.info.last_check_status, Some(TokenStatus::Invalid));
    assert_eq!(checked.access_token.expose_secret(), "token-one-b");
    assert_eq!(
        store
            .connection_info(2)
            .await
            .unwrap()
            .unwrap()
            .last_check_status,
        None
    );

    // Deleting one tenant's connection leaves the other's alone.
    // Only the token that was read is deleted: a replaced one stays.
    let read = store.connection(&key, 1).await.unwrap().unwrap().stored_as;
    let (_, sealed_as) = store.connection_sealed(1).await.unwrap().unwrap();
    assert_eq!(read, sealed_as, "both reads name the same stored token");
    store
        .delete_connection(
            1,
            crm_meta::store::Expected::Stored(&read),
            &AuditEntry::new(1, "disconnect", json!({})),
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .delete_connection(
                1,
                crm_meta::store::Expected::Stored(&read),
                &AuditEntry::new(1, "disconnect", json!({})),
            )
            .await,
        Err(crm_meta::store::StoreError::ConnectionChanged(1))
    ));
    assert!(store.connection(&key, 1).await.unwrap().is_none());
    assert!(store.connection(&key, 2).await.unwrap().is_some());

    // Every change left exactly its audit row, per tenant.
    let log = store.audit_log(1).await.unwrap();
    let actions: Vec<_> = log.iter().map(|r| r.entry.action.as_str()).collect();
    assert_eq!(actions, ["connect", "connect", "disconnect"]);
    assert_eq!(log[0].entry.detail, json!({"fingerprint": "sha256:x"}));
    assert!(!log[0].entry.actor.is_empty());
    assert_eq!(store.audit_log(2).await.unwrap().len(), 1);

    // Connections decrypt as a fleet.
    assert_eq!(store.connections(&key).await.unwrap().len(), 1);
    store.close().await;
}

#[tokio::test]
async fn store_contract_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    story(sqlite_store(dir.path()).await).await;
}

#[tokio::test]
async fn store_contract_on_postgres() {
    let db = crate::support::pg_or_skip!();
    let store = Store::connect(&db.target()).await.unwrap();
    store.migrate().await.unwrap();
    story(store).await;
}

async fn audit_log_is_append_only(store: &Store) {
    store
        .add_tenant(&Tenant {
            id: 1,
            name: "One".into(),
        })
        .await
        .unwrap();
    store
        .append_audit(&AuditEntry::new(1, "select", json!({})))
        .await
        .unwrap();
    let update = "UPDATE meta_audit_log SET action = 'forged'";
    let delete = "DELETE FROM meta_audit_log";
    for sql in [update, delete] {
        let result = match store {
            Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
            Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        };
        assert!(result.is_err(), "{sql} was allowed");
    }
    assert_eq!(store.audit_log(1).await.unwrap()[0].entry.action, "select");
}

#[tokio::test]
async fn audit_log_is_append_only_on_both_backends() {
    let dir = tempfile::tempdir().unwrap();
    audit_log_is_append_only(&sqlite_store(dir.path()).await).await;
    let db = crate::support::pg_or_skip!();
    let store = Store::connect(&db.target()).await.unwrap();
    store.migrate().await.unwrap();
    audit_log_is_append_only(&store).await;
}

#[tokio::test]
async fn chosen_ad_account_survives_a_new_token_of_the_same_user_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path()).await;
    let key = cipher(1);
    store
        .add_tenant(&Tenant {
            id: 1,
            name: "One".into(),
        })
        .await
        .unwrap();
    let audit = AuditEntry::new(1, "connect", json!({}));
    store
        .upsert_connection(&key, &connection(1, "a", "u1"), &audit)
        .await
        .unwrap();
    if let Store::Sqlite(pool) = &store {
        sqlx::query("UPDATE meta_tokens SET ad_account_id = 'act_1', business_manager_id = '111'")
            .execute(pool)
            .await
            .unwrap();
    }
    store
        .upsert_connection(&key, &connection(1, "b", "u1"), &audit)
        .await
        .unwrap();
    assert_eq!(
        store
            .connection_info(1)
            .await
            .unwrap()
            .unwrap()
            .ad_account_id
            .as_deref(),
        Some("act_1")
    );
    store
        .upsert_connection(&key, &connection(1, "c", "u2"), &audit)
        .await
        .unwrap();
    assert_eq!(
        store
            .connection_info(1)
            .await
            .unwrap()
            .unwrap()
            .ad_account_id,
        None
    );
    // A connection written with its check and its choice has both, at once.
    let mut chosen = connection(1, "d", "u3");
    chosen.checked = Some(TokenStatus::Ok);
    chosen.selection = Some(crm_meta::store::Selection {
        business_manager_id: Some("222".into()),
        ad_account_id: "act_2".into(),
    });
    store
        .upsert_connection(&key, &chosen, &audit)
        .await
        .unwrap();
    let info = store.connection_info(1).await.unwrap().unwrap();
    assert_eq!(
        (
            info.business_manager_id.as_deref(),
            info.ad_account_id.as_deref()
        ),
        (Some("222"), Some("act_2"))
    );
    assert_eq!(info.last_check_status, Some(TokenStatus::Ok));
    assert!(info.last_checked_at.is_some());
}

#[tokio::test]
async fn the_sqlite_file_never_holds_a_token_in_clear() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path()).await;
    let key = cipher(1);
    store
        .add_tenant(&Tenant {
            id: 1,
            name: "One".into(),
        })
        .await
        .unwrap();
    let token = "EAAGm0PX4ZCpsBAPlaintextCanary1234567890";
    store
        .upsert_connection(
            &key,
            &connection(1, token, "u1"),
            &AuditEntry::new(1, "connect", json!({})),
        )
        .await
        .unwrap();
    // Read it back so the bytes on disk certainly hold the row.
    assert_eq!(
        store
            .connection(&key, 1)
            .await
            .unwrap()
            .unwrap()
            .access_token
            .expose_secret(),
        token
    );
    store.close().await;
    let mut scanned = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        // The -wal and -shm files vanish as the last connection closes.
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        scanned += bytes.len();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "{} holds the token",
            path.display()
        );
        assert!(
            !bytes.windows(20).any(|w| w == &token.as_bytes()[..20]),
            "{} holds part of the token",
            path.display()
        );
    }
    assert!(scanned > 4096, "nothing was written to disk");
}

#[tokio::test]
async fn a_refreshed_token_never_overwrites_a_newer_connection() {
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path()).await;
    let key = cipher(1);
    store
        .add_tenant(&Tenant {
            id: 1,
            name: "One".into(),
        })
        .await
        .unwrap();
    let mut first = connection(1, "old-token", "u1");
    first.expires_at = Some(Utc::now() + Duration::days(2));
    store
        .upsert_connection(&key, &first, &AuditEntry::new(1, "connect", json!({})))
        .await
        .unwrap();
    // Meanwhile the tenant is reconnected with another Meta user.
    let mut second = connection(1, "new-connection", "u2");
    second.expires_at = Some(Utc::now() + Duration::days(3));
    store
        .upsert_connection(&key, &second, &AuditEntry::new(1, "connect", json!({})))
        .await
        .unwrap();
    let later = Utc::now() + Duration::days(60);
    let audit = AuditEntry::new(1, "refresh", json!({}));
    let stored = store
        .store_refreshed_token(
            &key,
            1,
            &secret("old-token"),
            &secret("refreshed-old"),
            later,
            None,
            &audit,
        )
        .await
        .unwrap();
    assert_eq!(stored, crm_meta::store::Refreshed::Replaced);
    assert_eq!(
        store
            .connection(&key, 1)
            .await
            .unwrap()
            .unwrap()
            .access_token
            .expose_secret(),
        "new-connection"
    );
    // A key rotation re-encrypts the row meanwhile: the same token, not a change.
    let rotated = crate::support::cipher(2).with_previous([crate::support::token_key(1)]);
    store.reseal_batch(&rotated, 0, 10).await.unwrap();
    let stored = store
        .store_refreshed_token(
            &rotated,
            1,
            &secret("new-connection"),
            &secret("refreshed-new"),
            later,
            None,
            &audit,
        )
        .await
        .unwrap();
    assert_eq!(stored, crm_meta::store::Refreshed::Stored);
    assert_eq!(
        store
            .connection(&rotated, 1)
            .await
            .unwrap()
            .unwrap()
            .access_token
            .expose_secret(),
        "refreshed-new"
    );
}

async fn a_check_of_a_replaced_token_is_not_recorded(store: Store) {
    let key = cipher(1);
    store
        .add_tenant(&Tenant {
            id: 1,
            name: "One".into(),
        })
        .await
        .unwrap();
    store
        .upsert_connection(
            &key,
            &connection(1, "checked-token", "u1"),
            &AuditEntry::new(1, "connect", json!({})),
        )
        .await
        .unwrap();
    let checked = store.connection(&key, 1).await.unwrap().unwrap();
    // A connect replaces the token while the check is on the network.
    let mut fresh = connection(1, "fresh-token", "u1");
    fresh.checked = Some(TokenStatus::Ok);
    store
        .upsert_connection(&key, &fresh, &AuditEntry::new(1, "connect", json!({})))
        .await
        .unwrap();
    store
        .record_checks(&[(1, checked.stored_as, TokenStatus::Invalid)], Utc::now())
        .await
        .unwrap();
    assert_eq!(
        store
            .connection_info(1)
            .await
            .unwrap()
            .unwrap()
            .last_check_status,
        Some(TokenStatus::Ok)
    );
    store.close().await;
}

#[tokio::test]
async fn a_check_of_a_replaced_token_is_not_recorded_on_either_backend() {
    let dir = tempfile::tempdir().unwrap();
    a_check_of_a_replaced_token_is_not_recorded(sqlite_store(dir.path()).await).await;
    let db = crate::support::pg_or_skip!();
    let store = Store::connect(&db.target()).await.unwrap();
    store.migrate().await.unwrap();
    a_check_of_a_replaced_token_is_not_recorded(store).await;
}
