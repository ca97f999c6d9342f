//! `crm-meta connect` through the real binary, against the fake Meta over
//! HTTP and a real database. The "browser" is curl following redirects.

use fake_meta::{Dialog, FakeMeta, Fault, User, World};
use serde_json::Value;

use crate::support::{Cli, free_port, key_b64, script};

struct Setup {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    fake: FakeMeta,
    cli: Cli,
    port: u16,
}

async fn setup(world: World) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_owned();
    let fake = FakeMeta::start(world).await.unwrap();
    let port = free_port();
    let browser = script(&path, "browser", "exec curl -sS -L -o /dev/null \"$1\"");
    let mut cli = Cli::new(&path)
        .env("BROWSER", browser.to_str().unwrap())
        .env(
            "META_REDIRECT_URI",
            &format!("http://localhost:{port}/callback"),
        );
    for (key, value) in fake.env() {
        cli = cli.env(key, &value);
    }
    cli.run(&["tenants", "add", "--id", "7", "--name", "Acme"])
        .assert_code(0);
    cli.run(&["tenants", "add", "--id", "8", "--name", "Beta"])
        .assert_code(0);
    Setup {
        _dir: dir,
        dir: path,
        fake,
        cli,
        port,
    }
}

fn tenant(list: &Value, id: i64) -> Value {
    list["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tenant_id"] == id)
        .cloned()
        .unwrap()
}

