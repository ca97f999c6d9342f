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
