//! `audit --format prometheus` and `--metrics-file`: the text format the
//! reference parser accepts (checked with Prometheus's own `promtool` when
//! installed; CI installs it), per-tenant and per-run metrics, and a file
//! replaced atomically for node_exporter's textfile collector.

use std::path::Path;

use fake_meta::World;

use crate::support::fake_env;

const SCOPES: &[&str] = &["ads_read", "business_management"];

/// Three tenants: one ok, one revoked, one system user that never expires.
async fn three_tenants() -> (crate::support::FakeEnv, Vec<String>) {
    let s = fake_env(World::demo(1, 1), &["1", "2", "3"]).await;
    let tokens = {
        let mut w = s.fake.world();
        vec![
            w.issue_token("20001", "USER", Some(50 * 86_400), SCOPES),
            w.issue_token("20002", "USER", Some(50 * 86_400), SCOPES),
            w.issue_token("20003", "SYSTEM_USER", None, SCOPES),
        ]
    };
    let input: String = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{{\"tenant_id\": {}, \"access_token\": \"{t}\"}}\n", i + 1))
        .collect();
    s.cli
        .run_with_stdin_async(&["--json", "import"], &input)
        .await
        .assert_code(0);
    s.fake.world().tokens.get_mut(&tokens[1]).unwrap().valid = false;
    (s, tokens)
}

/// `promtool check metrics` on `text`, when promtool is there (required in CI).
fn promtool_accepts(text: &str) {
    let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"]
        .into_iter()
        .find(|p| Path::new(p).is_file());
    let Some(promtool) = promtool else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs promtool to check the metrics (apt-get install prometheus)"
        );
        eprintln!("note: promtool not installed; the metrics were not run through it");
        return;
    };
    use std::io::Write;
    let mut child = std::process::Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    // promtool's lint also flags style (a counter must end in _total, …):
    // any complaint at all fails the test.
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool: {said}\n{text}"
    );
}

fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.strip_prefix(' '))
        })
        .map(|v| v.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_as_prometheus_text_is_valid_and_complete() {
    let (s, tokens) = three_tenants().await;
    let run = s.cli.run_async(&["audit", "--format", "prometheus"]).await;
    run.assert_code(3);
    let text = run.stdout.clone();
    promtool_accepts(&text);
    let expiry = sample(
        &text,
        "crm_meta_token_expiry_timestamp_seconds{tenant_id=\"1\"}",
    )
    .unwrap();
    let expected = (fake_meta::now() + 50 * 86_400) as f64;
    assert!((expiry - expected).abs() < 120.0, "{expiry} vs {expected}");
    assert!(
        sample(
            &text,
            "crm_meta_token_data_access_expiry_timestamp_seconds{tenant_id=\"1\"}"
        )
        .is_some()
    );
    // The system user's token never expires: no expiry sample, but a status.
    assert_eq!(
        sample(
            &text,
            "crm_meta_token_expiry_timestamp_seconds{tenant_id=\"3\"}"
        ),
        None
    );
    assert_eq!(
        sample(
            &text,
            "crm_meta_token_status{tenant_id=\"2\",status=\"invalid\"}"
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "crm_meta_token_status{tenant_id=\"3\",status=\"ok\"}"
        ),
        Some(1.0)
    );
    assert_eq!(sample(&text, "crm_meta_tokens{status=\"ok\"}"), Some(2.0));
    assert_eq!(
        sample(&text, "crm_meta_tokens{status=\"invalid\"}"),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "crm_meta_tokens{status=\"expired\"}"),
        Some(0.0)
    );
    let last_run = sample(&text, "crm_meta_audit_last_run_timestamp_seconds").unwrap();
    assert!((last_run - fake_meta::now() as f64).abs() < 120.0);
    assert!(sample(&text, "crm_meta_audit_duration_seconds").unwrap() > 0.0);
    assert!(sample(&text, "crm_meta_graph_requests_total").unwrap() >= 1.0);
    for token in &tokens {
        assert!(!text.contains(token.as_str()), "a token leaked");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_file_is_replaced_atomically_beside_any_format() {
    let (s, _) = three_tenants().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crm_meta.prom");
    std::fs::write(&path, "stale\n").unwrap();
    let file = path.to_str().unwrap();

    let run = s
        .cli
        .run_async(&["--json", "audit", "--metrics-file", file])
        .await;
    run.assert_code(3);
    let json = run.json();
    assert_eq!(json["summary"]["total"], 3, "the JSON document is whole");
    assert_eq!(json["tenants"].as_array().unwrap().len(), 3);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("stale"));
    promtool_accepts(&text);
    assert_eq!(
        sample(&text, "crm_meta_tokens{status=\"invalid\"}"),
        Some(1.0)
    );
    // Readable by node_exporter's user; nothing else left in the directory.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
    }
    let entries: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(entries.len(), 1, "a temporary file was left behind");

    // With the table, and with prometheus on stdout too: the same metrics.
    let table = s.cli.run_async(&["audit", "--metrics-file", file]).await;
    table.assert_code(3);
    assert!(table.stdout.contains("INVALID"), "{}", table.stdout);
    let both = s
        .cli
        .run_async(&["audit", "--format", "prometheus", "--metrics-file", file])
        .await;
    both.assert_code(3);
    assert_eq!(both.stdout, std::fs::read_to_string(&path).unwrap());

    // A directory that cannot take it: a clear error, the old file intact.
    let missing = dir.path().join("no/such/dir/crm_meta.prom");
    let run = s
        .cli
        .run_async(&["audit", "--metrics-file", missing.to_str().unwrap()])
        .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("writing the metrics to"),
        "{}",
        run.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_and_json_stream_every_tenant_in_order() {
    let (s, _) = three_tenants().await;
    let csv = s.cli.run_async(&["audit", "--format", "csv"]).await;
    csv.assert_code(3);
    let lines: Vec<&str> = csv.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", csv.stdout);
    assert!(lines[0].starts_with("tenant_id,status"));
    assert!(lines[2].starts_with("2,invalid"));
    let json = s.cli.run_async(&["--json", "audit"]).await.json();
    let ids: Vec<i64> = json["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tenant_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3]);
}
