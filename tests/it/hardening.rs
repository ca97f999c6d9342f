//! Hostile input, faults, concurrency, crashes, secrets and key rotation,
//! through the real binary against the fake Meta and real databases.

use fake_meta::{Fault, World};

use crate::support::{Cli, FakeEnv as Setup, Run, fake_env, free_port, key_b64, script};

const SCOPES: &[&str] = &["ads_read", "business_management"];

async fn setup(world: World, tenants: &[&str]) -> Setup {
    fake_env(world, tenants).await
}

#[track_caller]
fn assert_clean_failure(run: &Run, code: i32, needle: &str) {
    run.assert_code(code);
    assert!(
        run.stderr.contains(needle),
        "stderr lacks {needle:?}:\n{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .count(),
        1,
        "one error line:\n{}",
        run.stderr
    );
}

async fn connect_token(s: &Setup, cli: &Cli, tenant: &str) -> String {
    let token = s
        .fake
        .world()
        .issue_token("10001", "USER", Some(50 * 86_400), SCOPES);
    cli.run_with_stdin_async(
        &["--yes", "connect", "--tenant", tenant, "--with-token"],
        &token,
    )
    .await
    .assert_code(0);
    token
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_key_is_named_and_overwrites_nothing() {
    let Some((_db, s)) = crate::support::fake_env_on_postgres(World::demo(1, 1), &["7", "8"]).await
    else {
        return;
    };
    connect_token(&s, &s.cli, "7").await;
    let before = s.cli.run_async(&["--json", "tenants", "list"]).await.stdout;
    let wrong = s.cli.clone().env("CRM_META_TOKEN_KEY", &key_b64(77));
    let stored_key = crate::support::cipher(7).current_key_id().to_owned();
    let run = wrong.run_async(&["test-connection", "--tenant", "7"]).await;
    assert_clean_failure(&run, 1, "CRM_META_TOKEN_KEYS_PREVIOUS");
    assert!(run.stderr.contains(&stored_key), "{}", run.stderr);
    let token = s
        .fake
        .world()
        .issue_token("10001", "USER", Some(50 * 86_400), SCOPES);
    let run = wrong
        .run_with_stdin_async(
            &["--yes", "connect", "--tenant", "8", "--with-token"],
            &token,
        )
        .await;
    assert_clean_failure(&run, 1, "nothing was stored");
    assert!(run.stderr.contains(&stored_key), "{}", run.stderr);
    assert_eq!(
        s.cli.run_async(&["--json", "tenants", "list"]).await.stdout,
        before,
        "nothing may change"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn corrupted_ciphertext_is_reported_not_guessed() {
    let s = setup(World::demo(1, 1), &["7"]).await;
    connect_token(&s, &s.cli, "7").await;
    crate::support::corrupt_stored_tokens(&s.cli, "").await;
    assert_clean_failure(
        &s.cli.run_async(&["test-connection", "--tenant", "7"]).await,
        1,
        "corrupted",
    );
    assert_clean_failure(&s.cli.run_async(&["audit"]).await, 1, "corrupted");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_file_others_can_read_is_refused() {
    let s = setup(World::demo(1, 1), &["7"]).await;
    connect_token(&s, &s.cli, "7").await;
    let key = crate::support::key_files(&s.cli.home.join("crm-meta"))
        .pop()
        .expect("a key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_clean_failure(
            &s.cli.run_async(&["test-connection", "--tenant", "7"]).await,
            1,
            "chmod 600",
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn graph_faults_end_in_exit_5_with_a_clear_line() {
    let s = setup(World::demo(1, 1), &["7"]).await;
    connect_token(&s, &s.cli, "7").await;
    let cases: Vec<(Fault, &str, &str)> = vec![
        (Fault::Truncated, "me/businesses", "truncated JSON"),
        (
            Fault::Body("{\"data\": \"not a list\"}".into()),
            "me/businesses",
            "not understood",
        ),
        (
            Fault::Body("[1, 2".into()),
            "owned_ad_accounts",
            "truncated JSON",
        ),
        (Fault::Transient, "me/businesses", "Meta error 2"),
        (Fault::Html, "me/businesses", "HTML page"),
    ];
    for (fault, path, needle) in cases {
        s.fake.world().fail_next(path, 100, fault);
        let run = s.cli.run_async(&["list-accounts", "--tenant", "7"]).await;
        assert_clean_failure(&run, 5, needle);
        s.fake.world().clear_faults();
    }
    // Slower than the timeout.
    s.fake.world().fail_next(
        "me/businesses",
        100,
        Fault::Delay(std::time::Duration::from_secs(5)),
    );
    let slow = s.cli_with(&[("META_HTTP_TIMEOUT", "1")]);
    let started = std::time::Instant::now();
    assert_clean_failure(
        &slow.run_async(&["list-accounts", "--tenant", "7"]).await,
        5,
        "did not answer within",
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[tokio::test(flavor = "multi_thread")]
async fn connection_resets_are_reported_as_unreachable() {
    // A server that accepts and hangs up at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(50) {
            drop(stream);
        }
    });
    let s = setup(World::demo(1, 1), &["7"]).await;
    let token = s
        .fake
        .world()
        .issue_token("10001", "USER", Some(86_400), SCOPES);
    let reset = s.cli_with(&[("META_GRAPH_URL", &format!("http://127.0.0.1:{port}"))]);
    let run = reset
        .run_with_stdin_async(&["debug-token", "--token-stdin"], &token)
        .await;
    assert_clean_failure(&run, 5, "could not reach Meta");
    assert!(!run.stderr.contains(&token));
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_callbacks_get_4xx_and_the_real_one_still_completes() {
    let s = setup(World::demo(1, 1), &["7"]).await;
    let port = free_port();
    let log = s.cli.home.join("codes.txt");
    let base = format!("http://localhost:{port}/callback");
    let long = "x".repeat(100_000);
    let browser = script(
        &s.cli.home,
        "hostile-browser",
        &format!(
            "state=$(printf '%s' \"$1\" | sed -n 's/.*[?&]state=\\([^&]*\\).*/\\1/p')\n\
             printf '%s' \"$state\" > {state_file}\n\
             hit() {{ curl -sS -o /dev/null -w '%{{http_code}}\\n' \"$@\" >> {log}; }}\n\
             hit \"{base}?state=$state\"\n\
             hit \"{base}?code=abc&error=access_denied&state=$state\"\n\
             hit \"{base}?code=a&code=b&state=$state\"\n\
             hit \"{base}?code=%FF%FE&state=$state\"\n\
             hit \"{base}?code=abc&state=$state&pad={long}\"\n\
             hit -X POST \"{base}?code=abc&state=$state\"\n\
             hit \"http://localhost:{port}/other?code=abc&state=$state\"\n\
             hit \"{base}?code=abc&state=$state&state=$state\"\n\
             exec curl -sS -L -o /dev/null \"$1\"",
            log = log.display(),
            state_file = s.cli.home.join("state.txt").display()
        ),
    );
    let cli = s.cli_with(&[
        ("BROWSER", browser.to_str().unwrap()),
        ("META_REDIRECT_URI", &base),
    ]);
    let run = cli.run_async(&["--json", "connect", "--tenant", "7"]).await;
    run.assert_code(0);
    let state = std::fs::read_to_string(s.cli.home.join("state.txt")).unwrap();
    assert!(
        state.starts_with("t7."),
        "the hostile browser must send the real state: {state:?}"
    );
    let codes: Vec<u16> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(codes.len(), 8);
    assert!(
        codes.iter().all(|c| (400..500).contains(c)),
        "every hostile callback gets a 4xx: {codes:?}"
    );
    assert_eq!(codes[5], 405);
    assert_eq!(codes[6], 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_connects_for_one_tenant_leave_exactly_one_connection() {
    for postgres in [false, true] {
        let db = if postgres {
            Some(crate::support::pg_or_skip!())
        } else {
            None
        };
        let s = setup(World::demo(1, 1), &[]).await;
        let cli = match &db {
            Some(db) => s.cli_with(&[
                ("DATABASE_URL", &db.url),
                ("CRM_META_TOKEN_KEY", &key_b64(2)),
            ]),
            None => s.cli_with(&[]),
        };
        cli.run_async(&["migrate"]).await.assert_code(0);
        cli.run_async(&["tenants", "add", "--id", "7", "--name", "A"])
            .await
            .assert_code(0);
        let tokens: Vec<String> = (0..4)
            .map(|_| {
                s.fake
                    .world()
                    .issue_token("10001", "USER", Some(86_400 * 40), SCOPES)
            })
            .collect();
        let runs = futures::future::join_all(tokens.iter().map(|t| {
            cli.run_with_stdin_async(&["--yes", "connect", "--tenant", "7", "--with-token"], t)
        }))
        .await;
        for run in &runs {
            run.assert_code(0);
        }
        let list = cli.run_async(&["--json", "tenants", "list"]).await;
        assert_eq!(list.json()["tenants"].as_array().unwrap().len(), 1);
        let audit = cli.run_async(&["--json", "audit"]).await;
        audit.assert_code(0);
        assert_eq!(
            audit.json()["summary"]["total"],
            1,
            "exactly one connection (postgres: {postgres})"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_while_connect_replaces_the_token() {
    let s = setup(World::demo(1, 1), &["7", "8"]).await;
    let old7 = connect_token(&s, &s.cli, "7").await;
    connect_token(&s, &s.cli, "8").await;
    // The audit will find tenant 7's old token revoked, but its answer comes
    // late: the connect replacing that token commits first.
    s.fake.world().tokens.get_mut(&old7).unwrap().valid = false;
    s.fake.world().fail_next(
        "POST /v27.0/",
        1,
        Fault::Delay(std::time::Duration::from_millis(600)),
    );
    let token = s
        .fake
        .world()
        .issue_token("10001", "USER", Some(86_400 * 40), SCOPES);
    let (audit, connect) = tokio::join!(
        s.cli.run_async(&["--json", "audit"]),
        s.cli.run_with_stdin_async(
            &["--yes", "connect", "--tenant", "7", "--with-token"],
            &token
        )
    );
    connect.assert_code(0);
    audit.assert_code(3);
    assert_eq!(
        audit.json()["tenants"][0]["status"],
        "invalid",
        "the audit checked the old token"
    );
    let list = s.cli.run_async(&["--json", "tenants", "list"]).await;
    assert_eq!(
        list.json()["tenants"][0]["status"],
        "ok",
        "the old token's result must not land on the new connection"
    );
    s.cli
        .run_async(&["test-connection", "--all"])
        .await
        .assert_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_killed_midway_leaves_every_row_whole() {
    let s = setup(World::demo(1, 1), &[]).await;
    s.cli.run_async(&["migrate"]).await.assert_code(0);
    {
        let path = s.cli.home.join("crm-meta/crm-meta.db");
        let store =
            crm_meta::store::Store::open(&crm_meta::settings::DatabaseTarget::Sqlite { path })
                .await
                .unwrap();
        for id in 1..=2000 {
            store
                .add_tenant(&crm_meta::store::Tenant {
                    id,
                    name: format!("T{id}"),
                })
                .await
                .unwrap();
        }
        store.close().await;
    }
    let lines: String = (1..=2000)
        .map(|id| {
            let token =
                s.fake
                    .world()
                    .issue_token(&format!("u{id}"), "USER", Some(86_400 * 40), SCOPES);
            format!("{{\"tenant_id\": {id}, \"access_token\": \"{token}\"}}\n")
        })
        .collect();
    s.fake.world().latency = std::time::Duration::from_millis(40);
    let mut child = s
        .cli
        .command(&["import"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), lines.as_bytes()).unwrap();
    // Kill as soon as the first batches are committed, long before the last.
    let db = s.cli.home.join("crm-meta/crm-meta.db");
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&db)
        .read_only(true);
    let started = std::time::Instant::now();
    loop {
        use sqlx::ConnectOptions;
        let mut conn = options.connect().await.unwrap();
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM meta_tokens")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        if rows > 0 || started.elapsed() > std::time::Duration::from_secs(10) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the import was meant to be killed midway"
    );
    s.fake.world().latency = std::time::Duration::ZERO;
    let audit = s.cli.run_async(&["--json", "audit"]).await;
    audit.assert_code(0);
    let stored = audit.json()["summary"]["total"].as_u64().unwrap();
    assert!(stored > 0, "the kill came before anything was stored");
    assert!(
        stored < 2000,
        "the kill came too late to test anything ({stored} stored)"
    );
    assert_eq!(
        audit.json()["summary"]["ok"],
        stored,
        "every stored row decrypts and checks out"
    );
    assert_eq!(stored % 50, 0, "whole batches only: {stored}");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_appears_in_output_logs_or_the_audit_log() {
    let s = setup(World::demo(1, 2), &["7", "8"]).await;
    let port = free_port();
    let browser = script(
        &s.cli.home,
        "browser",
        "exec curl -sS -L -o /dev/null \"$1\"",
    );
    let key = key_b64(42);
    let cli = s.cli_with(&[
        ("BROWSER", browser.to_str().unwrap()),
        (
            "META_REDIRECT_URI",
            &format!("http://localhost:{port}/callback"),
        ),
        ("CRM_META_TOKEN_KEY", &key),
    ]);
    let mut transcript = String::new();
    let mut record = |run: Run| transcript.push_str(&(run.stdout + &run.stderr));
    record(
        cli.run_async(&["-vvv", "--yes", "connect", "--tenant", "7"])
            .await,
    );
    let token = s
        .fake
        .world()
        .issue_token("10001", "USER", Some(86_400 * 5), SCOPES);
    record(
        cli.run_with_stdin_async(
            &["-vvv", "--yes", "connect", "--tenant", "8", "--with-token"],
            &token,
        )
        .await,
    );
    record(
        cli.run_with_stdin_async(&["-vvv", "debug-token", "--token-stdin"], &token)
            .await,
    );
    record(
        cli.run_with_stdin_async(
            &["-vvv", "--json", "import"],
            &format!("{{\"tenant_id\": 8, \"access_token\": \"{token}\"}}\nbroken {token}\n"),
        )
        .await,
    );
    s.fake.world().fail_next("debug_token", 3, Fault::Transient);
    for args in [
        &["-vvv", "test-connection", "--all"][..],
        &["-vvv", "list-accounts", "--tenant", "7"],
        &["-vvv", "audit"],
        &["-vvv", "--json", "refresh"],
        &["-vvv", "tenants", "list"],
        &["-vvv", "--yes", "disconnect", "--tenant", "8"],
    ] {
        record(cli.run_async(args).await);
    }
    let mut secrets: Vec<String> = {
        let world = s.fake.world();
        let mut secrets: Vec<String> = world.tokens.keys().cloned().collect();
        secrets.extend(world.codes());
        secrets.push(world.app_secret.clone());
        secrets
    };
    secrets.push(key.clone());
    assert!(
        transcript.len() > 2000,
        "the commands printed too little to prove anything"
    );
    for secret in &secrets {
        assert!(
            !transcript.contains(secret.as_str()),
            "a secret leaked into the output"
        );
    }
    let path = s.cli.home.join("crm-meta/crm-meta.db");
    let store = crm_meta::store::Store::open(&crm_meta::settings::DatabaseTarget::Sqlite { path })
        .await
        .unwrap();
    let mut log = String::new();
    for tenant in [7, 8] {
        log.push_str(&serde_json::to_string(&store.audit_log(tenant).await.unwrap()).unwrap());
    }
    assert!(log.contains("token_fingerprint"));
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "a secret is in the audit log"
        );
    }
    assert!(!transcript.contains("panicked"));
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_rotate_moves_every_token_and_keeps_the_old_key_until_pruned() {
    let db = crate::support::pg_or_skip!();
    let s = setup(World::demo(1, 1), &[]).await;
    let old = s.cli_with(&[
        ("DATABASE_URL", &db.url),
        ("CRM_META_TOKEN_KEY", &key_b64(1)),
    ]);
    old.run_async(&["migrate"]).await.assert_code(0);
    for id in ["1", "2", "3"] {
        old.run_async(&["tenants", "add", "--id", id, "--name", "T"])
            .await
            .assert_code(0);
        connect_token(&s, &old, id).await;
    }
    let rotating = s.cli_with(&[
        ("DATABASE_URL", &db.url),
        ("CRM_META_TOKEN_KEY", &key_b64(2)),
        ("CRM_META_TOKEN_KEYS_PREVIOUS", &key_b64(1)),
    ]);
    let new = s.cli_with(&[
        ("DATABASE_URL", &db.url),
        ("CRM_META_TOKEN_KEY", &key_b64(2)),
    ]);

    // Without the old key the rotation cannot read the tokens: refused, nothing changed.
    assert_clean_failure(
        &new.run_async(&["keys", "rotate"]).await,
        1,
        "CRM_META_TOKEN_KEYS_PREVIOUS",
    );
    let dry = rotating
        .run_async(&["--json", "keys", "rotate", "--dry-run"])
        .await;
    dry.assert_code(0);
    assert_eq!(dry.json()["to_move"], 3);
    old.run_async(&["test-connection", "--all"])
        .await
        .assert_code(0);

    let run = rotating.run_async(&["--json", "keys", "rotate"]).await;
    run.assert_code(0);
    assert_eq!(run.json()["moved"], 3);
    new.run_async(&["test-connection", "--all"])
        .await
        .assert_code(0);
    // A machine still on the old key is told which key it lacks.
    assert_clean_failure(
        &old.run_async(&["test-connection", "--all"]).await,
        1,
        "CRM_META_TOKEN_KEYS_PREVIOUS",
    );
    let rows: i64 = db
        .scalar("SELECT COUNT(*) FROM meta_audit_log WHERE action = 'rotate'")
        .await;
    assert_eq!(rows, 3);
    let keys: i64 = db
        .scalar("SELECT COUNT(DISTINCT token_key_id) FROM meta_tokens")
        .await;
    assert_eq!(keys, 1);
    // Again: nothing to move; --prune names the variable's key no row uses.
    let again = rotating
        .run_async(&["--json", "keys", "rotate", "--prune"])
        .await;
    again.assert_code(0);
    assert_eq!(again.json()["moved"], 0);
    let unused = again.json()["unused_variables"].to_string();
    assert!(
        unused.contains(crate::support::cipher(1).current_key_id())
            && unused.contains("CRM_META_TOKEN_KEYS_PREVIOUS"),
        "{unused}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_rotation_leaves_every_token_readable() {
    let db = crate::support::pg_or_skip!();
    let store = crm_meta::store::Store::connect(&db.target()).await.unwrap();
    store.migrate().await.unwrap();
    db.execute("INSERT INTO tenants (id, name) SELECT g, 'T' || g FROM generate_series(1, 3000) g")
        .await;
    let old_cipher = crate::support::cipher(1);
    let rows = crate::support::bulk_connections(3000);
    store.upsert_connections(&old_cipher, &rows).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path())
        .env("DATABASE_URL", &db.url)
        .env("CRM_META_TOKEN_KEY", &key_b64(2))
        .env("CRM_META_TOKEN_KEYS_PREVIOUS", &key_b64(1));
    // Aborted right after its first batch committed, as a crash would.
    let crashed = cli
        .clone()
        .env("CRM_META_CRASH_AT", "batch")
        .run_async(&["keys", "rotate"])
        .await;
    assert_ne!(crashed.code, 0, "the rotation was not interrupted");
    let moved: i64 = db
        .scalar(&format!(
            "SELECT COUNT(*) FROM meta_tokens WHERE token_key_id = '{}'",
            crate::support::cipher(2).current_key_id()
        ))
        .await;
    assert!(
        moved > 0 && moved < 3000,
        "one batch moved, the rest did not: {moved}"
    );
    // Whatever moved, every token opens with the two keys.
    let both = crate::support::cipher(2).with_previous([crate::support::token_key(1)]);
    let tokens = store.tokens(&both).await.unwrap();
    assert_eq!(tokens.len(), 3000);
    store.close().await;
    // And the rotation can be run again to completion.
    cli.run_async(&["keys", "rotate"]).await.assert_code(0);
    let keys: Vec<String> = {
        let store = crm_meta::store::Store::connect(&db.target()).await.unwrap();
        let keys = store
            .key_ids()
            .await
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        store.close().await;
        keys
    };
    assert_eq!(
        keys,
        vec![crate::support::cipher(2).current_key_id().to_owned()]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rotating_the_embedded_store_with_a_named_key_makes_it_current_on_disk() {
    let s = setup(World::demo(1, 1), &["7"]).await;
    connect_token(&s, &s.cli, "7").await;
    let new_key = key_b64(9);
    let rotate = s.cli_with(&[("CRM_META_TOKEN_KEY", &new_key)]);
    rotate.run_async(&["keys", "rotate"]).await.assert_code(0);
    let home = s.cli.home.join("crm-meta");
    let id = crate::support::cipher(9).current_key_id().to_owned();
    let file = std::fs::read_to_string(home.join(format!("keys/{id}.key"))).unwrap();
    assert_eq!(file.trim(), new_key);
    let current = std::fs::read_to_string(home.join("keys/current")).unwrap();
    assert_eq!(current.trim(), id);
    // No variable needed afterwards.
    s.cli
        .run_async(&["test-connection", "--tenant", "7"])
        .await
        .assert_code(0);
}
