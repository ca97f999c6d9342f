//! disconnect, test-connection, debug-token, list-accounts and the shared
//! Meta user warnings, through the real binary against the fake Meta.

use fake_meta::{Fault, World};
use serde_json::Value;

use crate::support::{Cli, FakeEnv as Setup, fake_env, fake_env_on_postgres};

async fn setup(world: World) -> Setup {
    fake_env(world, &["7", "8", "9"]).await
}

const SCOPES: &[&str] = &["ads_read", "business_management", "ads_management"];

/// Connects a tenant with a fresh token of `user`; returns the token.
async fn connect(s: &Setup, tenant: &str, user: &str) -> String {
    let token = s
        .fake
        .world()
        .issue_token(user, "USER", Some(50 * 86_400), SCOPES);
    let run = s
        .cli
        .run_with_stdin_async(
            &["--yes", "connect", "--tenant", tenant, "--with-token"],
            &token,
        )
        .await;
    run.assert_code(0);
    token
}

async fn tenants(cli: &Cli) -> Vec<Value> {
    let run = cli.run_async(&["--json", "tenants", "list"]).await;
    run.assert_code(0);
    run.json()["tenants"].as_array().unwrap().clone()
}

async fn status_of(cli: &Cli, tenant: i64) -> String {
    let all = tenants(cli).await;
    all.iter().find(|t| t["tenant_id"] == tenant).unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_revokes_at_meta_then_deletes() {
    let s = setup(World::demo(1, 1)).await;
    let token = connect(&s, "7", "10001").await;
    let run = s
        .cli
        .run_async(&["--json", "disconnect", "--tenant", "7"])
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["revoked"], true);
    assert!(
        !s.fake.world().tokens[&token].valid,
        "the token must be revoked at Meta"
    );
    assert_eq!(status_of(&s.cli, 7).await, "not_connected");
    // Again: nothing to disconnect.
    s.cli
        .run_async(&["disconnect", "--tenant", "7"])
        .await
        .assert_code(4);
    s.cli
        .run_async(&["disconnect", "--tenant", "99"])
        .await
        .assert_code(1);
}

#[tokio::test(flavor = "multi_thread")]
async fn keep_remote_deletes_without_revoking() {
    let s = setup(World::demo(1, 1)).await;
    let token = connect(&s, "7", "10001").await;
    s.cli
        .run_async(&["disconnect", "--tenant", "7", "--keep-remote"])
        .await
        .assert_code(0);
    assert!(s.fake.world().tokens[&token].valid);
    assert_eq!(s.fake.world().http_requests("permissions"), 0);
    assert_eq!(status_of(&s.cli, 7).await, "not_connected");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_revocation_keeps_the_token_and_exits_5() {
    let s = setup(World::demo(1, 1)).await;
    connect(&s, "7", "10001").await;
    s.fake
        .world()
        .fail_next("me/permissions", 20, Fault::Transient);
    let run = s.cli.run_async(&["disconnect", "--tenant", "7"]).await;
    run.assert_code(5);
    assert!(run.stderr.contains("--keep-remote"), "{}", run.stderr);
    assert_eq!(status_of(&s.cli, 7).await, "ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_meta_users_are_named_and_protected() {
    let s = setup(World::demo(1, 1)).await;
    connect(&s, "7", "10001").await;
    let token8 = s
        .fake
        .world()
        .issue_token("10001", "USER", Some(50 * 86_400), SCOPES);
    let run = s
        .cli
        .run_with_stdin_async(
            &["--json", "connect", "--tenant", "8", "--with-token"],
            &token8,
        )
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["shared_with"], serde_json::json!([7]));
    connect(&s, "9", "10001").await;
    let listed = tenants(&s.cli).await;
    assert_eq!(listed[0]["shared_with"], serde_json::json!([8, 9]));

    // Without a terminal and without --yes: refused, nothing changed.
    let run = s.cli.run_async(&["disconnect", "--tenant", "7"]).await;
    run.assert_code(3);
    assert!(
        run.stderr.contains("8, 9") && run.stderr.contains("--keep-remote"),
        "{}",
        run.stderr
    );
    assert_eq!(s.fake.world().http_requests("permissions"), 0);
    assert_eq!(status_of(&s.cli, 7).await, "ok");

    // --keep-remote leaves the others valid.
    s.cli
        .run_async(&["disconnect", "--tenant", "9", "--keep-remote"])
        .await
        .assert_code(0);
    assert_eq!(status_of(&s.cli, 8).await, "ok");
    assert!(
        s.fake.world().tokens[&token8].valid,
        "--keep-remote must not revoke at Meta"
    );
    assert_eq!(s.fake.world().http_requests("permissions"), 0);

    // --yes revokes and marks the others invalid at once.
    let run = s
        .cli
        .run_async(&["--json", "--yes", "disconnect", "--tenant", "7"])
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["invalidated"], serde_json::json!([8]));
    assert_eq!(status_of(&s.cli, 8).await, "invalid");
    assert!(!s.fake.world().tokens[&token8].valid);
}

