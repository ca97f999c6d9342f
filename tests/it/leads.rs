//! Lead ads through the real binary against the fake Meta: the tenant's
//! Page (`connect`/`select --page`), `leads subscribe`, `leads status`,
//! the Page removed before a revocation, and doctor's app-level check.

use fake_meta::{ALL_PAGE_TASKS, APP_ID, DEMO_PAGE_ID, Fault, Page, World};
use serde_json::{Value, json};

use crate::support::{Cli, FakeEnv, fake_env};

const ALL_SCOPES: &[&str] = &[
    "ads_management",
    "ads_read",
    "business_management",
    "leads_retrieval",
    "pages_manage_metadata",
    "pages_read_engagement",
    "pages_show_list",
];

async fn connect(
    s: &FakeEnv,
    tenant: &str,
    scopes: &[&str],
    extra: &[&str],
) -> crate::support::Run {
    let token = s
        .fake
        .world()
        .issue_token("10001", "USER", Some(50 * 86_400), scopes);
    let mut args = vec![
        "--json",
        "--yes",
        "connect",
        "--tenant",
        tenant,
        "--with-token",
        "--ad-account",
        "act_111",
    ];
    args.extend_from_slice(extra);
    s.cli.run_with_stdin_async(&args, &token).await
}

async fn tenant_row(cli: &Cli, id: i64) -> Value {
    let list = cli.run_async(&["--json", "tenants", "list"]).await;
    list.assert_code(0);
    list.json()["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tenant_id"] == id)
        .cloned()
        .unwrap()
}

