//! `audit` and `import` through the real binary: batches against the fake
//! Meta, mixed fleets, partial and whole batch failures, rate limits,
//! malformed input.

use fake_meta::{FakeMeta, Fault, RateBudget, World};
use serde_json::Value;

use crate::support::{Cli, fake_env_on_postgres};

const SCOPES: &[&str] = &["ads_read", "business_management"];

struct Fleet {
    _dir: tempfile::TempDir,
    fake: FakeMeta,
    cli: Cli,
}

async fn fleet(tenants: usize) -> Fleet {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeMeta::start(World::demo(1, 1)).await.unwrap();
    let cli = fake
        .env()
        .into_iter()
        .fold(Cli::new(dir.path()), |c, (k, v)| c.env(k, &v));
    add_tenants(&cli, tenants).await;
    Fleet {
        _dir: dir,
        fake,
        cli,
    }
}

/// Adds tenants 1..=n through the store's own file, quicker than n processes.
async fn add_tenants(cli: &Cli, n: usize) {
    cli.run_async(&["migrate"]).await.assert_code(0);
    let path = cli.home.join("crm-meta/crm-meta.db");
    let store = crm_meta::store::Store::open(&crm_meta::settings::DatabaseTarget::Sqlite { path })
        .await
        .unwrap();
    for id in 1..=n as i32 {
        store
            .add_tenant(&crm_meta::store::Tenant {
                id,
                name: format!("Tenant {id}"),
            })
            .await
            .unwrap();
    }
    store.close().await;
}

fn jsonl(lines: &[(i32, &str)]) -> String {
    lines
        .iter()
        .map(|(id, t)| format!("{{\"tenant_id\": {id}, \"access_token\": \"{t}\"}}\n"))
        .collect()
}