#[tokio::test(flavor = "multi_thread")]
async fn test_connection_reports_and_records_each_status() {
    let s = setup(World::demo(1, 1)).await;
    let token7 = connect(&s, "7", "10001").await;
    let token8 = connect(&s, "8", "10001").await;
    let run = s
        .cli
        .run_async(&["--json", "test-connection", "--tenant", "7"])
        .await;
    run.assert_code(0);
    let json = run.json();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["shared_with"], serde_json::json!([8]));
    assert!(json.get("access_token").is_none());

    // Revoked at Meta (password changed): invalid, exit 3, recorded.
    s.fake.world().tokens.get_mut(&token7).unwrap().valid = false;
    // Expiring within the warning window: still usable.
    s.fake.world().tokens.get_mut(&token8).unwrap().expires_at = fake_meta::now() + 3 * 86_400;
    let run = s
        .cli
        .run_async(&["--json", "test-connection", "--all"])
        .await;
    run.assert_code(3);
    let statuses: Vec<_> = run.json()["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, ["invalid", "expiring"]);
    assert_eq!(status_of(&s.cli, 7).await, "invalid");
    s.cli
        .run_async(&["test-connection", "--tenant", "8"])
        .await
        .assert_code(0);

    // Expired.
    s.fake.world().tokens.get_mut(&token8).unwrap().expires_at = fake_meta::now() - 10;
    let run = s
        .cli
        .run_async(&["--json", "test-connection", "--tenant", "8"])
        .await;
    run.assert_code(3);
    assert_eq!(run.json()["status"], "expired");

    s.cli
        .run_async(&["test-connection", "--tenant", "9"])
        .await
        .assert_code(4);
}

