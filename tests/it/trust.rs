//! Ordinary actions that must never lose or leak a token: rotating keys
//! while someone connects, a crash at any instant of a rotation, a key file
//! moved away, a disconnect racing a connect, loose file modes, a hostile
//! `.env`, escape sequences from Meta and the other loopback address.
//! Everything runs the real binary against the fake Meta and real stores.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fake_meta::{AdAccount, Fault, World};

use crate::support::{Cli, FakeEnv, fake_env, free_port, key_files, script};

const SCOPES: &[&str] = &["ads_read", "business_management"];

fn issue(s: &FakeEnv, user: &str) -> String {
    s.fake
        .world()
        .issue_token(user, "USER", Some(50 * 86_400), SCOPES)
}

async fn connect_with_token(cli: &Cli, tenant: &str, token: &str) {
    cli.run_with_stdin_async(
        &["--yes", "connect", "--tenant", tenant, "--with-token"],
        token,
    )
    .await
    .assert_code(0);
}

/// A `connect` in browser mode whose "browser" approves only after `delay`,
/// as an operator still reading the consent screen would.
fn slow_connect(s: &FakeEnv, tenant: &str, delay: &str) -> std::process::Child {
    let port = free_port();
    let browser = script(
        &s.cli.home,
        &format!("slow-browser-{tenant}"),
        &format!("(sleep {delay}; exec curl -sS -L -o /dev/null \"$1\") >/dev/null 2>&1 &"),
    );
    s.cli
        .clone()
        .env("BROWSER", browser.to_str().unwrap())
        .env(
            "META_REDIRECT_URI",
            &format!("http://localhost:{port}/callback"),
        )
        .command(&["--yes", "connect", "--tenant", tenant, "--timeout", "30"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

async fn finish(child: std::process::Child) -> std::process::Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

fn keys_list(cli: &Cli) -> serde_json::Value {
    let run = cli.run(&["--json", "keys", "list"]);
    run.json()["keys"].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connect_that_loaded_its_key_before_a_rotation_stores_a_token_that_opens() {
    let s = fake_env(World::demo(1, 1), &["7", "8"]).await;
    connect_with_token(&s.cli, "8", &issue(&s, "10001")).await;
    let old_key = keys_list(&s.cli)[0]["key_id"].as_str().unwrap().to_owned();
    let connecting = slow_connect(&s, "7", "2");
    tokio::time::sleep(Duration::from_millis(700)).await;
    // The rotation runs to completion while the connect waits in the browser.
    let rotated = s.cli.run_async(&["--json", "keys", "rotate"]).await;
    rotated.assert_code(0);
    let new_key = rotated.json()["to_key_id"].as_str().unwrap().to_owned();
    assert_ne!(new_key, old_key);
    let out = finish(connecting).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The connect sealed its token under the key it loaded, which the store keeps.
    let keys = keys_list(&s.cli);
    let rows = |id: &str| {
        keys.as_array()
            .unwrap()
            .iter()
            .find(|k| k["key_id"] == id)
            .map(|k| (k["rows"].as_i64().unwrap(), k["present"] == true))
    };
    assert_eq!(rows(&old_key), Some((1, true)), "{keys}");
    assert_eq!(rows(&new_key), Some((1, true)), "{keys}");
    s.cli
        .run_async(&["test-connection", "--all"])
        .await
        .assert_code(0);
    // Running it again moves the straggler and, with --prune, forgets the old keys.
    let again = s
        .cli
        .run_async(&["--json", "keys", "rotate", "--prune"])
        .await;
    again.assert_code(0);
    assert_eq!(again.json()["moved"], 2);
    assert_eq!(keys_list(&s.cli).as_array().unwrap().len(), 1);
    assert_eq!(key_files(&s.cli.home.join("crm-meta")).len(), 1);
    s.cli
        .run_async(&["test-connection", "--all"])
        .await
        .assert_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connect_whose_key_was_pruned_meanwhile_writes_under_the_current_key() {
    let s = fake_env(World::demo(1, 1), &["7", "8"]).await;
    connect_with_token(&s.cli, "8", &issue(&s, "10001")).await;
    let connecting = slow_connect(&s, "7", "2");
    tokio::time::sleep(Duration::from_millis(700)).await;
    // Every row moves and the key the connect loaded is deleted.
    let pruned = s
        .cli
        .run_async(&["--json", "keys", "rotate", "--prune"])
        .await;
    pruned.assert_code(0);
    assert_eq!(pruned.json()["pruned"].as_array().unwrap().len(), 1);
    let out = finish(connecting).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys = keys_list(&s.cli);
    assert_eq!(keys.as_array().unwrap().len(), 1, "{keys}");
    assert_eq!(keys[0]["rows"], 2, "{keys}");
    s.cli
        .run_async(&["test-connection", "--all"])
        .await
        .assert_code(0);
}

/// An embedded store of `count` connections sealed under its own generated key.
async fn store_with_tokens(home: &Path, count: i32) {
    use crm_meta::keyring::{KeyDir, KeySettings, Keyring};
    use crm_meta::store::Store;
    let target = crm_meta::settings::DatabaseTarget::Sqlite {
        path: home.join("crm-meta.db"),
    };
    let store = Store::open(&target).await.unwrap();
    if let Store::Sqlite(pool) = &store {
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) \
             INSERT INTO tenants (id, name) SELECT i, 'T' || i FROM n",
        )
        .bind(count)
        .execute(pool)
        .await
        .unwrap();
    }
    let keyring = Keyring::load(
        KeySettings {
            home: Some(KeyDir::new(home)),
            ..KeySettings::default()
        },
        &[],
    )
    .unwrap();
    let rows = crate::support::bulk_connections(count);
    store.upsert_connections(&keyring, &rows).await.unwrap();
    store.close().await;
}

/// Every token opens with the keys on disk (a dry run reads them all).
fn assert_every_token_opens(cli: &Cli, tokens: i64, context: &str) {
    let dry = cli.run(&["--json", "keys", "rotate", "--dry-run"]);
    assert_eq!(dry.code, 0, "{context}: {}", dry.stderr);
    assert_eq!(dry.json()["tokens"], tokens, "{context}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_killed_at_any_point_leaves_every_token_openable_and_completes_when_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path());
    store_with_tokens(&dir.path().join("crm-meta"), 1200).await;
    // Named points: after the key is saved, after it is marked current,
    // after the first batch, and in the middle of a prune.
    for point in ["key_saved", "key_marked", "batch", "prune"] {
        let crashed = cli
            .clone()
            .env("CRM_META_CRASH_AT", point)
            .run(&["keys", "rotate", "--prune"]);
        assert_ne!(
            crashed.code, 0,
            "{point}: the crash point was never reached"
        );
        assert_every_token_opens(&cli, 1200, point);
    }
    // And SIGKILL at instants spread over whole rotations.
    for delay_ms in (0..400).step_by(25) {
        let mut child = cli
            .command(&["keys", "rotate", "--prune"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        assert_every_token_opens(&cli, 1200, &format!("killed after {delay_ms} ms"));
    }
    let done = cli.run(&["--json", "keys", "rotate", "--prune"]);
    done.assert_code(0);
    let keys = keys_list(&cli);
    assert_eq!(keys.as_array().unwrap().len(), 1, "{keys}");
    assert_eq!(keys[0]["rows"], 1200);
    assert_eq!(keys[0]["current"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_key_file_is_refused_and_never_replaced() {
    let s = fake_env(World::demo(1, 1), &["7", "8"]).await;
    connect_with_token(&s.cli, "7", &issue(&s, "10001")).await;
    let home = s.cli.home.join("crm-meta");
    let key_id = keys_list(&s.cli)[0]["key_id"].as_str().unwrap().to_owned();
    std::fs::rename(home.join("keys"), s.cli.home.join("keys-moved")).unwrap();
    for args in [
        vec!["test-connection", "--tenant", "7"],
        vec!["audit"],
        vec!["--yes", "connect", "--tenant", "8", "--with-token"],
    ] {
        let run = s.cli.run_with_stdin_async(&args, &issue(&s, "10001")).await;
        run.assert_code(1);
        assert!(run.stderr.contains(&key_id), "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("keys/{key_id}.key")),
            "{}",
            run.stderr
        );
        assert!(!home.join("keys").exists(), "{args:?} generated a key");
    }
    // keys list shows what is missing, and exits 3.
    let list = s.cli.run(&["--json", "keys", "list"]);
    list.assert_code(3);
    assert_eq!(list.json()["keys"][0]["present"], false);
    // Put back, everything works again.
    std::fs::rename(s.cli.home.join("keys-moved"), home.join("keys")).unwrap();
    s.cli
        .run_async(&["test-connection", "--tenant", "7"])
        .await
        .assert_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_deletes_only_the_connection_it_revoked() {
    let s = fake_env(World::demo(1, 1), &["7"]).await;
    {
        let mut world = s.fake.world();
        let mut other = fake_meta::User::new("20002", "Other User");
        other.personal = vec![AdAccount::new("222", "Other account")];
        world.users.insert(other.id.clone(), other);
    }
    connect_with_token(&s.cli, "7", &issue(&s, "10001")).await;
    s.fake
        .world()
        .fail_next("me/permissions", 1, Fault::Delay(Duration::from_secs(3)));
    let disconnecting = s
        .cli
        .command(&["--yes", "disconnect", "--tenant", "7"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    // Meanwhile another operator connects the tenant to another Meta user.
    connect_with_token(&s.cli, "7", &issue(&s, "20002")).await;
    let out = finish(disconnecting).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("changed while"), "{stderr}");
    assert!(stderr.contains("nothing was deleted"), "{stderr}");
    // The new connection is intact and valid.
    let list = s.cli.run_async(&["--json", "tenants", "list"]).await;
    assert_eq!(list.json()["tenants"][0]["meta_user_id"], "20002");
    s.cli
        .run_async(&["test-connection", "--tenant", "7"])
        .await
        .assert_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn disconnect_keep_remote_needs_no_key() {
    let s = fake_env(World::demo(1, 1), &["7"]).await;
    connect_with_token(&s.cli, "7", &issue(&s, "10001")).await;
    let home = s.cli.home.join("crm-meta");
    std::fs::rename(home.join("keys"), s.cli.home.join("keys-away")).unwrap();
    s.cli
        .run_async(&["--yes", "disconnect", "--tenant", "7", "--keep-remote"])
        .await
        .assert_code(0);
    let list = s.cli.run_async(&["--json", "tenants", "list"]).await;
    assert_eq!(list.json()["tenants"][0]["status"], "not_connected");
    assert_eq!(s.fake.world().http_requests("permissions"), 0);
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn store_files_are_private_whatever_the_umask() {
    use std::os::unix::process::CommandExt;
    let s = fake_env(World::demo(1, 1), &[]).await;
    let home = s.cli.home.join("crm-meta");
    let wide_open = |args: &[&str]| {
        let mut cmd = s.cli.command(args);
        // SAFETY: umask is async-signal-safe and touches only the child.
        unsafe {
            cmd.pre_exec(|| {
                libc::umask(0);
                Ok(())
            });
        }
        cmd
    };
    let out = wide_open(&["tenants", "add", "--id", "7", "--name", "A"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let token = issue(&s, "10001");
    let mut child = wide_open(&["--yes", "connect", "--tenant", "7", "--with-token"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(token.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    // A reader holds the database open so that its -wal and -shm exist.
    let reader =
        sqlx::SqlitePool::connect(&format!("sqlite://{}", home.join("crm-meta.db").display()))
            .await
            .unwrap();
    let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM meta_tokens")
        .fetch_one(&reader)
        .await
        .unwrap();
    let out = wide_open(&["tenants", "add", "--id", "8", "--name", "B"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(mode(&home), 0o700);
    assert_eq!(mode(&home.join("keys")), 0o700);
    let mut files = vec![
        home.join("crm-meta.db"),
        home.join("crm-meta.db-wal"),
        home.join("crm-meta.db-shm"),
        home.join("crm-meta.db-lock"),
        home.join("keys/current"),
    ];
    files.extend(key_files(&home));
    for file in files {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    reader.close().await;
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_home_other_users_can_enter_draws_a_warning_and_loose_files_are_tightened() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("crm-meta");
    std::fs::create_dir(&home).unwrap();
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755)).unwrap();
    let cli = Cli::new(dir.path());
    let run = cli.run(&["tenants", "add", "--id", "7", "--name", "A"]);
    run.assert_code(0);
    assert!(
        run.stderr.contains("can be entered by other users"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("chmod 700"), "{}", run.stderr);
    std::fs::set_permissions(
        home.join("crm-meta.db"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    cli.run(&["tenants", "list"]).assert_code(0);
    assert_eq!(mode(&home.join("crm-meta.db")), 0o600);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dotenv_cannot_redirect_secrets_or_run_programs() {
    let s = fake_env(World::demo(1, 1), &["7"]).await;
    connect_with_token(&s.cli, "7", &issue(&s, "10001")).await;
    // A second fake stands in for an attacker's host.
    let evil = fake_meta::FakeMeta::start(World::demo(1, 1)).await.unwrap();
    let marker = s.cli.home.join("browser-ran");
    let browser = script(
        &s.cli.home,
        "evil-browser",
        &format!("touch {}", marker.display()),
    );
    let env_file = s.cli.home.join(".env");
    std::fs::write(
        &env_file,
        format!(
            "META_GRAPH_URL={}\nMETA_DIALOG_URL={}\nBROWSER={}\n",
            evil.base_url(),
            evil.base_url(),
            browser.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    // The real environment names no Graph URL: the default is used, and a
    // closed proxy on loopback stands in for the unreachable internet.
    let dead_proxy = format!("http://127.0.0.1:{}", free_port());
    let (app_id, app_secret) = {
        let world = s.fake.world();
        (world.app_id.clone(), world.app_secret.clone())
    };
    let cli = Cli::new(&s.cli.home)
        .env("META_APP_ID", &app_id)
        .env("META_APP_SECRET", &app_secret)
        .env("HTTPS_PROXY", &dead_proxy)
        .env("META_HTTP_TIMEOUT", "2")
        .env(
            "META_REDIRECT_URI",
            &format!("http://localhost:{}/callback", free_port()),
        );
    let run = cli.run_async(&["test-connection", "--tenant", "7"]).await;
    assert_eq!(run.code, 5, "{}", run.stderr);
    for name in ["META_GRAPH_URL", "META_DIALOG_URL", "BROWSER"] {
        assert!(
            run.stderr.contains(&format!("{name} is ignored")),
            "{}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains(&evil.base_url()), "{}", run.stderr);
    // connect does not run the planted program.
    let run = cli
        .run_async(&["--yes", "connect", "--tenant", "7", "--timeout", "1"])
        .await;
    assert_eq!(run.code, 6, "{}", run.stderr);
    assert!(!marker.exists(), "connect ran the BROWSER from .env");
    assert!(
        evil.world().requests.is_empty(),
        "the planted host was called"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_dotenv_others_can_write_is_ignored_and_a_bad_line_never_echoes_its_value() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path());
    let env_file = dir.path().join(".env");
    let elsewhere = dir.path().join("elsewhere.db");
    std::fs::write(
        &env_file,
        format!("DATABASE_URL=sqlite://{}\n", elsewhere.display()),
    )
    .unwrap();
    std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(0o666)).unwrap();
    let run = cli.run(&["tenants", "add", "--id", "7", "--name", "A"]);
    run.assert_code(0);
    assert!(run.stderr.contains("is ignored"), "{}", run.stderr);
    assert!(!elsewhere.exists(), "the world-writable .env was used");

    std::fs::write(&env_file, "META_APP_ID=1\nMETA_APP_SECRET='hunter2secret\n").unwrap();
    std::fs::set_permissions(&env_file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = cli.run(&["--json", "tenants", "list"]);
    run.assert_code(1);
    assert!(run.stderr.contains("line 2"), "{}", run.stderr);
    assert!(run.stderr.contains("META_APP_SECRET"), "{}", run.stderr);
    assert_eq!(run.json()["error"]["kind"], "config");
    for text in [&run.stdout, &run.stderr] {
        assert!(!text.contains("hunter2"), "the value leaked: {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn escape_sequences_from_meta_never_reach_the_terminal() {
    let mut world = World::demo(1, 1);
    for user in world.users.values_mut() {
        user.personal = vec![AdAccount::new(
            "333",
            "Shop\u{1b}[2J\u{1b}]0;owned\u{7} \u{9b}31mred",
        )];
        user.businesses[0].name = "Biz\u{1b}[8m hidden".into();
    }
    let s = fake_env(world, &["7"]).await;
    connect_with_token(&s.cli, "7", &issue(&s, "10001")).await;
    for args in [
        vec!["list-accounts", "--tenant", "7"],
        vec!["--json", "list-accounts", "--tenant", "7"],
    ] {
        let run = s.cli.run_async(&args).await;
        run.assert_code(0);
        for text in [&run.stdout, &run.stderr] {
            assert!(
                !text.chars().any(|c| c.is_control() && c != '\n'),
                "{args:?}: {text:?}"
            );
            assert!(
                !text.contains("\\u001b") && !text.contains("\\u009b"),
                "{text}"
            );
        }
        assert!(
            run.stdout.contains("Shop[2J]0;owned 31mred"),
            "{}",
            run.stdout
        );
        assert!(run.stdout.contains("Biz[8m hidden"), "{}", run.stdout);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_localhost_redirect_holds_both_loopback_addresses() {
    let s = fake_env(World::demo(1, 1), &["7"]).await;
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("no IPv6 loopback here: nothing to take");
        return;
    }
    // Another program already holds [::1] on the port: connect refuses to start.
    let port = free_port();
    let squatter = std::net::TcpListener::bind(("::1", port)).unwrap();
    let run = s
        .cli
        .clone()
        .env(
            "META_REDIRECT_URI",
            &format!("http://localhost:{port}/callback"),
        )
        .env("BROWSER", "true")
        .run_async(&["--yes", "connect", "--tenant", "7", "--timeout", "5"])
        .await;
    run.assert_code(1);
    assert!(
        run.stderr.contains(&format!("[::1]:{port}")),
        "{}",
        run.stderr
    );
    drop(squatter);
    // While connect waits, nobody else can take either address.
    let port = free_port();
    let child = s
        .cli
        .clone()
        .env(
            "META_REDIRECT_URI",
            &format!("http://localhost:{port}/callback"),
        )
        .env("BROWSER", "true")
        .command(&["--yes", "connect", "--tenant", "7", "--timeout", "3"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let mut both_held = false;
    while started.elapsed() < Duration::from_secs(2) && !both_held {
        tokio::time::sleep(Duration::from_millis(50)).await;
        both_held = std::net::TcpListener::bind(("127.0.0.1", port)).is_err()
            && std::net::TcpListener::bind(("::1", port)).is_err();
    }
    let out = finish(child).await;
    assert!(both_held, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(6), "timed out as asked");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_password_on_the_command_line_draws_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path());
    let url = format!("postgres://crm:s3cret@127.0.0.1:{}/crm", free_port());
    let run = cli
        .run_async(&["tenants", "list", "--database-url", &url])
        .await;
    run.assert_code(1);
    assert!(
        run.stderr.contains("visible to other users"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("DATABASE_URL"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    let quiet = cli
        .clone()
        .env("DATABASE_URL", &url)
        .run_async(&["tenants", "list"])
        .await;
    assert!(
        !quiet.stderr.contains("visible to other users"),
        "{}",
        quiet.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_embedded_databases_never_share_or_prune_each_others_keys() {
    let s = fake_env(World::demo(1, 1), &["7"]).await;
    connect_with_token(&s.cli, "7", &issue(&s, "10001")).await;
    let other_db = s.cli.home.join("other.db");
    let other = s
        .cli
        .clone()
        .env("DATABASE_URL", &format!("sqlite://{}", other_db.display()));
    other
        .run_async(&["tenants", "add", "--id", "8", "--name", "Other"])
        .await
        .assert_code(0);
    connect_with_token(&other, "8", &issue(&s, "10001")).await;
    let other_keys = s.cli.home.join("other.db.keys");
    let other_files: Vec<_> = std::fs::read_dir(&other_keys)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "key"))
        .collect();
    assert_eq!(other_files.len(), 1, "the other database has its own key");
    // Rotating and pruning the default database leaves the other one whole.
    s.cli
        .run_async(&["keys", "rotate", "--prune"])
        .await
        .assert_code(0);
    assert!(other_files[0].exists());
    other
        .run_async(&["test-connection", "--tenant", "8"])
        .await
        .assert_code(0);
    s.cli
        .run_async(&["test-connection", "--tenant", "7"])
        .await
        .assert_code(0);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_rotations_never_prune_the_current_key() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path());
    store_with_tokens(&dir.path().join("crm-meta"), 600).await;
    for _ in 0..3 {
        let children: Vec<_> = (0..3)
            .map(|_| {
                cli.command(&["keys", "rotate", "--prune"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert_every_token_opens(&cli, 600, "after concurrent rotations");
        cli.run(&["keys", "list"]).assert_code(0);
    }
}

#[test]
fn keys_list_on_a_fresh_home_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path());
    let run = cli.run(&["--json", "keys", "list"]);
    run.assert_code(0);
    assert_eq!(run.json()["keys"], serde_json::json!([]));
    assert!(
        !dir.path().join("crm-meta").exists(),
        "keys list made a store"
    );
}