fn app_fields_on(s: &FakeEnv, page: &str) -> Option<Vec<String>> {
    s.fake.world().pages[page]
        .subscribed_apps
        .get(APP_ID)
        .cloned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_with_one_eligible_page_subscribes_it_and_every_check_passes() {
    let s = fake_env(World::demo(1, 1), &["7"]).await;
    let run = connect(&s, "7", ALL_SCOPES, &[]).await;
    run.assert_code(0);
    assert_eq!(
        run.json()["page_id"],
        DEMO_PAGE_ID,
        "the only Page is chosen"
    );
    assert_eq!(tenant_row(&s.cli, 7).await["page_id"], DEMO_PAGE_ID);

    // Chosen but not installed: status names the fix, exit 3.
    let status = s
        .cli
        .run_async(&["--json", "leads", "status", "--tenant", "7"])
        .await;
    status.assert_code(3);
    let t = status.json()["tenants"][0].clone();
    assert_eq!(t["page_subscribed"], false);
    assert_eq!(t["status"], "incomplete");
    assert!(
        t["problems"]
            .to_string()
            .contains("crm-meta leads subscribe --tenant 7"),
        "{t}"
    );

    let sub = s
        .cli
        .run_async(&["--json", "leads", "subscribe", "--tenant", "7"])
        .await;
    sub.assert_code(0);
    assert_eq!(sub.json()["installed_now"], true);
    assert_eq!(sub.json()["subscribed_fields"], json!(["leadgen"]));
    assert_eq!(
        app_fields_on(&s, DEMO_PAGE_ID),
        Some(vec!["leadgen".to_owned()])
    );

    // Idempotent: the second run finds it installed and posts nothing.
    let posts_before = s
        .fake
        .world()
        .http_requests("POST /v27.0/200000001/subscribed_apps");
    let again = s
        .cli
        .run_async(&["--json", "leads", "subscribe", "--tenant", "7"])
        .await;
    again.assert_code(0);
    assert_eq!(again.json()["installed_now"], false);
    assert_eq!(
        s.fake
            .world()
            .http_requests("POST /v27.0/200000001/subscribed_apps"),
        posts_before
    );

    let status = s
        .cli
        .run_async(&["--json", "leads", "status", "--tenant", "7"])
        .await;
    status.assert_code(0);
    assert_eq!(
        status.json(),
        json!({ "tenants": [{
            "tenant_id": 7,
            "page_id": DEMO_PAGE_ID,
            "page_subscribed": true,
            "subscribed_fields": ["leadgen"],
            "has_lead_access": true,
            "missing_permissions": [],
            "app_subscription": true,
            "status": "ok",
            "problems": [],
        }]})
    );
    // The table says the same, and no Page token is printed anywhere.
    let table = s.cli.run_async(&["leads", "status", "--tenant", "7"]).await;
    table.assert_code(0);
    assert!(table.stdout.contains(DEMO_PAGE_ID), "{}", table.stdout);
    let page_tokens: Vec<String> = s
        .fake
        .world()
        .tokens
        .iter()
        .filter(|(_, t)| t.kind == "PAGE")
        .map(|(k, _)| k.clone())
        .collect();
    assert!(!page_tokens.is_empty());
    for out in [&status, &table, &sub, &again] {
        for token in &page_tokens {
            assert!(
                !out.stdout.contains(token) && !out.stderr.contains(token),
                "a Page token leaked"
            );
        }
    }
    let log = s
        .cli
        .run_async(&[
            "--json",
            "log",
            "--tenant",
            "7",
            "--action",
            "leads_subscribe",
        ])
        .await;
    let entries = log.json()["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["detail"]["page_id"], DEMO_PAGE_ID);
}

/// The demo user, with a second Page it can advertise on, one it can only
/// analyse, and one that belongs to someone else.
fn world_with_pages() -> World {
    let mut world = World::demo(1, 1);
    for page in [
        Page::new("200000002", "Acme Outlet").with_user("10001", &["ADVERTISE", "ANALYZE"]),
        Page::new("200000003", "Acme Blog").with_user("10001", &["ANALYZE", "CREATE_CONTENT"]),
        Page::new("200000009", "Not Acme").with_user("10009", &ALL_PAGE_TASKS),
    ] {
        world.pages.insert(page.id.clone(), page);
    }
    world
}

#[tokio::test(flavor = "multi_thread")]
async fn select_page_refuses_pages_the_user_cannot_advertise_on_and_stores_nothing() {
    let s = fake_env(world_with_pages(), &["7"]).await;
    let run = connect(&s, "7", ALL_SCOPES, &[]).await;
    run.assert_code(0);
    assert_eq!(
        run.json()["page_id"],
        Value::Null,
        "two eligible Pages and nobody to ask"
    );
    assert!(run.stderr.contains("--page"), "{}", run.stderr);

    for (page, says) in [
        ("200000003", "ADVERTISE"),
        ("200000009", "not one this tenant's Meta user has a role on"),
        ("999", "not one this tenant's Meta user has a role on"),
    ] {
        let refused = s
            .cli
            .run_async(&["select", "--tenant", "7", "--page", page])
            .await;
        refused.assert_code(1);
        assert!(refused.stderr.contains(says), "{page}: {}", refused.stderr);
        assert_eq!(tenant_row(&s.cli, 7).await["page_id"], Value::Null);
    }
    // Without an id and without a terminal: the choice is asked for.
    let undecided = s
        .cli
        .run_async(&["select", "--tenant", "7", "--page"])
        .await;
    undecided.assert_code(1);
    assert!(
        undecided.stderr.contains("pass --page ID"),
        "{}",
        undecided.stderr
    );

    let chosen = s
        .cli
        .run_async(&["--json", "select", "--tenant", "7", "--page", "200000002"])
        .await;
    chosen.assert_code(0);
    assert_eq!(
        chosen.json(),
        json!({ "tenant_id": 7, "page_id": "200000002", "page_name": "Acme Outlet" })
    );
    let row = tenant_row(&s.cli, 7).await;
    assert_eq!(row["page_id"], "200000002");
    assert_eq!(
        row["ad_account_id"], "act_111",
        "--page alone keeps the ad account"
    );
    let log = s
        .cli
        .run_async(&["--json", "log", "--tenant", "7", "--action", "select_page"])
        .await;
    assert_eq!(log.json()["entries"][0]["detail"]["page_id"], "200000002");

    // connect --page picks it directly; a Page it cannot advertise on stores nothing.
    let s2 = fake_env(world_with_pages(), &["8"]).await;
    let refused = connect(&s2, "8", ALL_SCOPES, &["--page", "200000003"]).await;
    refused.assert_code(1);
    assert_eq!(tenant_row(&s2.cli, 8).await["status"], "not_connected");
    let run = connect(&s2, "8", ALL_SCOPES, &["--page", "200000002"]).await;
    run.assert_code(0);
    assert_eq!(tenant_row(&s2.cli, 8).await["page_id"], "200000002");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_without_the_page_permissions_is_told_which_to_grant() {
    let s = fake_env(World::demo(1, 1), &["7", "8"]).await;
    // Today's old default scopes: ads work, leads cannot.
    let old = [
        "ads_management",
        "ads_read",
        "business_management",
        "leads_retrieval",
        "pages_show_list",
    ];
    let run = connect(&s, "7", &old, &[]).await;
    run.assert_code(0);
    assert_eq!(
        run.json()["status"],
        "ok",
        "leads permissions are not required scopes"
    );
    assert_eq!(run.json()["page_id"], DEMO_PAGE_ID);

    let sub = s
        .cli
        .run_async(&["leads", "subscribe", "--tenant", "7"])
        .await;
    sub.assert_code(1);
    assert!(
        sub.stderr.contains("pages_manage_metadata")
            && sub.stderr.contains("pages_read_engagement"),
        "{}",
        sub.stderr
    );
    assert_eq!(
        app_fields_on(&s, DEMO_PAGE_ID),
        None,
        "nothing was installed"
    );

    let status = s
        .cli
        .run_async(&["--json", "leads", "status", "--tenant", "7"])
        .await;
    status.assert_code(3);
    assert_eq!(
        status.json()["tenants"][0]["missing_permissions"],
        json!(["pages_manage_metadata", "pages_read_engagement"])
    );

    // Without even pages_show_list, no Page can be chosen.
    let narrow = ["ads_management", "ads_read", "business_management"];
    let run = connect(&s, "8", &narrow, &[]).await;
    run.assert_code(0);
    let refused = s
        .cli
        .run_async(&["select", "--tenant", "8", "--page", DEMO_PAGE_ID])
        .await;
    refused.assert_code(1);
    assert!(
        refused.stderr.contains("pages_show_list"),
        "{}",
        refused.stderr
    );
    assert_eq!(tenant_row(&s.cli, 8).await["page_id"], Value::Null);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_all_reports_each_tenant_and_meta_failing_is_exit_5() {
    let mut world = World::demo(1, 1);
    world
        .pages
        .get_mut(DEMO_PAGE_ID)
        .unwrap()
        .lead_access_denied
        .insert("10001".into());
    let s = fake_env(world, &["7", "8", "9"]).await;
    connect(&s, "7", ALL_SCOPES, &[]).await.assert_code(0);
    connect(&s, "8", ALL_SCOPES, &[]).await.assert_code(0);
    s.cli
        .run_async(&["leads", "subscribe", "--tenant", "7"])
        .await
        .assert_code(0);
    let batches_before = s.fake.world().batch_items;

    let status = s
        .cli
        .run_async(&["--json", "leads", "status", "--all"])
        .await;
    status.assert_code(3);
    let tenants = status.json()["tenants"].as_array().unwrap().clone();
    assert_eq!(tenants.len(), 2, "only connected tenants");
    assert_eq!(
        (
            tenants[0]["tenant_id"].clone(),
            tenants[1]["tenant_id"].clone()
        ),
        (json!(7), json!(8))
    );
    for t in &tenants {
        assert_eq!(t["has_lead_access"], false);
        assert!(
            t["problems"].to_string().contains("Leads Access Manager"),
            "{t}"
        );
    }
    // Both share the Page, which tenant 7 subscribed.
    assert_eq!(tenants[1]["page_subscribed"], true);
    assert!(
        s.fake.world().batch_items >= batches_before + 2,
        "debug_token went in a batch"
    );

    // No app-level subscription: every tenant says so; doctor fails it.
    s.fake.world().app_subscriptions.clear();
    let status = s
        .cli
        .run_async(&["--json", "leads", "status", "--tenant", "7"])
        .await;
    assert_eq!(status.json()["tenants"][0]["app_subscription"], false);
    let doctor = s.cli.run_async(&["--json", "doctor"]).await;
    doctor.assert_code(3);
    let check = doctor.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "leads_webhook")
        .cloned()
        .unwrap();
    assert_eq!(check["status"], "fail", "{check}");
    assert!(check["fix"].as_str().unwrap().contains("leadgen"));

    // Meta down for the Page edge: unreachable, exit 5.
    s.fake.world().fail_next("subscribed_apps", 10, Fault::Html);
    let status = s
        .cli
        .run_async(&["--json", "leads", "status", "--tenant", "7"])
        .await;
    status.assert_code(5);
    assert_eq!(status.json()["tenants"][0]["status"], "unreachable");
}

#[tokio::test(flavor = "multi_thread")]
async fn status_all_for_a_person_counts_every_tenant_and_tables_only_the_problems() {
    let s = fake_env(World::demo(1, 1), &["7", "8", "9"]).await;
    connect(&s, "7", ALL_SCOPES, &[]).await.assert_code(0);
    s.cli
        .run_async(&["leads", "subscribe", "--tenant", "7"])
        .await
        .assert_code(0);
    let without_metadata: Vec<&str> = ALL_SCOPES
        .iter()
        .copied()
        .filter(|p| *p != "pages_manage_metadata")
        .collect();
    connect(&s, "8", &without_metadata, &[])
        .await
        .assert_code(0);

    let status = s.cli.run_async(&["leads", "status", "--all"]).await;
    status.assert_code(3);
    assert!(
        status.stdout.contains(
            "Checked 2 connected tenant(s): 1 ready for leads, 1 with a problem, 0 Meta could not be asked about."
        ),
        "{}",
        status.stdout
    );
    assert!(
        status
            .stdout
            .contains("tenant 8: the token lacks pages_manage_metadata"),
        "{}",
        status.stdout
    );
    // Tenant 7 is ready: counted, not tabled.
    let tabled: Vec<&str> = status
        .stdout
        .lines()
        .filter(|l| l.contains(DEMO_PAGE_ID))
        .collect();
    assert_eq!(tabled.len(), 1, "{}", status.stdout);
    assert!(tabled[0].contains(" 8 "), "{}", status.stdout);

    // Once every tenant is ready, exit 0 and no table at all.
    s.cli
        .run_async(&["disconnect", "--tenant", "8", "--yes", "--keep-remote"])
        .await
        .assert_code(0);
    let status = s.cli.run_async(&["leads", "status", "--all"]).await;
    status.assert_code(0);
    assert!(!status.stdout.contains(DEMO_PAGE_ID), "{}", status.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_removes_the_app_from_the_page_it_subscribed_unless_shared() {
    let s = fake_env(World::demo(1, 1), &["7", "8"]).await;
    connect(&s, "7", ALL_SCOPES, &[]).await.assert_code(0);
    s.cli
        .run_async(&["leads", "subscribe", "--tenant", "7"])
        .await
        .assert_code(0);

    // --keep-remote leaves the Page and the grant alone.
    let kept = s
        .cli
        .run_async(&["--json", "disconnect", "--tenant", "7", "--keep-remote"])
        .await;
    kept.assert_code(0);
    assert!(app_fields_on(&s, DEMO_PAGE_ID).is_some());

    // Subscribed by this tenant, used by no other: removed, then revoked.
    connect(&s, "7", ALL_SCOPES, &[]).await.assert_code(0);
    s.cli
        .run_async(&["leads", "subscribe", "--tenant", "7"])
        .await
        .assert_code(0);
    let requests_before = s.fake.world().requests.len();
    let run = s
        .cli
        .run_async(&["--json", "disconnect", "--tenant", "7"])
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["page_unsubscribed"], DEMO_PAGE_ID);
    assert_eq!(app_fields_on(&s, DEMO_PAGE_ID), None);
    let requests = s.fake.world().requests[requests_before..].to_vec();
    let removed = requests
        .iter()
        .position(|r| r.starts_with("DELETE /v27.0/200000001/subscribed_apps"));
    let revoked = requests
        .iter()
        .position(|r| r.starts_with("DELETE /v27.0/me/permissions"));
    assert!(removed.is_some() && removed < revoked, "{requests:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_another_tenant_uses_stays_subscribed() {
    // Two Meta users on one Page: revoking one must not cut the other's leads.
    let mut world = World::demo(1, 1);
    let mut other = fake_meta::User::new("10002", "Bea Operator");
    other.personal = vec![fake_meta::AdAccount::new("111", "Personal account")];
    world.users.insert(other.id.clone(), other);
    world
        .pages
        .get_mut(DEMO_PAGE_ID)
        .unwrap()
        .tasks
        .insert("10002".into(), vec!["ADVERTISE".into()]);
    let s = fake_env(world, &["7", "8"]).await;
    connect(&s, "7", ALL_SCOPES, &[]).await.assert_code(0);
    let token = s
        .fake
        .world()
        .issue_token("10002", "USER", Some(50 * 86_400), ALL_SCOPES);
    s.cli
        .run_with_stdin_async(
            &[
                "--yes",
                "connect",
                "--tenant",
                "8",
                "--with-token",
                "--ad-account",
                "act_111",
            ],
            &token,
        )
        .await
        .assert_code(0);
    s.cli
        .run_async(&["leads", "subscribe", "--tenant", "7"])
        .await
        .assert_code(0);

    let run = s
        .cli
        .run_async(&["--json", "disconnect", "--tenant", "7"])
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["page_unsubscribed"], Value::Null);
    assert!(
        run.stderr.contains("tenant(s) 8 use it too"),
        "{}",
        run.stderr
    );
    assert!(app_fields_on(&s, DEMO_PAGE_ID).is_some());
    let status = s
        .cli
        .run_async(&["--json", "leads", "status", "--tenant", "8"])
        .await;
    status.assert_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_and_its_subscription_are_kept_on_postgres_too() {
    let Some((_db, s)) =
        crate::support::fake_env_on_postgres(world_with_pages(), &["7", "8"]).await
    else {
        return;
    };
    connect(&s, "7", ALL_SCOPES, &["--page", "200000002"])
        .await
        .assert_code(0);
    connect(&s, "8", ALL_SCOPES, &["--page", DEMO_PAGE_ID])
        .await
        .assert_code(0);
    s.cli
        .run_async(&["leads", "subscribe", "--tenant", "7"])
        .await
        .assert_code(0);
    assert_eq!(tenant_row(&s.cli, 7).await["page_id"], "200000002");
    // Another Page forgets the old subscription: disconnect leaves 200000002 alone.
    s.cli
        .run_async(&["select", "--tenant", "7", "--page", DEMO_PAGE_ID])
        .await
        .assert_code(0);
    let run = s
        .cli
        .run_async(&["--json", "--yes", "disconnect", "--tenant", "7"])
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["page_unsubscribed"], Value::Null);
    assert!(app_fields_on(&s, "200000002").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_picker_lists_every_page_with_its_tasks_and_refuses_one_without_advertise() {
    let s = fake_env(world_with_pages(), &["7"]).await;
    connect(&s, "7", ALL_SCOPES, &[]).await.assert_code(0);
    let pick = |filter: &'static str| {
        let mut cmd = s
            .cli
            .terminal_command(&["select", "--tenant", "7", "--page"]);
        cmd.env("TERM", "xterm").env("LANG", "C.UTF-8");
        tokio::task::spawn_blocking(move || -> Result<String, rexpect::error::Error> {
            let mut p = rexpect::session::spawn_command(cmd, Some(20_000))?;
            p.exp_string("type to filter")?;
            // Every Page is listed, with the user's tasks on it.
            p.exp_string("ANALYZE, CREATE_CONTENT")?;
            p.send(filter)?;
            p.flush()?;
            std::thread::sleep(std::time::Duration::from_millis(300));
            p.send("\r")?;
            p.flush()?;
            p.exp_eof()
        })
    };
    let refused = pick("Acme Blog").await.unwrap().expect("the picker");
    assert!(refused.contains("ADVERTISE"), "{refused}");
    assert_eq!(tenant_row(&s.cli, 7).await["page_id"], Value::Null);
    let chosen = pick("Acme Outlet").await.unwrap().expect("the picker");
    assert!(chosen.contains("Page 200000002"), "{chosen}");
    assert_eq!(tenant_row(&s.cli, 7).await["page_id"], "200000002");
}