fn status_by_tenant(audit: &Value) -> Vec<(i64, String)> {
    audit["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tenant_id"].as_i64().unwrap(),
                t["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mixed_fleet_is_imported_then_audited_with_true_statuses() {
    let f = fleet(8).await;
    let day = 86_400;
    let (ok, expired, revoked, limited, soon, system, data_soon, foreign) = {
        let mut w = f.fake.world();
        let ok = w.issue_token("10001", "USER", Some(50 * day), SCOPES);
        let expired = w.issue_token("10001", "USER", Some(50 * day), SCOPES);
        let revoked = w.issue_token("10001", "USER", Some(50 * day), SCOPES);
        let limited = w.issue_token("10001", "USER", Some(50 * day), &["ads_read"]);
        let soon = w.issue_token("10001", "USER", Some(5 * day), SCOPES);
        let system = w.issue_token("10001", "SYSTEM_USER", None, SCOPES);
        let data_soon = w.issue_token("10001", "USER", Some(50 * day), SCOPES);
        w.tokens.get_mut(&data_soon).unwrap().data_access_expires_at = fake_meta::now() + 3 * day;
        let foreign = w.issue_token("10001", "USER", Some(50 * day), SCOPES);
        (
            ok, expired, revoked, limited, soon, system, data_soon, foreign,
        )
    };
    let input = jsonl(&[
        (1, &ok),
        (2, &expired),
        (3, &revoked),
        (4, &limited),
        (5, &soon),
        (6, &system),
        (7, &data_soon),
        (8, &foreign),
    ]);
    let run = f
        .cli
        .run_with_stdin_async(&["--json", "--yes", "import"], &input)
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["imported"], 8);

    // Then the world changes under the stored tokens.
    {
        let mut w = f.fake.world();
        w.tokens.get_mut(&expired).unwrap().expires_at = fake_meta::now() - 60;
        w.tokens.get_mut(&revoked).unwrap().valid = false;
        w.tokens.get_mut(&foreign).unwrap().app_id = "42".into();
    }
    let batches_before = f.fake.world().http_requests("POST /v27.0/");
    let run = f.cli.run_async(&["--json", "audit"]).await;
    run.assert_code(3);
    let json = run.json();
    assert_eq!(
        status_by_tenant(&json),
        [
            (1, "ok"),
            (2, "expired"),
            (3, "invalid"),
            (4, "missing_scope"),
            (5, "expiring"),
            (6, "ok"),
            (7, "expiring"),
            (8, "invalid")
        ]
        .map(|(t, s)| (t, s.to_owned()))
    );
    let summary = &json["summary"];
    assert_eq!(
        (
            summary["total"].as_u64(),
            summary["ok"].as_u64(),
            summary["expiring"].as_u64()
        ),
        (Some(8), Some(2), Some(2))
    );
    assert_eq!(
        (
            summary["expired"].as_u64(),
            summary["invalid"].as_u64(),
            summary["missing_scope"].as_u64()
        ),
        (Some(1), Some(2), Some(1))
    );
    assert_eq!(summary["unreachable"], 0);
    assert_eq!(summary["never_expires"], 1);
    assert_eq!(json["tenants"][5]["expires_at"], Value::Null);
    assert_eq!(
        json["tenants"][0]["shared_with"].as_array().unwrap().len(),
        7,
        "all eight share one Meta user"
    );
    assert_eq!(
        f.fake.world().http_requests("POST /v27.0/") - batches_before,
        1,
        "eight tokens, one batch"
    );

    // --within widens the window; results were recorded.
    let run = f
        .cli
        .run_async(&["--json", "audit", "--within", "60"])
        .await;
    assert_eq!(run.json()["summary"]["expiring"], 3);
    let list = f.cli.run_async(&["--json", "tenants", "list"]).await;
    let statuses: Vec<String> = list.json()["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses[1], "expired");
    assert_eq!(statuses[2], "invalid");

    // CSV and table outputs.
    let csv = f.cli.run_async(&["audit", "--format", "csv"]).await;
    csv.assert_code(3);
    assert!(
        csv.stdout.starts_with("tenant_id,status,"),
        "{}",
        csv.stdout
    );
    assert_eq!(csv.stdout.lines().count(), 9);
    let table = f.cli.run_async(&["audit"]).await;
    assert!(
        table.stdout.contains("MISSING SCOPE") && table.stdout.contains("expired"),
        "{}",
        table.stdout
    );
    for token in [&ok, &expired, &system] {
        assert!(!json.to_string().contains(token.as_str()) && !csv.stdout.contains(token.as_str()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_items_failing_are_retried_and_whole_batches_too() {
    let f = fleet(120).await;
    let tokens: Vec<String> = (0..120)
        .map(|_| {
            f.fake
                .world()
                .issue_token("10001", "USER", Some(50 * 86_400), SCOPES)
        })
        .collect();
    let input: String = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{},{t}\n", i + 1))
        .collect();
    f.cli
        .run_with_stdin_async(&["import", "--format", "csv"], &input)
        .await
        .assert_code(0);

    let before = f.fake.world().http_requests("POST /v27.0/");
    {
        let mut w = f.fake.world();
        // Some items fail transiently, some are rate limited, and two whole batches fail.
        w.fail_next("GET /v27.0/debug_token", 3, Fault::RateLimit(613));
        w.fail_next("GET /v27.0/debug_token", 7, Fault::Transient);
        w.fail_next("POST /v27.0/", 2, Fault::Html);
    }
    let run = f
        .cli
        .run_async(&["--json", "audit", "--concurrency", "2"])
        .await;
    run.assert_code(0);
    let json = run.json();
    assert_eq!(json["summary"]["ok"], 120, "{}", json["summary"]);
    let w = f.fake.world();
    assert!(
        w.http_requests("POST /v27.0/") - before > 3 + 2,
        "three batches, two failed whole, one item retry: {} batches",
        w.http_requests("POST /v27.0/") - before
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn meta_down_makes_every_tenant_unreachable_and_records_nothing() {
    let f = fleet(3).await;
    let tokens: Vec<String> = (0..3)
        .map(|_| {
            f.fake
                .world()
                .issue_token("10001", "USER", Some(50 * 86_400), SCOPES)
        })
        .collect();
    let input = jsonl(&[(1, &tokens[0]), (2, &tokens[1]), (3, &tokens[2])]);
    f.cli
        .run_with_stdin_async(&["import"], &input)
        .await
        .assert_code(0);
    let before = f.cli.run_async(&["--json", "tenants", "list"]).await.stdout;
    f.fake
        .world()
        .fail_next("POST /v27.0/", 100, Fault::Transient);
    let run = f.cli.run_async(&["--json", "audit"]).await;
    run.assert_code(5);
    assert_eq!(run.json()["summary"]["unreachable"], 3);
    assert_eq!(
        f.cli.run_async(&["--json", "tenants", "list"]).await.stdout,
        before
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_budget_below_the_need_slows_the_audit_but_loses_nothing() {
    let f = imported_fleet(300).await;
    f.fake.world().rate_budget = Some(RateBudget::new(120, std::time::Duration::from_secs(1)));
    let run = f.cli.run_async(&["--json", "audit"]).await;
    run.assert_code(0);
    let json = run.json();
    assert_eq!(json["summary"]["ok"], 300, "{}", json["summary"]);
    assert_eq!(json["summary"]["unreachable"], 0);
    let items = f.fake.world().batch_items;
    assert!(
        items > 2 * 300,
        "the budget was never hit: {items} batch items for 300 imported and audited tokens"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn import_reports_every_rejected_line_and_imports_the_rest() {
    let f = fleet(5).await;
    let (good, bad_app, expired) = {
        let mut w = f.fake.world();
        let good = w.issue_token("10001", "USER", Some(50 * 86_400), SCOPES);
        let bad_app = w.issue_token("10001", "USER", Some(50 * 86_400), SCOPES);
        w.tokens.get_mut(&bad_app).unwrap().app_id = "42".into();
        let expired = w.issue_token("10001", "USER", Some(-10), SCOPES);
        (good, bad_app, expired)
    };
    let limited = f
        .fake
        .world()
        .issue_token("10001", "USER", Some(50 * 86_400), &["ads_read"]);
    let input = format!(
        "{{\"tenant_id\": 1, \"access_token\": \"{good}\"}}\n\
         not json at all\n\
         {{\"tenant_id\": 99, \"access_token\": \"{good}\"}}\n\
         {{\"tenant_id\": 2, \"access_token\": \"{bad_app}\"}}\n\
         {{\"tenant_id\": 3, \"access_token\": \"{expired}\"}}\n\
         {{\"tenant_id\": 4, \"access_token\": \"EAAnotreal\"}}\n\
         {{\"tenant_id\": 1, \"access_token\": \"{good}\"}}\n\
         {{\"tenant_id\": 5, \"access_token\": \"{limited}\"}}\n\
         {{\"tenant_id\": -3, \"access_token\": \"x\"}}\n"
    );
    let run = f
        .cli
        .run_with_stdin_async(&["--json", "import"], &input)
        .await;
    run.assert_code(3);
    let json = run.json();
    assert_eq!(json["imported"], 1);
    assert_eq!(json["updated"], 0);
    let lines: Vec<u64> = json["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 7, 8, 9]);
    let reasons = json["rejected"].to_string();
    assert!(
        reasons.contains("no tenant with id 99")
            && reasons.contains("already appears on line 1")
            && reasons.contains("--yes"),
        "{reasons}"
    );
    for secret in [&good, &bad_app, &expired] {
        assert!(!run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()));
    }

    // Idempotent: the same good line again is an update.
    let again = f
        .cli
        .run_with_stdin_async(&["--json", "import"], &jsonl(&[(1, &good)]))
        .await;
    again.assert_code(0);
    assert_eq!(
        (
            again.json()["imported"].as_u64(),
            again.json()["updated"].as_u64()
        ),
        (Some(0), Some(1))
    );
    assert!(
        again.stderr.is_empty() || !again.stderr.contains("error"),
        "{}",
        again.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn import_and_audit_on_postgres() {
    let Some((db, env)) = fake_env_on_postgres(World::demo(1, 1), &[]).await else {
        return;
    };
    let (fake, cli) = (&env.fake, &env.cli);
    db.execute("INSERT INTO tenants (id, name) SELECT g, 'T' || g FROM generate_series(1, 260) g")
        .await;
    let tokens: Vec<String> = (0..260)
        .map(|_| {
            fake.world()
                .issue_token("10001", "USER", Some(50 * 86_400), SCOPES)
        })
        .collect();
    let input = jsonl(
        &tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (i as i32 + 1, t.as_str()))
            .collect::<Vec<_>>(),
    );
    let run = cli
        .run_with_stdin_async(&["--json", "import"], &input)
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["imported"], 260);
    let again = cli
        .run_with_stdin_async(&["--json", "import"], &input)
        .await;
    assert_eq!(again.json()["updated"], 260);
    let audit = cli.run_async(&["--json", "audit"]).await;
    audit.assert_code(0);
    assert_eq!(audit.json()["summary"]["ok"], 260);
    let rows: i64 = db
        .scalar("SELECT COUNT(*) FROM meta_audit_log WHERE action = 'import'")
        .await;
    assert_eq!(rows, 520);
    let checked: i64 = db
        .scalar("SELECT COUNT(*) FROM meta_tokens WHERE last_check_status = 'ok'")
        .await;
    assert_eq!(checked, 260);
}

/// Import lines for tenants 1..=n, each with a new valid token.
fn fresh_tokens_jsonl(f: &Fleet, n: usize) -> String {
    let tokens: Vec<String> = (0..n)
        .map(|_| {
            f.fake
                .world()
                .issue_token("10001", "USER", Some(50 * 86_400), SCOPES)
        })
        .collect();
    jsonl(
        &tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (i as i32 + 1, t.as_str()))
            .collect::<Vec<_>>(),
    )
}

/// `n` tenants imported with valid tokens.
async fn imported_fleet(n: usize) -> Fleet {
    let f = fleet(n).await;
    let input = fresh_tokens_jsonl(&f, n);
    f.cli
        .run_with_stdin_async(&["import"], &input)
        .await
        .assert_code(0);
    f
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_mid_stream_still_leaves_one_json_document_ending_in_the_error() {
    // A token in the store's second page of 1,000 that no key opens.
    let f = imported_fleet(1_050).await;
    crate::support::corrupt_stored_tokens(&f.cli, "WHERE tenant_id = 1040").await;
    for args in [
        &["--json", "audit"][..],
        &["--json", "test-connection", "--all"][..],
        &["audit", "--format", "json"][..],
    ] {
        let run = f.cli.run_async(args).await;
        run.assert_code(1);
        // Rows already checked were written out; then the error, in the same document.
        let json = run.json();
        assert_eq!(
            json["tenants"].as_array().map(Vec::len),
            Some(1_000),
            "{args:?}"
        );
        assert_eq!(json["error"]["exit_code"], 1, "{args:?}: {}", json["error"]);
        assert!(
            json["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("corrupted")),
            "{args:?}: {}",
            json["error"]
        );
        assert!(
            json.get("summary").is_none(),
            "no summary of a run cut short"
        );
        assert!(run.stderr.contains("corrupted"), "{}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn max_usage_keeps_the_app_s_usage_under_the_ceiling_and_checks_everyone() {
    let f = imported_fleet(400).await;
    // 400 calls per 2 s window is 100 %: the audit alone needs it all.
    {
        let mut w = f.fake.world();
        w.rate_budget = Some(RateBudget::new(400, std::time::Duration::from_secs(2)));
        w.peak_usage_percent = 0;
    }
    let run = f
        .cli
        .run_async(&[
            "--json",
            "audit",
            "--max-usage",
            "40",
            "--concurrency",
            "16",
        ])
        .await;
    run.assert_code(0);
    assert_eq!(
        run.json()["summary"]["ok"],
        400,
        "{}",
        run.json()["summary"]
    );
    let peak = f.fake.world().peak_usage_percent;
    assert!(peak <= 40, "the run pushed usage to {peak}%");
    assert!(
        peak >= 20,
        "the ceiling was never approached ({peak}%): the test proves nothing"
    );

    // META_MAX_USAGE says the same for every fleet command.
    f.fake.world().peak_usage_percent = 0;
    f.fake.world().rate_budget = Some(RateBudget::new(1_200, std::time::Duration::from_secs(1)));
    let cli = f.cli.clone().env("META_MAX_USAGE", "30");
    let run = cli.run_async(&["--json", "test-connection", "--all"]).await;
    let unreachable: Vec<String> = run.json()["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] != "ok")
        .map(|t| t.to_string())
        .take(2)
        .collect();
    assert!(
        run.code == 0 || run.code == 3,
        "{} {unreachable:?}",
        run.code
    );
    let peak = f.fake.world().peak_usage_percent;
    assert!(peak <= 30, "test-connection pushed usage to {peak}%");
}

#[tokio::test(flavor = "multi_thread")]
async fn at_a_ceiling_that_never_lifts_the_audit_stops_cleanly_and_records_nothing() {
    let f = imported_fleet(120).await;
    // Others hold the app at 60 % for the next hour.
    f.fake.world().rate_budget =
        Some(RateBudget::new(1_000, std::time::Duration::from_secs(3_600)).with_used(600));
    let checked_before = f.cli.run_async(&["--json", "tenants", "list"]).await.json();
    let cli = f.cli.clone().env("META_RATE_LIMIT_MAX_WAIT", "3");
    let started = std::time::Instant::now();
    let run = cli
        .run_async(&["--json", "audit", "--max-usage", "50"])
        .await;
    run.assert_code(5);
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let json = run.json();
    // Single calls find out whether usage fell (the first at once, probes
    // 1 s and 2 s into the wait; the next would come at 4 s, past the 3 s
    // the run may wait): only those tenants were asked about; the rest
    // were not.
    let (ok, unreachable) = (
        json["summary"]["ok"].as_u64().unwrap(),
        json["summary"]["unreachable"].as_u64().unwrap(),
    );
    assert!(
        (1..=3).contains(&ok) && ok + unreachable == 120,
        "{}",
        json["summary"]
    );
    let waited = json["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == "unreachable")
        .unwrap();
    assert!(
        waited["detail"].as_str().unwrap().contains("--max-usage"),
        "{waited}"
    );
    // Only what was asked is recorded.
    let after = f.cli.run_async(&["--json", "tenants", "list"]).await.json();
    let changed = (0..120)
        .filter(|&i| {
            after["tenants"][i]["last_checked_at"]
                != checked_before["tenants"][i]["last_checked_at"]
        })
        .count() as u64;
    assert_eq!(changed, ok);
}

#[tokio::test(flavor = "multi_thread")]
async fn tenants_list_streams_every_page_in_order() {
    let f = fleet(2_100).await;
    let json = f.cli.run_async(&["--json", "tenants", "list"]).await;
    json.assert_code(0);
    let ids: Vec<i64> = json.json()["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tenant_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, (1..=2_100).collect::<Vec<i64>>());
    // On a terminal-less run the table comes a page at a time, every tenant in it.
    let table = f.cli.run_async(&["tenants", "list"]).await;
    table.assert_code(0);
    assert!(table.stdout.contains("Tenant 1 ") && table.stdout.contains("Tenant 2100"));
    assert_eq!(
        table.stdout.matches("NAME").count(),
        3,
        "one table per 1,000 tenants"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_the_audit_shows_progress_with_rate_and_eta_and_why_it_waits() {
    let f = imported_fleet(300).await;
    f.fake.world().latency = std::time::Duration::from_millis(150);
    let mut cmd = f.cli.terminal_command(&["audit", "--concurrency", "1"]);
    cmd.env("TERM", "xterm").env("LANG", "C.UTF-8");
    let shown = tokio::task::spawn_blocking(move || -> Result<String, rexpect::error::Error> {
        let mut p = rexpect::session::spawn_command(cmd, Some(30_000))?;
        let (_, bar) = p.exp_regex(r"checking tokens .*/300 \([0-9.]+/s, [0-9]+s left\)")?;
        p.exp_eof()?;
        Ok(bar)
    })
    .await
    .unwrap()
    .expect("a progress bar with rate and ETA");
    assert!(shown.contains("/300"), "{shown}");

    // At a ceiling that does not lift, the line says why and until when.
    f.fake.world().latency = std::time::Duration::ZERO;
    f.fake.world().rate_budget =
        Some(RateBudget::new(1_000, std::time::Duration::from_secs(3_600)).with_used(600));
    let mut cmd = f
        .cli
        .clone()
        .env("META_RATE_LIMIT_MAX_WAIT", "3")
        .terminal_command(&["audit", "--max-usage", "50"]);
    cmd.env("TERM", "xterm").env("LANG", "C.UTF-8");
    let waiting = tokio::task::spawn_blocking(move || -> Result<String, rexpect::error::Error> {
        let mut p = rexpect::session::spawn_command(cmd, Some(30_000))?;
        let (_, line) = p.exp_regex(r"waiting: the app's Meta usage is [0-9]+%, this run stays under 50% \(--max-usage\), until [0-9:]+")?;
        p.exp_eof()?;
        Ok(line)
    })
    .await
    .unwrap()
    .expect("the waiting note");
    assert!(waiting.contains("60%"), "{waiting}");
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_terminal_import_from_a_file_shows_a_bar_with_an_eta() {
    let f = fleet(1_000).await;
    let input = fresh_tokens_jsonl(&f, 1_000);
    let file = f.cli.home.join("tokens.jsonl");
    std::fs::write(&file, &input).unwrap();
    f.fake.world().latency = std::time::Duration::from_millis(400);
    // stdin is the file, stderr the terminal: the shell wires them.
    let inner = f.cli.terminal_command(&["import"]);
    let mut cmd = std::process::Command::new("sh");
    cmd.env_clear()
        .arg("-c")
        .arg(format!(
            "exec '{}' import < '{}'",
            env!("CARGO_BIN_EXE_crm-meta"),
            file.display()
        ))
        .current_dir(&f.cli.home);
    for (key, value) in inner.get_envs() {
        if let Some(value) = value {
            cmd.env(key, value);
        }
    }
    cmd.env("TERM", "xterm").env("LANG", "C.UTF-8");
    let shown = tokio::task::spawn_blocking(move || -> Result<String, rexpect::error::Error> {
        let mut p = rexpect::session::spawn_command(cmd, Some(30_000))?;
        let (_, bar) = p.exp_regex(r"importing .*/s, [0-9]+s left\)")?;
        p.exp_eof()?;
        Ok(bar)
    })
    .await
    .unwrap()
    .expect("a progress bar with rate and ETA");
    assert!(shown.contains("KiB"), "{shown}");
    let list = f.cli.run_async(&["--json", "tenants", "list"]).await.json();
    assert_eq!(list["tenants"][999]["status"], "ok");
}