async fn assert_not_connected(cli: &Cli, id: i64) {
    let list = cli.run_async(&["--json", "tenants", "list"]).await;
    list.assert_code(0);
    assert_eq!(
        tenant(&list.json(), id)["status"],
        "not_connected",
        "something was stored"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn full_flow_through_the_browser_stores_a_verified_long_lived_token() {
    let s = setup(World::demo(2, 3)).await;
    let run = s
        .cli
        .run_async(&["--json", "-vvv", "connect", "--tenant", "7"])
        .await;
    run.assert_code(0);
    let json = run.json();
    assert_eq!(json["tenant_id"], 7);
    assert_eq!(json["status"], "ok");
    assert_eq!(json["meta_user_id"], "10001");
    assert_eq!(json["stored"], true);
    assert!(json["expires_at"].is_string() && json["data_access_expires_at"].is_string());
    assert!(
        json["token_fingerprint"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(json["business_managers"].as_array().unwrap().len(), 2);
    assert_eq!(
        json["business_managers"][0]["ad_accounts"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        json["business_managers"][0]["ad_accounts"][3]["relation"],
        "client"
    );
    assert_eq!(json["personal_ad_accounts"][1]["status"], "closed");
    assert!(
        run.stderr.contains("dialog/oauth?"),
        "the URL must be printed on stderr: {}",
        run.stderr
    );

    // The stored token is the long-lived one, used with PKCE.
    {
        let world = s.fake.world();
        assert_eq!(world.pkce_exchanges, 1);
        assert!(world.http_requests("/oauth/access_token") >= 2);
        assert_eq!(
            world
                .last_dialog_query
                .get("code_challenge_method")
                .map(String::as_str),
            Some("S256")
        );
    }
    let list = s.cli.run_async(&["--json", "tenants", "list"]).await;
    let row = tenant(&list.json(), 7);
    assert_eq!(row["status"], "ok");
    assert_eq!(row["meta_user_id"], "10001");
    assert_eq!(tenant(&list.json(), 8)["status"], "not_connected");

    // No token, code or secret anywhere in what the tool printed.
    let secrets: Vec<String> = s
        .fake
        .world()
        .tokens
        .keys()
        .cloned()
        .chain([fake_meta::APP_SECRET.to_owned()])
        .collect();
    for secret in &secrets {
        assert!(
            !run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()),
            "a secret leaked"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_user_declining_ends_with_exit_6_and_meta_s_reason() {
    let mut world = World::demo(1, 1);
    world.dialog = Dialog::Deny;
    let s = setup(world).await;
    let run = s.cli.run_async(&["connect", "--tenant", "7"]).await;
    run.assert_code(6);
    assert!(run.stderr.contains("Permissions error"), "{}", run.stderr);
    assert_not_connected(&s.cli, 7).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_callback_times_out_with_exit_6_and_frees_the_port() {
    let s = setup(World::demo(1, 1)).await;
    let cli = Cli::new(&s.dir).env("BROWSER", "true");
    let cli = s.fake.env().into_iter().fold(cli, |c, (k, v)| c.env(k, &v));
    let cli = cli.env(
        "META_REDIRECT_URI",
        &format!("http://localhost:{}/callback", s.port),
    );
    let started = std::time::Instant::now();
    let run = cli
        .run_async(&["--json", "connect", "--tenant", "7", "--timeout", "1"])
        .await;
    run.assert_code(6);
    assert_eq!(run.json()["error"]["kind"], "timed_out");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    std::net::TcpListener::bind(("127.0.0.1", s.port)).expect("the listener must be gone");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_callback_is_refused_and_the_real_one_still_completes() {
    let s = setup(World::demo(1, 1)).await;
    let log = s.dir.join("forged.txt");
    let port = s.port;
    let browser = script(
        &s.dir,
        "forging-browser",
        &format!(
            "curl -sS -o /dev/null -w '%{{http_code}}\\n' 'http://localhost:{port}/callback?code=AQforged&state=t7.forged' >> {log}\n\
             curl -sS -o /dev/null -w '%{{http_code}}\\n' 'http://localhost:{port}/callback?code=AQnostate' >> {log}\n\
             curl -sS -o /dev/null -w '%{{http_code}}\\n' 'http://localhost:{port}/elsewhere' >> {log}\n\
             exec curl -sS -L -D {headers} -o /dev/null \"$1\"",
            log = log.display(),
            headers = s.dir.join("headers.txt").display()
        ),
    );
    let cli = Cli::new(&s.dir)
        .env("BROWSER", browser.to_str().unwrap())
        .env(
            "META_REDIRECT_URI",
            &format!("http://localhost:{port}/callback"),
        );
    let cli = s.fake.env().into_iter().fold(cli, |c, (k, v)| c.env(k, &v));
    let run = cli.run_async(&["connect", "--tenant", "7"]).await;
    run.assert_code(0);
    let codes = std::fs::read_to_string(&log).unwrap();
    assert_eq!(
        codes.lines().collect::<Vec<_>>(),
        ["400", "400", "404"],
        "forged callbacks must get 4xx"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pasted_url_completes_the_flow_and_a_replayed_code_is_refused() {
    let s = setup(World::demo(1, 1)).await;
    // An HTTPS redirect no loopback listener could receive: only pasting works.
    let redirect = "https://crm.example/crm/auth/meta/callback";
    let cli = Cli::new(&s.dir).env("META_REDIRECT_URI", redirect);
    let cli = s.fake.env().into_iter().fold(cli, |c, (k, v)| c.env(k, &v));

    let (run, first_code) =
        paste_flow(&cli, &["connect", "--tenant", "7", "--no-browser"], None).await;
    run.assert_code(0);
    // The same code again, now with the second run's valid state: Meta refuses it.
    let (run, _) = paste_flow(
        &cli,
        &["--yes", "connect", "--tenant", "8", "--no-browser"],
        Some(first_code),
    )
    .await;
    run.assert_code(5);
    assert!(run.stderr.contains("has been used"), "{}", run.stderr);
    assert_not_connected(&cli, 8).await;
}

/// Runs `connect --no-browser`, reads the URL it prints, has the fake dialog
/// approve it, and pastes the redirect back (with `code` replaced if given).
async fn paste_flow(
    cli: &Cli,
    args: &[&str],
    replace_code: Option<String>,
) -> (crate::support::Run, String) {
    use std::io::{BufRead, Write};
    let mut child = cli
        .command(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let url = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "no URL printed: {seen}"
        );
        seen.push_str(&line);
        if let Some(url) = line.trim().strip_prefix("http") {
            break format!("http{url}");
        }
    };
    let location = tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new("curl")
            .args(["-sS", "-o", "/dev/null", "-w", "%{redirect_url}", &url])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    })
    .await
    .unwrap();
    let parsed = url::Url::parse(&location).unwrap();
    let code = parsed
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let state = parsed
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let pasted = match &replace_code {
        Some(old) => format!("https://crm.example/crm/auth/meta/callback?code={old}&state={state}"),
        None => location.clone(),
    };
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{pasted}").unwrap();
    drop(stdin);
    let run = tokio::task::spawn_blocking(move || {
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
        let out = child.wait_with_output().unwrap();
        crate::support::Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: seen + &rest,
        }
    })
    .await
    .unwrap();
    (run, code)
}

#[tokio::test(flavor = "multi_thread")]
async fn with_token_verifies_and_stores_an_existing_token() {
    let s = setup(World::demo(1, 2)).await;
    let token = s.fake.world().issue_token(
        "10001",
        "SYSTEM_USER",
        None,
        &["ads_read", "business_management"],
    );
    let run = s
        .cli
        .run_with_stdin_async(
            &["--json", "connect", "--tenant", "7", "--with-token"],
            &format!("{token}\n"),
        )
        .await;
    run.assert_code(0);
    let json = run.json();
    assert_eq!(
        json["expires_at"],
        Value::Null,
        "a system-user token never expires"
    );
    assert_eq!(json["token_type"], "SYSTEM_USER");
    assert!(!run.stdout.contains(&token) && !run.stderr.contains(&token));

    // A token of another app is refused and nothing is stored.
    let foreign = {
        let mut world = s.fake.world();
        let t = world.issue_token(
            "10001",
            "USER",
            Some(86_400),
            &["ads_read", "business_management"],
        );
        world.tokens.get_mut(&t).unwrap().app_id = "999".into();
        t
    };
    let run = s
        .cli
        .run_with_stdin_async(
            &["--json", "connect", "--tenant", "8", "--with-token"],
            &foreign,
        )
        .await;
    run.assert_code(3);
    assert_eq!(run.json()["error"]["kind"], "token_wrong_app");
    assert_not_connected(&s.cli, 8).await;

    // Garbage on stdin is a clear error, not a Meta call.
    let run = s
        .cli
        .run_with_stdin_async(&["connect", "--tenant", "8", "--with-token"], "two words\n")
        .await;
    run.assert_code(1);
    assert!(run.stderr.contains("--with-token"), "{}", run.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_missing_a_required_scope_is_reported_and_not_stored_unless_yes() {
    let mut world = World::demo(1, 1);
    let mut user = User::new("20002", "Limited");
    user.grants = vec!["ads_read".into()];
    world.dialog = Dialog::Approve {
        user_id: user.id.clone(),
    };
    world.users.insert(user.id.clone(), user);
    let s = setup(world).await;
    let run = s
        .cli
        .run_async(&["--json", "connect", "--tenant", "7"])
        .await;
    run.assert_code(3);
    assert_eq!(
        run.json()["missing_scopes"],
        serde_json::json!(["business_management"])
    );
    assert!(run.stderr.contains("business_management"), "{}", run.stderr);
    assert_not_connected(&s.cli, 7).await;
    // Stored with --yes, though its business managers cannot be read without the scope.
    let run = s
        .cli
        .run_async(&["--yes", "--json", "connect", "--tenant", "7"])
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["status"], "missing_scope");
    assert_eq!(run.json()["stored"], true);
    let list = s.cli.run_async(&["--json", "tenants", "list"]).await;
    assert_eq!(tenant(&list.json(), 7)["meta_user_id"], "20002");
    assert_eq!(tenant(&list.json(), 7)["status"], "missing_scope");
}

#[tokio::test(flavor = "multi_thread")]
async fn meta_failing_midway_stores_nothing() {
    let s = setup(World::demo(3, 2)).await;
    s.fake.world().fail_next(
        "client_ad_accounts",
        100,
        Fault::Error {
            status: 400,
            code: 100,
            subcode: None,
            message: "Unsupported get request.".into(),
        },
    );
    let run = s
        .cli
        .run_async(&["--json", "connect", "--tenant", "7"])
        .await;
    run.assert_code(5);
    assert_eq!(run.json()["error"]["exit_code"], 5);
    assert_not_connected(&s.cli, 7).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn transient_meta_errors_are_retried() {
    let s = setup(World::demo(1, 1)).await;
    s.fake.world().fail_next("debug_token", 2, Fault::Transient);
    s.fake.world().fail_next("me/businesses", 1, Fault::Html);
    let run = s
        .cli
        .run_async(&["--json", "connect", "--tenant", "7"])
        .await;
    run.assert_code(0);
    assert!(s.fake.world().http_requests("debug_token") >= 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_are_waited_out_within_bounds_else_exit_5() {
    let s = setup(World::demo(1, 1)).await;
    s.fake
        .world()
        .fail_next("me/businesses", 2, Fault::RateLimit(17));
    let run = s
        .cli
        .run_async(&["--json", "connect", "--tenant", "7"])
        .await;
    run.assert_code(0);
    assert_eq!(s.fake.world().http_requests("me/businesses"), 3);

    s.fake
        .world()
        .fail_next("me/businesses", 50, Fault::RateLimit(80_004));
    let cli = Cli::new(&s.dir).env("META_RATE_LIMIT_MAX_WAIT", "1");
    let cli = s.fake.env().into_iter().fold(cli, |c, (k, v)| c.env(k, &v));
    let run = cli
        .env("BROWSER", s.dir.join("browser").to_str().unwrap())
        .env(
            "META_REDIRECT_URI",
            &format!("http://localhost:{}/callback", s.port),
        )
        .run_async(&["--json", "--yes", "connect", "--tenant", "8"])
        .await;
    run.assert_code(5);
    assert_eq!(run.json()["error"]["kind"], "meta_rate_limited");
    assert_not_connected(&s.cli, 8).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_cancels_with_exit_6() {
    use std::io::BufRead;
    let s = setup(World::demo(1, 1)).await;
    let cli = Cli::new(&s.dir).env("BROWSER", "true").env(
        "META_REDIRECT_URI",
        &format!("http://localhost:{}/callback", s.port),
    );
    let cli = s.fake.env().into_iter().fold(cli, |c, (k, v)| c.env(k, &v));
    let mut child = cli
        .command(&["connect", "--tenant", "7"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("Waiting") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0);
    }
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(6));
    assert_not_connected(&s.cli, 7).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn replacing_a_connection_needs_yes_without_a_terminal() {
    let s = setup(World::demo(1, 1)).await;
    s.cli
        .run_async(&["connect", "--tenant", "7"])
        .await
        .assert_code(0);
    let run = s.cli.run_async(&["connect", "--tenant", "7"]).await;
    run.assert_code(1);
    assert!(run.stderr.contains("--yes"), "{}", run.stderr);
    let run = s
        .cli
        .run_async(&["--json", "--yes", "connect", "--tenant", "7"])
        .await;
    run.assert_code(0);
    assert_eq!(run.json()["replaced"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_tenants_and_missing_settings_fail_before_any_network() {
    let s = setup(World::demo(1, 1)).await;
    let run = s.cli.run_async(&["connect", "--tenant", "99"]).await;
    run.assert_code(1);
    assert!(run.stderr.contains("99"), "{}", run.stderr);
    let bare = Cli::new(&s.dir);
    let run = bare.run_async(&["connect", "--tenant", "7"]).await;
    run.assert_code(1);
    assert!(run.stderr.contains("META_APP_ID"), "{}", run.stderr);
    assert_eq!(
        s.fake.world().requests.len(),
        0,
        "no request may reach Meta"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn config_id_is_sent_instead_of_scope() {
    let mut world = World::demo(1, 1);
    world.login_configs.insert(
        "777".into(),
        vec!["ads_read".into(), "business_management".into()],
    );
    let s = setup(world).await;
    let run = s
        .cli
        .run_async(&["--json", "connect", "--tenant", "7", "--config-id", "777"])
        .await;
    run.assert_code(0);
    let query = s.fake.world().last_dialog_query.clone();
    assert_eq!(query.get("config_id").map(String::as_str), Some("777"));
    assert!(!query.contains_key("scope"));
    assert_eq!(
        run.json()["scopes"],
        serde_json::json!(["ads_read", "business_management"])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn full_flow_on_postgres() {
    let db = crate::support::pg_or_skip!();
    let s = setup(World::demo(1, 2)).await;
    let cli = Cli::new(&s.dir)
        .env("DATABASE_URL", &db.url)
        .env("CRM_META_TOKEN_KEY", &key_b64(3))
        .env("BROWSER", s.dir.join("browser").to_str().unwrap())
        .env(
            "META_REDIRECT_URI",
            &format!("http://localhost:{}/callback", s.port),
        );
    let cli = s.fake.env().into_iter().fold(cli, |c, (k, v)| c.env(k, &v));
    cli.run_async(&["migrate"]).await.assert_code(0);
    cli.run_async(&["tenants", "add", "--id", "7", "--name", "Acme"])
        .await
        .assert_code(0);
    cli.run_async(&["connect", "--tenant", "7"])
        .await
        .assert_code(0);
    let stored: String = db
        .scalar("SELECT access_token FROM meta_tokens WHERE tenant_id = 7")
        .await;
    assert!(stored.starts_with("v1:"));
    for token in s.fake.world().tokens.keys() {
        assert!(!stored.contains(token.as_str()));
    }
    let audit: i64 = db
        .scalar("SELECT COUNT(*) FROM meta_audit_log WHERE tenant_id = 7 AND action = 'connect'")
        .await;
    assert_eq!(audit, 1);
}
