//! `crm-meta migrate` on both backends: first run, status, concurrency,
//! failure atomicity, an existing CRM schema, and the pending-schema refusal.

use crate::support::{Cli, key_b64};

const SQLITE_VERSIONS: usize = 5;
const POSTGRES_VERSIONS: usize = 6;

#[test]
fn embedded_store_migrates_and_reports_status() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path());
    let status = cli.run(&["--json", "migrate", "status"]);
    status.assert_code(3);
    assert_eq!(
        status.json()["pending"].as_array().unwrap().len(),
        SQLITE_VERSIONS
    );
    assert_eq!(status.json()["applied"].as_array().unwrap().len(), 0);

    let run = cli.run(&["--json", "migrate"]);
    run.assert_code(0);
    assert_eq!(
        run.json()["newly_applied"].as_array().unwrap().len(),
        SQLITE_VERSIONS
    );

    let status = cli.run(&["--json", "migrate", "status"]);
    status.assert_code(0);
    let json = status.json();
    assert_eq!(json["applied"].as_array().unwrap().len(), SQLITE_VERSIONS);
    assert_eq!(json["applied"][0]["version"], 1);
    assert!(json["applied"][0]["description"].is_string());
    assert!(json["pending"].as_array().unwrap().is_empty());

    cli.run(&["migrate", "run"]).assert_code(0);
    assert!(dir.path().join("crm-meta/crm-meta.db").exists());
}

#[test]
fn embedded_store_is_created_on_first_use() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path());
    cli.run(&["tenants", "add", "--id", "7", "--name", "Acme"])
        .assert_code(0);
    cli.run(&["migrate", "status"]).assert_code(0);
}

#[tokio::test]
async fn postgres_migrates_once_and_status_follows() {
    let db = crate::support::pg_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path()).env("DATABASE_URL", &db.url);
    let status = cli.run(&["--json", "migrate", "status"]);
    status.assert_code(3);
    assert_eq!(
        status.json()["pending"].as_array().unwrap().len(),
        POSTGRES_VERSIONS
    );

    cli.run(&["migrate"]).assert_code(0);
    cli.run(&["--json", "migrate", "status"]).assert_code(0);
    let tables: i64 = db
        .scalar(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN \
             ('meta_tokens', 'meta_audit_log', 'meta_ads_campaigns', 'meta_ads_insights', 'meta_templates', \
              'automation_rules', 'automation_logs', 'opportunities', 'sales_transactions')",
        )
        .await;
    assert_eq!(tables, 9);
    let lead_columns: i64 = db
        .scalar(
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'leads' AND column_name IN \
             ('lead_source', 'meta_campaign_id', 'meta_ad_id', 'meta_ad_headline', 'meta_ad_body', 'external_ids')",
        )
        .await;
    assert_eq!(lead_columns, 6);
    // COUNT() columns of the ROI function are bigint (the seed said INTEGER).
    let roi_leads_type: String = db
        .scalar("SELECT pg_typeof(leads)::text FROM calculate_campaign_roi(1, 'none', '2026-01-01', '2026-12-31')")
        .await;
    assert_eq!(roi_leads_type, "bigint");
}

