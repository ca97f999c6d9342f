//! The tenant's ad account (select, and connect's last step) and refresh,
//! through the real binary against the fake Meta.

use fake_meta::{AdAccount, Business, Dialog, User, World};
use serde_json::Value;

use crate::support::{Cli, FakeEnv as Setup, fake_env, fake_env_on_postgres};

const SCOPES: &[&str] = &["ads_read", "business_management"];

async fn setup(world: World) -> Setup {
    fake_env(world, &["7", "8"]).await
}

async fn connect(
    s: &Setup,
    tenant: &str,
    expires_in: Option<i64>,
    extra: &[&str],
) -> (String, crate::support::Run) {
    let token = s
        .fake
        .world()
        .issue_token("10001", "USER", expires_in, SCOPES);
    let mut args = vec![
        "--json",
        "--yes",
        "connect",
        "--tenant",
        tenant,
        "--with-token",
    ];
    args.extend_from_slice(extra);
    let run = s.cli.run_with_stdin_async(&args, &token).await;
    (token, run)
}

async fn tenant_row(cli: &Cli, id: i64) -> Value {
    let run = cli.run_async(&["--json", "tenants", "list"]).await;
    run.json()["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tenant_id"] == id)
        .cloned()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn select_by_flags_records_the_choice_and_refuses_unreachable_accounts() {
    let s = setup(World::demo(2, 3)).await;
    let (_, run) = connect(&s, "7", Some(50 * 86_400), &[]).await;
    run.assert_code(0);
    assert_eq!(
        run.json()["ad_account_id"],
        Value::Null,
        "several accounts and no terminal: no choice made"
    );
    assert!(
        run.stderr.contains("crm-meta select --tenant 7"),
        "{}",
        run.stderr
    );

    let run = s
        .cli
        .run_async(&[
            "--json",
            "select",
            "--tenant",
            "7",
            "--business",
            "5000001",
            "--ad-account",
            "act_910001",
        ])
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["ad_account_id"], "act_910001");
    assert_eq!(run.json()["business_manager_id"], "5000001");
    let row = tenant_row(&s.cli, 7).await;
    assert_eq!(row["ad_account_id"], "act_910001");
    assert_eq!(row["business_manager_id"], "5000001");
    let accounts = s
        .cli
        .run_async(&["--json", "list-accounts", "--tenant", "7"])
        .await;
    assert_eq!(accounts.json()["selected_ad_account_id"], "act_910001");
    let table = s.cli.run_async(&["list-accounts", "--tenant", "7"]).await;
    assert!(table.stdout.contains("act_910001 *"), "{}", table.stdout);

    // Not reachable: refused, choice unchanged.
    for bad in [
        vec!["--ad-account", "act_424242"],
        vec!["--business", "5000000", "--ad-account", "act_910001"],
    ] {
        let mut args = vec!["select", "--tenant", "7"];
        args.extend(bad);
        let run = s.cli.run_async(&args).await;
        run.assert_code(1);
        assert!(run.stderr.contains("not among"), "{}", run.stderr);
    }
    assert_eq!(tenant_row(&s.cli, 7).await["ad_account_id"], "act_910001");
    // A personal account, given without act_.
    let run = s
        .cli
        .run_async(&["--json", "select", "--tenant", "7", "--ad-account", "111"])
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["business_manager_id"], Value::Null);
    // No connection: exit 4.
    s.cli
        .run_async(&["select", "--tenant", "8", "--ad-account", "act_111"])
        .await
        .assert_code(4);
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_answers_the_last_step_from_flags_or_a_single_account() {
    let s = setup(World::demo(2, 3)).await;
    let (_, run) = connect(
        &s,
        "7",
        Some(50 * 86_400),
        &["--business", "5000000", "--ad-account", "act_900002"],
    )
    .await;
    run.assert_code(0);
    assert_eq!(run.json()["ad_account_id"], "act_900002");
    // An account the token cannot reach stores nothing at all.
    let (_, run) = connect(&s, "8", Some(50 * 86_400), &["--ad-account", "act_31337"]).await;
    run.assert_code(1);
    assert_eq!(tenant_row(&s.cli, 8).await["status"], "not_connected");

    let mut world = World::default();
    let mut user = User::new("30003", "Solo");
    user.businesses.push(Business {
        id: "777".into(),
        name: "Only BM".into(),
        owned: vec![AdAccount::new("5", "The one")],
        client: vec![],
    });
    world.dialog = Dialog::Approve {
        user_id: user.id.clone(),
    };
    world.users.insert(user.id.clone(), user);
    let solo = setup(world).await;
    let token = solo
        .fake
        .world()
        .issue_token("30003", "USER", Some(50 * 86_400), SCOPES);
    let run = solo
        .cli
        .run_with_stdin_async(
            &["--json", "connect", "--tenant", "7", "--with-token"],
            &token,
        )
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["ad_account_id"], "act_5");
    assert_eq!(tenant_row(&solo.cli, 7).await["business_manager_id"], "777");
}