#[tokio::test(flavor = "multi_thread")]
async fn meta_failing_never_changes_a_stored_token() {
    let s = setup(World::demo(1, 1)).await;
    connect(&s, "7", "10001").await;
    let before = tenants(&s.cli).await;
    s.fake.world().fail_next("debug_token", 50, Fault::Html);
    let run = s
        .cli
        .run_async(&["--json", "test-connection", "--tenant", "7"])
        .await;
    run.assert_code(5);
    assert_eq!(run.json()["status"], "unreachable");
    assert_eq!(
        tenants(&s.cli).await,
        before,
        "an unreachable check must change nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn debug_token_from_stdin_needs_no_database() {
    let s = setup(World::demo(1, 1)).await;
    let token = s
        .fake
        .world()
        .issue_token("10001", "USER", Some(12 * 86_400 + 3600), SCOPES);
    let dir = tempfile::tempdir().unwrap();
    let cli = s
        .fake
        .env()
        .into_iter()
        .fold(Cli::new(dir.path()), |c, (k, v)| c.env(k, &v))
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none");
    let run = cli
        .run_with_stdin_async(&["--json", "debug-token", "--token-stdin"], &token)
        .await;
    // Valid but expiring within 14 days: not `ok`, so exit 3 (only test-connection accepts it).
    run.assert_code(3);
    let json = run.json();
    assert_eq!(json["is_valid"], true);
    assert_eq!(json["status"], "expiring");
    assert_eq!(json["meta_user_id"], "10001");
    assert_eq!(
        json["granular_scopes"][0]["target_ids"],
        serde_json::json!(["5000000"])
    );
    assert!(!run.stdout.contains(&token) && !run.stderr.contains(&token));
    assert!(
        !dir.path().join("crm-meta").exists(),
        "no store may be created"
    );

    let human = cli
        .run_with_stdin_async(&["debug-token", "--token-stdin"], &token)
        .await;
    human.assert_code(3);
    assert!(human.stdout.contains("in 12 days"), "{}", human.stdout);

    // Invalid, and another app's token.
    let run = cli
        .run_with_stdin_async(&["--json", "debug-token", "--token-stdin"], "EAAnotatoken")
        .await;
    run.assert_code(3);
    assert_eq!(run.json()["is_valid"], false);
    s.fake.world().tokens.get_mut(&token).unwrap().app_id = "42".into();
    let run = cli
        .run_with_stdin_async(&["debug-token", "--token-stdin"], &token)
        .await;
    run.assert_code(3);
    assert!(
        run.stderr.contains("belongs to Meta app 42"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn debug_token_of_a_tenant() {
    let s = setup(World::demo(1, 1)).await;
    connect(&s, "7", "10001").await;
    let run = s
        .cli
        .run_async(&["--json", "debug-token", "--tenant", "7"])
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["tenant_id"], 7);
    assert_eq!(run.json()["shared_with"], serde_json::json!([]));
    // Valid but lacking a required scope: not ok, exit 3.
    let limited = s
        .fake
        .world()
        .issue_token("10001", "USER", Some(86_400 * 30), &["ads_read"]);
    let run = s
        .cli
        .run_with_stdin_async(&["--json", "debug-token", "--token-stdin"], &limited)
        .await;
    run.assert_code(3);
    assert_eq!(run.json()["status"], "missing_scope");
    s.cli
        .run_async(&["debug-token", "--tenant", "8"])
        .await
        .assert_code(4);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_accounts_reads_every_page_of_every_edge() {
    let s = setup(World::demo(3, 230)).await;
    connect(&s, "7", "10001").await;
    let run = s
        .cli
        .run_async(&["--json", "list-accounts", "--tenant", "7"])
        .await;
    run.assert_code(0);
    let json = run.json();
    let bms = json["business_managers"].as_array().unwrap();
    assert_eq!(bms.len(), 3);
    for bm in bms {
        let accounts = bm["ad_accounts"].as_array().unwrap();
        assert_eq!(accounts.len(), 231, "230 owned (3 pages) + 1 client");
        assert_eq!(
            accounts
                .iter()
                .filter(|a| a["relation"] == "client")
                .count(),
            1
        );
        assert_eq!(accounts[230]["status"], "disabled");
        let ids: std::collections::HashSet<_> =
            accounts.iter().map(|a| a["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 231, "no account twice");
    }
    let personal = json["personal_ad_accounts"].as_array().unwrap();
    assert_eq!(personal[0]["relation"], "personal");
    assert_eq!(personal[0]["account_status"], 1);
    assert!(personal[0]["id"].as_str().unwrap().starts_with("act_"));

    let one = s
        .cli
        .run_async(&[
            "--json",
            "list-accounts",
            "--tenant",
            "7",
            "--business",
            "5000001",
        ])
        .await;
    one.assert_code(0);
    assert_eq!(one.json()["business_managers"][0]["id"], "5000001");
    assert_eq!(one.json()["business_managers"].as_array().unwrap().len(), 1);
    let none = s
        .cli
        .run_async(&["list-accounts", "--tenant", "7", "--business", "123"])
        .await;
    none.assert_code(1);
    assert!(none.stderr.contains("123"));

    let table = s.cli.run_async(&["list-accounts", "--tenant", "7"]).await;
    table.assert_code(0);
    assert!(table.stdout.contains("Business 2 (5000002)") && table.stdout.contains("act_"));
    s.cli
        .run_async(&["list-accounts", "--tenant", "8"])
        .await
        .assert_code(4);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_accounts_with_a_revoked_token_is_a_meta_error() {
    let s = setup(World::demo(1, 1)).await;
    let token = connect(&s, "7", "10001").await;
    s.fake.world().tokens.get_mut(&token).unwrap().valid = false;
    let run = s
        .cli
        .run_async(&["--json", "list-accounts", "--tenant", "7"])
        .await;
    run.assert_code(5);
    assert_eq!(run.json()["error"]["kind"], "meta_token");
}

#[tokio::test(flavor = "multi_thread")]
async fn operate_on_postgres() {
    let Some((db, env)) = fake_env_on_postgres(World::demo(2, 5), &["7"]).await else {
        return;
    };
    let (fake, cli) = (&env.fake, &env.cli);
    let token = fake
        .world()
        .issue_token("10001", "USER", Some(50 * 86_400), SCOPES);
    cli.run_with_stdin_async(&["connect", "--tenant", "7", "--with-token"], &token)
        .await
        .assert_code(0);
    cli.run_async(&["test-connection", "--all"])
        .await
        .assert_code(0);
    let run = cli
        .run_async(&["--json", "list-accounts", "--tenant", "7"])
        .await;
    run.assert_code(0);
    let cached: i64 = db.scalar("SELECT jsonb_array_length(business_managers)::bigint FROM meta_tokens WHERE tenant_id = 7").await;
    assert_eq!(cached, 2);
    cli.run_async(&["disconnect", "--tenant", "7"])
        .await
        .assert_code(0);
    let audit: Vec<String> = {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::query_scalar("SELECT action FROM meta_audit_log WHERE tenant_id = 7 ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .unwrap()
    };
    assert_eq!(audit, ["connect", "disconnect"]);
}