#[tokio::test]
async fn concurrent_migrations_both_succeed_and_apply_each_once() {
    let db = crate::support::pg_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path()).env("DATABASE_URL", &db.url);
    let children: Vec<_> = (0..3)
        .map(|_| {
            cli.command(&["migrate"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a concurrent migrate failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let rows: i64 = db.scalar("SELECT COUNT(*) FROM _sqlx_migrations").await;
    assert_eq!(rows, POSTGRES_VERSIONS as i64);
    cli.run(&["migrate", "status"]).assert_code(0);
}

#[tokio::test]
async fn a_failing_postgres_migration_leaves_no_trace_of_itself() {
    let db = crate::support::pg_or_skip!();
    // Migration 2 creates meta_audit_log, then meta_tokens: a table already
    // named meta_tokens makes it fail after its first statements ran.
    db.execute("CREATE TABLE meta_tokens (legacy TEXT)").await;
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path()).env("DATABASE_URL", &db.url);
    let run = cli.run(&["migrate"]);
    run.assert_code(1);
    assert!(run.stderr.contains("rolled back"), "{}", run.stderr);
    let audit_exists: bool = db
        .scalar("SELECT to_regclass('meta_audit_log') IS NOT NULL")
        .await;
    assert!(!audit_exists, "migration 2 left meta_audit_log behind");
    let applied: i64 = db.scalar("SELECT COUNT(*) FROM _sqlx_migrations").await;
    assert_eq!(applied, 1, "only migration 1 should be recorded");

    db.execute("DROP TABLE meta_tokens").await;
    cli.run(&["migrate"]).assert_code(0);
}

#[tokio::test]
async fn a_failing_sqlite_migration_leaves_no_trace_of_itself() {
    use sqlx::{ConnectOptions, Connection};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("legacy.db");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true);
    let mut conn = options.connect().await.unwrap();
    // Migration 2 creates meta_audit_log, then fails on this table.
    sqlx::query("CREATE TABLE meta_tokens (legacy TEXT)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let cli = Cli::new(dir.path()).env("DATABASE_URL", &format!("sqlite://{}", path.display()));
    let run = cli.run_async(&["migrate"]).await;
    run.assert_code(1);
    assert!(run.stderr.contains("rolled back"), "{}", run.stderr);
    let status = cli.run_async(&["--json", "migrate", "status"]).await;
    status.assert_code(3);
    assert_eq!(status.json()["applied"].as_array().unwrap().len(), 1);
    let mut conn = options.connect().await.unwrap();
    let audit_log: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'meta_audit_log'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(audit_log, 0, "migration 2 left meta_audit_log behind");
}

#[tokio::test]
async fn an_existing_crm_schema_is_adopted_with_its_own_id_types() {
    let db = crate::support::pg_or_skip!();
    db.execute(
        "CREATE TABLE tenants (id SERIAL PRIMARY KEY, name TEXT NOT NULL, plan TEXT);
         CREATE TABLE users (id SERIAL PRIMARY KEY, email TEXT);
         CREATE TABLE leads (id BIGSERIAL PRIMARY KEY, tenant_id INTEGER NOT NULL, created_at TIMESTAMPTZ NOT NULL DEFAULT now());
         INSERT INTO tenants (name, plan) VALUES ('Existing', 'pro');",
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path())
        .env("DATABASE_URL", &db.url)
        .env("CRM_META_TOKEN_KEY", &key_b64(1));
    cli.run(&["migrate"]).assert_code(0);
    let seller_type: String = db.scalar("SELECT data_type::text FROM information_schema.columns WHERE table_name = 'opportunities' AND column_name = 'seller_id'").await;
    assert_eq!(seller_type, "integer");
    let lead_type: String = db.scalar("SELECT data_type::text FROM information_schema.columns WHERE table_name = 'opportunities' AND column_name = 'lead_id'").await;
    assert_eq!(lead_type, "bigint");
    let plan: String = db
        .scalar("SELECT plan FROM tenants WHERE name = 'Existing'")
        .await;
    assert_eq!(plan, "pro", "the CRM's own table was altered");
    let list = cli.run(&["--json", "tenants", "list"]);
    list.assert_code(0);
    assert_eq!(list.json()["tenants"][0]["name"], "Existing");
}

#[tokio::test]
async fn postgres_with_pending_migrations_is_refused() {
    let db = crate::support::pg_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path()).env("DATABASE_URL", &db.url);
    let run = cli.run(&["--json", "tenants", "list"]);
    run.assert_code(1);
    assert_eq!(run.json()["error"]["kind"], "pending_migrations");
    assert!(run.stderr.contains("crm-meta migrate"), "{}", run.stderr);
    let tables: i64 = db
        .scalar("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'")
        .await;
    assert_eq!(tables, 0, "a refused command must not create anything");
}

#[tokio::test]
async fn unreachable_postgres_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = Cli::new(dir.path())
        .env("DATABASE_URL", "postgres://crm:pa%3Ass@127.0.0.1:1/crm")
        .run(&["--json", "migrate"]);
    run.assert_code(1);
    assert_eq!(run.json()["error"]["kind"], "database_unreachable");
    assert!(!run.stdout.contains("pa%3Ass") && !run.stderr.contains("pa%3Ass"));
}

#[test]
fn concurrent_first_uses_of_the_embedded_store_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    // test-connection needs the key (so it is generated) but, with no
    // connection yet, never calls Meta.
    let cli = Cli::new(dir.path())
        .env("META_APP_ID", "1")
        .env("META_APP_SECRET", "secret")
        .env("META_GRAPH_URL", "http://127.0.0.1:9");
    let children: Vec<_> = (0..4)
        .map(|_| {
            cli.command(&["--json", "test-connection", "--all"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "a concurrent first use failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let keys = crate::support::key_files(&dir.path().join("crm-meta"));
    assert_eq!(keys.len(), 1, "one key was kept: {keys:?}");
    let key = std::fs::read_to_string(&keys[0]).unwrap();
    assert_eq!(key.trim().len(), 44, "one whole key was kept");
    let current = std::fs::read_to_string(dir.path().join("crm-meta/keys/current")).unwrap();
    assert!(keys[0].ends_with(format!("{}.key", current.trim())));
    cli.run(&["migrate", "status"]).assert_code(0);
}