#[tokio::test(flavor = "multi_thread")]
async fn select_interactively_with_type_to_filter_in_a_terminal() {
    let s = setup(World::demo(2, 3)).await;
    connect(&s, "7", Some(50 * 86_400), &[])
        .await
        .1
        .assert_code(0);
    let mut cmd = s.cli.terminal_command(&["select", "--tenant", "7"]);
    cmd.env("TERM", "xterm").env("LANG", "C.UTF-8");
    let session = tokio::task::spawn_blocking(move || -> Result<String, rexpect::error::Error> {
        let mut p = rexpect::session::spawn_command(cmd, Some(20_000))?;
        p.exp_string("type to filter")?;
        p.send("BM1 account 2")?;
        p.flush()?;
        std::thread::sleep(std::time::Duration::from_millis(300));
        p.send("\r")?;
        p.flush()?;
        let (_, matched) = p.exp_regex("syncs act_[0-9]+")?;
        p.exp_eof()?;
        Ok(matched)
    })
    .await
    .unwrap()
    .expect("the interactive picker");
    assert_eq!(session, "syncs act_910002");
    assert_eq!(tenant_row(&s.cli, 7).await["ad_account_id"], "act_910002");

    // --yes never prompts, even on a terminal: it asks for the flags instead.
    let mut cmd = s
        .cli
        .terminal_command(&["--yes", "select", "--tenant", "7"]);
    cmd.env("TERM", "xterm").env("LANG", "C.UTF-8");
    let refused = tokio::task::spawn_blocking(move || -> Result<(), rexpect::error::Error> {
        let mut p = rexpect::session::spawn_command(cmd, Some(20_000))?;
        p.exp_string("nobody to ask")?;
        p.exp_eof()?;
        Ok(())
    })
    .await
    .unwrap();
    assert!(refused.is_ok(), "--yes opened the picker: {refused:?}");
    assert_eq!(tenant_row(&s.cli, 7).await["ad_account_id"], "act_910002");
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_extends_tokens_and_reports_those_needing_consent() {
    let s = setup(World::demo(1, 1)).await;
    let (old7, run) = connect(&s, "7", Some(5 * 86_400), &[]).await;
    run.assert_code(0);
    let (old8, run) = connect(&s, "8", Some(3 * 86_400), &[]).await;
    run.assert_code(0);
    s.fake.world().tokens.get_mut(&old8).unwrap().valid = false;

    let run = s
        .cli
        .run_async(&["--json", "refresh", "--expiring-within", "30"])
        .await;
    run.assert_code(3);
    let json = run.json();
    assert_eq!(json["summary"]["extended"], 1);
    assert_eq!(json["summary"]["needs_consent"], 1);
    let tenants = json["tenants"].as_array().unwrap();
    assert_eq!(tenants[0]["result"], "extended");
    assert_eq!(tenants[1]["result"], "needs_consent");
    assert_eq!(tenants[1]["command"], "crm-meta connect --tenant 8");
    let row = tenant_row(&s.cli, 7).await;
    let expires: chrono::DateTime<chrono::Utc> =
        row["expires_at"].as_str().unwrap().parse().unwrap();
    assert!((expires - chrono::Utc::now()).num_days() >= 59, "{expires}");
    // The stored token is the new one: the old one still works at Meta, but debug-token shows the new expiry.
    let debug = s
        .cli
        .run_async(&["--json", "debug-token", "--tenant", "7"])
        .await;
    assert_ne!(
        debug.json()["token_fingerprint"],
        crm_meta::crypto::fingerprint(&secrecy::SecretString::from(old7))
    );

    // Just extended: Meta gives the same expiry again, which is no reason to reconnect.
    let run = s
        .cli
        .run_async(&["--json", "refresh", "--tenant", "7"])
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["tenants"][0]["result"], "unchanged");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_meta_will_not_extend_is_kept_and_reported() {
    let s = setup(World::demo(1, 1)).await;
    let (token, run) = connect(&s, "7", Some(5 * 86_400), &[]).await;
    run.assert_code(0);
    let (_, run) = connect(&s, "8", None, &[]).await;
    run.assert_code(0);
    let before = tenant_row(&s.cli, 7).await;
    s.fake.world().no_extension = true;
    let run = s.cli.run_async(&["--json", "refresh"]).await;
    run.assert_code(3);
    let json = run.json();
    assert_eq!(
        json["summary"]["never_expires"], 1,
        "the system-user style token is skipped"
    );
    assert_eq!(json["tenants"][0]["result"], "needs_consent");
    assert!(
        json["tenants"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("will not extend")
    );
    assert_eq!(
        tenant_row(&s.cli, 7).await["expires_at"],
        before["expires_at"]
    );
    let debug = s
        .cli
        .run_async(&["--json", "debug-token", "--tenant", "7"])
        .await;
    assert_eq!(
        debug.json()["token_fingerprint"],
        crm_meta::crypto::fingerprint(&secrecy::SecretString::from(token))
    );
    let table = s.cli.run_async(&["refresh"]).await;
    assert!(
        table.stdout.contains("crm-meta connect --tenant 7"),
        "{}",
        table.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn select_and_refresh_on_postgres() {
    let Some((db, env)) = fake_env_on_postgres(World::demo(1, 2), &["7"]).await else {
        return;
    };
    let (fake, cli) = (&env.fake, &env.cli);
    let token = fake
        .world()
        .issue_token("10001", "USER", Some(86_400), SCOPES);
    cli.run_with_stdin_async(
        &[
            "connect",
            "--tenant",
            "7",
            "--with-token",
            "--ad-account",
            "act_900001",
        ],
        &token,
    )
    .await
    .assert_code(0);
    cli.run_async(&["refresh"]).await.assert_code(0);
    let actions: i64 = db
        .scalar("SELECT COUNT(*) FROM meta_audit_log WHERE tenant_id = 7")
        .await;
    assert_eq!(
        actions, 2,
        "the choice is part of the connect row, in the same transaction"
    );
    let detail: String = db
        .scalar("SELECT detail->>'ad_account_id' FROM meta_audit_log WHERE action = 'connect'")
        .await;
    assert_eq!(detail, "act_900001");
    let chosen: String = db
        .scalar("SELECT ad_account_id FROM meta_tokens WHERE tenant_id = 7")
        .await;
    assert_eq!(chosen, "act_900001");
}
