//! The two version clocks (Graph's and the Marketing API's), through the
//! real binary against the fake Meta.

use crm_meta::graph::versions::{Clock, Lifecycle};
use fake_meta::World;

use crate::support::{FakeEnv, fake_env};

const SCOPES: &[&str] = &["ads_read", "business_management"];

async fn connected() -> (FakeEnv, String) {
    let s = fake_env(World::demo(1, 2), &["7"]).await;
    let token = s
        .fake
        .world()
        .issue_token("10001", "USER", Some(50 * 86_400), SCOPES);
    s.cli
        .run_with_stdin_async(
            &[
                "--yes",
                "connect",
                "--tenant",
                "7",
                "--with-token",
                "--ad-account",
                "act_900000",
            ],
            &token,
        )
        .await
        .assert_code(0);
    (s, token)
}

fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

#[tokio::test(flavor = "multi_thread")]
async fn each_command_watches_only_the_clocks_its_calls_run_on() {
    let (s, token) = connected().await;
    let on = |version: &str| s.cli.clone().env("META_GRAPH_API_VERSION", version);

    // v25.0: Graph's clock is years away, the Marketing API's is close.
    let debug = on("v25.0")
        .run_with_stdin_async(&["debug-token", "--token-stdin"], &token)
        .await;
    debug.assert_code(0);
    assert!(!debug.stderr.contains("ends on"), "{}", debug.stderr);
    let accounts = on("v25.0")
        .run_async(&["list-accounts", "--tenant", "7"])
        .await;
    match Clock::Marketing.lifecycle("v25.0", today()) {
        Lifecycle::EndsSoon { .. } => {
            accounts.assert_code(0);
            assert_eq!(
                accounts
                    .stderr
                    .matches("Marketing API v25.0 ends on 2027-02-23")
                    .count(),
                1,
                "{}",
                accounts.stderr
            );
            assert!(accounts.stderr.contains("META_GRAPH_API_VERSION=v27.0"));
        }
        Lifecycle::Ended { .. } => {
            accounts.assert_code(1);
        }
        Lifecycle::Current => unreachable!("v25.0 has an end date on the Marketing API"),
    };

    // v24.0 has ended for ads, not for tokens.
    let accounts = on("v24.0")
        .run_async(&["list-accounts", "--tenant", "7"])
        .await;
    accounts.assert_code(1);
    assert!(
        accounts
            .stderr
            .contains("Marketing API v24.0 ended on 2026-11-10"),
        "{}",
        accounts.stderr
    );
    assert!(
        accounts.stderr.contains("Set it to v27.0"),
        "{}",
        accounts.stderr
    );
    on("v24.0")
        .run_with_stdin_async(&["debug-token", "--token-stdin"], &token)
        .await
        .assert_code(0);

    // Older than either table: refused everywhere.
    let ancient = on("v19.0")
        .run_with_stdin_async(&["debug-token", "--token-stdin"], &token)
        .await;
    ancient.assert_code(1);
    assert!(
        ancient.stderr.contains("Graph API v19.0 ended"),
        "{}",
        ancient.stderr
    );

    // The default is the newest version: nothing to say.
    let default = s.cli.run_async(&["list-accounts", "--tenant", "7"]).await;
    default.assert_code(0);
    assert!(!default.stderr.contains("warning"), "{}", default.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn meta_serving_an_ended_version_from_a_newer_one_is_said_once() {
    let (s, _) = connected().await;
    s.fake.world().ads_versions_upgraded.push("v26.0".into());
    let run = s
        .cli
        .clone()
        .env("META_GRAPH_API_VERSION", "v26.0")
        .run_async(&["list-accounts", "--tenant", "7"])
        .await;
    run.assert_code(0);
    assert_eq!(run.stderr.matches("has ended").count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("META_GRAPH_API_VERSION=v27.0"),
        "{}",
        run.stderr
    );
    assert!(
        s.fake.world().http_requests("owned_ad_accounts") > 0,
        "the accounts were read"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn error_2635_names_the_fix() {
    let (s, _) = connected().await;
    s.fake.world().ads_versions_ended.push("v26.0".into());
    let cli = s.cli.clone().env("META_GRAPH_API_VERSION", "v26.0");
    let run = cli.run_async(&["list-accounts", "--tenant", "7"]).await;
    run.assert_code(5);
    assert!(run.stderr.contains("2635"), "{}", run.stderr);
    assert!(
        run.stderr.contains("META_GRAPH_API_VERSION=v27.0"),
        "{}",
        run.stderr
    );
    let json = cli
        .run_async(&["--json", "list-accounts", "--tenant", "7"])
        .await;
    assert_eq!(json.json()["error"]["kind"], "meta_version_ended");
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_checks_the_setup_without_sending_any_tenant_token() {
    let (s, _) = connected().await;
    let port = crate::support::free_port();
    let cli = s.cli.clone().env(
        "META_REDIRECT_URI",
        &format!("http://localhost:{port}/callback"),
    );
    let before = s.fake.world().requests.len();
    let run = cli.run_async(&["--json", "doctor"]).await;
    run.assert_code(0);
    let checks = run.json()["checks"].clone();
    let status = |name: &str| {
        checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no {name} check in {checks}"))["status"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for name in [
        "settings",
        "meta_app",
        "clock",
        "database",
        "keys",
        "graph_version",
        "marketing_version",
        "leads_webhook",
    ] {
        assert_eq!(status(name), "ok", "{name}: {checks}");
    }
    assert_eq!(
        status("redirect_uri"),
        "warn",
        "localhost works only in development mode"
    );
    // Only the app's own credentials went to Meta.
    let requests: Vec<String> = s.fake.world().requests[before..].to_vec();
    assert_eq!(
        requests,
        vec![
            "GET /v27.0/oauth/access_token",
            "GET /v27.0/debug_token",
            "GET /v27.0/1234567890/subscriptions"
        ],
        "{requests:?}"
    );

    // A wrong secret, a port in use, a missing key, an ended version: each fails.
    let _squatter = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let home = s.cli.home.join("crm-meta");
    std::fs::rename(home.join("keys"), s.cli.home.join("keys-away")).unwrap();
    let run = cli
        .clone()
        .env("META_APP_SECRET", "wrongsecret")
        .env("META_GRAPH_API_VERSION", "v24.0")
        .run_async(&["--json", "doctor"])
        .await;
    run.assert_code(3);
    let checks = run.json()["checks"].clone();
    let failed: Vec<&str> = checks
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "fail")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        vec!["meta_app", "redirect_uri", "keys", "marketing_version"],
        "{checks}"
    );
    assert!(
        checks
            .to_string()
            .contains("Set META_GRAPH_API_VERSION=v27.0")
    );
    assert!(!run.stdout.contains("wrongsecret"), "the secret leaked");
}

#[tokio::test(flavor = "multi_thread")]
async fn deadlines_list_every_clock_soonest_first_and_publish_a_stable_calendar() {
    let (s, _) = connected().await;
    let cli = s.cli.clone().env("META_GRAPH_API_VERSION", "v25.0");
    let run = cli
        .run_async(&["--json", "deadlines", "--within", "120"])
        .await;
    run.assert_code(0);
    let deadlines = run.json()["deadlines"].as_array().unwrap().clone();
    let kinds: Vec<&str> = deadlines
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"token_expiry"), "{kinds:?}");
    assert!(kinds.contains(&"data_access_expiry"), "{kinds:?}");
    // Marketing API v25.0 ends on 2027-02-23: listed while that is ahead and within the window.
    let end = chrono::NaiveDate::from_ymd_opt(2027, 2, 23).unwrap();
    let marketing_ends = end > today() && end <= today() + chrono::Duration::days(120);
    assert_eq!(
        kinds.contains(&"marketing_version_end"),
        marketing_ends,
        "{kinds:?}"
    );
    assert!(
        !kinds.contains(&"graph_version_end"),
        "Graph's v25.0 ends in 2028"
    );
    let dates: Vec<&str> = deadlines
        .iter()
        .map(|d| d["date"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted, "soonest first");
    let token = deadlines
        .iter()
        .find(|d| d["kind"] == "token_expiry")
        .unwrap();
    assert_eq!(token["tenant_id"], 7);
    assert!(
        token["command"]
            .as_str()
            .unwrap()
            .contains("crm-meta refresh --tenant 7")
    );

    // No key needed: the store alone answers.
    let home = s.cli.home.join("crm-meta");
    std::fs::rename(home.join("keys"), s.cli.home.join("keys-away")).unwrap();
    let ics = cli
        .run_async(&["deadlines", "--within", "120", "--format", "ics"])
        .await;
    ics.assert_code(0);
    assert!(
        ics.stdout.starts_with("BEGIN:VCALENDAR\r\n"),
        "{}",
        ics.stdout
    );
    assert!(ics.stdout.ends_with("END:VCALENDAR\r\n"));
    for line in ics.stdout.split("\r\n") {
        assert!(line.len() <= 75, "an unfolded line: {line:?}");
        assert!(!line.contains('\n'), "a bare LF: {line:?}");
    }
    assert_eq!(ics.stdout.matches("BEGIN:VEVENT").count(), deadlines.len());
    let uids = |text: &str| -> Vec<String> {
        text.replace("\r\n ", "")
            .split("\r\n")
            .filter(|l| l.starts_with("UID:"))
            .map(str::to_owned)
            .collect()
    };
    let again = cli
        .run_async(&["deadlines", "--within", "120", "--format", "ics"])
        .await;
    assert_eq!(
        uids(&ics.stdout),
        uids(&again.stdout),
        "UIDs are stable across runs"
    );
    assert!(uids(&ics.stdout).contains(&"UID:token-expiry-tenant-7@crm-meta".to_owned()));
}

#[tokio::test(flavor = "multi_thread")]
async fn log_shows_the_audit_log_newest_first_with_filters_and_no_key() {
    let (s, _) = connected().await;
    s.cli
        .run_async(&["--yes", "disconnect", "--tenant", "7", "--keep-remote"])
        .await
        .assert_code(0);
    let home = s.cli.home.join("crm-meta");
    std::fs::rename(home.join("keys"), s.cli.home.join("keys-away")).unwrap();
    let run = s.cli.run_async(&["--json", "log"]).await;
    run.assert_code(0);
    let entries = run.json()["entries"].as_array().unwrap().clone();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["disconnect", "connect"], "newest first");
    let connect = &entries[1];
    assert_eq!(connect["tenant_id"], 7);
    assert!(
        connect["token_fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(connect["at"].as_str().is_some() && connect["actor"].as_str().is_some());

    let only = |args: &[&str]| {
        let mut all = vec!["--json", "log"];
        all.extend_from_slice(args);
        let run = s.cli.run(&all);
        run.assert_code(0);
        run.json()["entries"].as_array().unwrap().len()
    };
    assert_eq!(only(&["--action", "connect"]), 1);
    assert_eq!(only(&["--tenant", "7", "--limit", "1"]), 1);
    assert_eq!(only(&["--tenant", "8"]), 0);
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(only(&["--since", &tomorrow]), 0);
    assert_eq!(only(&["--since", "2020-01-01"]), 2);
    let bad = s.cli.run(&["log", "--since", "yesterday"]);
    bad.assert_code(2);
    let table = s.cli.run(&["log"]);
    table.assert_code(0);
    assert!(table.stdout.contains("disconnect") && table.stdout.contains("sha256:"));
}

#[tokio::test(flavor = "multi_thread")]
async fn deadlines_keep_what_has_already_broken_marked_overdue() {
    let (s, _) = connected().await;
    let db = s.cli.home.join("crm-meta/crm-meta.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE meta_tokens SET expires_at = $1")
        .bind(chrono::Utc::now() - chrono::Duration::days(2))
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let run = s.cli.run_async(&["--json", "deadlines"]).await;
    run.assert_code(0);
    let first = run.json()["deadlines"][0].clone();
    assert_eq!(first["kind"], "token_expiry", "{first}");
    assert_eq!(first["overdue"], true, "{first}");
    let table = s.cli.run_async(&["deadlines"]).await;
    assert!(table.stdout.contains("OVERDUE"), "{}", table.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn doctor_warns_when_this_machines_clock_is_off_from_metas() {
    let (s, _) = connected().await;
    s.fake.world().clock_skew_seconds = 600;
    let run = s.cli.run_async(&["--json", "doctor"]).await;
    run.assert_code(0);
    let clock = run.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "clock")
        .cloned()
        .unwrap();
    assert_eq!(clock["status"], "warn", "{clock}");
    assert!(
        clock["detail"].as_str().unwrap().contains("behind"),
        "{clock}"
    );
    assert!(clock["fix"].as_str().unwrap().contains("NTP"), "{clock}");
}

/// 1,500 connections whose dates run against tenant order, stored directly.
fn scattered_connections() -> Vec<(crm_meta::store::NewConnection, crm_meta::store::AuditEntry)> {
    let now = chrono::Utc::now();
    crate::support::bulk_connections(1_500)
        .into_iter()
        .map(|(mut c, audit)| {
            let id = i64::from(c.tenant_id);
            c.expires_at = Some(now + chrono::Duration::hours(2_000 - id));
            c.data_access_expires_at = Some(now + chrono::Duration::hours(1_000 + (id * 7) % 500));
            (c, audit)
        })
        .collect()
}

fn assert_in_order_and_whole(run: &crate::support::Run) {
    run.assert_code(0);
    let deadlines = run.json()["deadlines"].as_array().unwrap().clone();
    let tenant_entries: Vec<&serde_json::Value> = deadlines
        .iter()
        .filter(|d| !d["tenant_id"].is_null())
        .collect();
    assert_eq!(
        tenant_entries.len(),
        3_000,
        "every token and data-access date, once"
    );
    let dates: Vec<chrono::DateTime<chrono::Utc>> = deadlines
        .iter()
        .map(|d| d["date"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] <= w[1]), "not soonest first");
    let mut keys: Vec<String> = tenant_entries
        .iter()
        .map(|d| format!("{}{}", d["tenant_id"], d["kind"]))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 3_000, "an entry repeated across pages");
}

#[tokio::test(flavor = "multi_thread")]
async fn deadlines_stream_soonest_first_across_pages_on_both_stores() {
    // Embedded store.
    let dir = tempfile::tempdir().unwrap();
    let cli = crate::support::Cli::new(dir.path());
    cli.run_async(&["migrate"]).await.assert_code(0);
    let path = cli.home.join("crm-meta/crm-meta.db");
    let target = crm_meta::settings::DatabaseTarget::Sqlite { path };
    let store = crm_meta::store::Store::open(&target).await.unwrap();
    if let crm_meta::store::Store::Sqlite(pool) = &store {
        let mut tx = pool.begin().await.unwrap();
        for id in 1..=1_500 {
            sqlx::query("INSERT INTO tenants (id, name) VALUES ($1, $2)")
                .bind(id)
                .bind(format!("Tenant {id}"))
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
    }
    store
        .upsert_connections(&crate::support::cipher(1), &scattered_connections())
        .await
        .unwrap();
    store.close().await;
    let run = cli
        .run_async(&["--json", "deadlines", "--within", "400"])
        .await;
    assert_in_order_and_whole(&run);

    // PostgreSQL.
    let db = crate::support::pg_or_skip!();
    let store = crm_meta::store::Store::connect(&db.target()).await.unwrap();
    store.migrate().await.unwrap();
    db.execute("INSERT INTO tenants (id, name) SELECT g, 'T' || g FROM generate_series(1, 1500) g")
        .await;
    store
        .upsert_connections(&crate::support::cipher(1), &scattered_connections())
        .await
        .unwrap();
    store.close().await;
    let pg = crate::support::Cli::new(dir.path()).env("DATABASE_URL", &db.url);
    let run = pg
        .run_async(&["--json", "deadlines", "--within", "400"])
        .await;
    assert_in_order_and_whole(&run);
}
