//! import and audit of 10,000 tenants against the fake Meta with 50 ms of
//! latency per HTTP request, on the embedded store, `leads status --all`
//! over them, then `tenants list`,
//! `keys rotate` of all their tokens, `deadlines` and `log` (over the audit
//! log all that wrote). Prints medians, HTTP requests and peak
//! memory; then an audit under a rate budget below what it needs, which must
//! still end with every tenant's true status, and the same audit with
//! `--max-usage 50`, which must keep the fake's reported usage at or below
//! 55 % and still check every tenant.
//!
//! `cargo bench --bench fleet` (BENCH_RUNS sets the runs per figure, default 5).

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fake_meta::{FakeMeta, RateBudget, World};

const DEFAULT_TENANTS: usize = 10_000;

struct Measured {
    wall: Duration,
    cpu: Duration,
    peak_kib: i64,
    stdout: Vec<u8>,
    ok: bool,
}

/// Runs a command, feeding `stdin`, and reads its own peak RSS with wait4.
fn measure(mut cmd: Command, stdin: &[u8]) -> std::io::Result<Measured> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut child = cmd.spawn()?;
    let mut input = child
        .stdin
        .take()
        .ok_or_else(|| std::io::Error::other("stdin"))?;
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || input.write_all(&data));
    let mut out = child
        .stdout
        .take()
        .ok_or_else(|| std::io::Error::other("stdout"))?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut buf).map(|_| buf)
    });
    // Peak RSS from the child's own VmHWM, read until it exits: wait4's
    // ru_maxrss would also count the moments before exec, when the child is a
    // copy of this (much larger) benchmark process.
    let pid = child.id() as i32;
    let watcher = std::thread::spawn(move || {
        let mut peak_kib = 0i64;
        while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            let Some(hwm) = status.lines().find_map(|l| l.strip_prefix("VmHWM:")) else {
                break;
            };
            peak_kib = hwm
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .unwrap_or(peak_kib);
            std::thread::sleep(Duration::from_millis(2));
        }
        peak_kib
    });
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, whose pid we hold, exactly once.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    if waited < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let peak_kib = watcher
        .join()
        .map_err(|_| std::io::Error::other("watcher"))?;
    writer
        .join()
        .map_err(|_| std::io::Error::other("writer"))??;
    let stdout = reader
        .join()
        .map_err(|_| std::io::Error::other("reader"))??;
    let ok = libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    let cpu = tv(usage.ru_utime) + tv(usage.ru_stime);
    Ok(Measured {
        wall,
        cpu,
        peak_kib,
        stdout,
        ok,
    })
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

/// `debug_token` for every token in Graph batches of 50, `concurrency` in
/// flight, reading each answer whole: what an audit costs with nothing else.
async fn ideal_audit(
    base: &str,
    tokens: &[String],
    concurrency: usize,
) -> Result<Duration, Box<dyn std::error::Error>> {
    use futures::StreamExt;
    let client = reqwest::Client::new();
    let app_token = format!("{}|{}", fake_meta::APP_ID, fake_meta::APP_SECRET);
    let started = Instant::now();
    let answers: Vec<Result<usize, reqwest::Error>> = futures::stream::iter(tokens.chunks(50))
        .map(|chunk| {
            let batch: Vec<serde_json::Value> = chunk
                .iter()
                .map(|t| serde_json::json!({ "method": "GET", "relative_url": format!("debug_token?input_token={t}") }))
                .collect();
            let request = client.post(format!("{base}/v27.0/")).form(&[
                ("access_token", app_token.as_str()),
                ("include_headers", "false"),
                ("batch", &serde_json::Value::Array(batch).to_string()),
            ]);
            async move { Ok(request.send().await?.bytes().await?.len()) }
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    for answer in answers {
        answer?;
    }
    Ok(started.elapsed())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let tenants: usize = std::env::var("BENCH_TENANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_TENANTS);
    let mut world = World::demo(1, 1);
    let tokens: Vec<String> =
        // Each tenant its own Meta user, as in a CRM of independent customers.
        (0..tenants).map(|i| world.issue_token(&format!("2{i:06}"), "USER", Some(50 * 86_400), &["ads_read", "business_management"])).collect();
    let fake = FakeMeta::start(world).await?;
    let home = tempfile::tempdir()?;
    let bin = env!("CARGO_BIN_EXE_crm-meta");
    let command = |args: &[&str]| {
        let mut cmd = Command::new(bin);
        cmd.args(args)
            .env_clear()
            .env("CRM_META_HOME", home.path())
            .env("HOME", home.path())
            .current_dir(home.path());
        for (k, v) in fake.env() {
            cmd.env(k, v);
        }
        cmd
    };

    // Tenants straight into the embedded store, in one transaction (setup, not measured).
    let migrate = tokio::task::block_in_place(|| command(&["migrate"]).output())?;
    assert!(migrate.status.success());
    let path = home.path().join("crm-meta.db");
    let store =
        crm_meta::store::Store::open(&crm_meta::settings::DatabaseTarget::Sqlite { path }).await?;
    if let crm_meta::store::Store::Sqlite(pool) = &store {
        let mut tx = pool.begin().await?;
        for id in 1..=tenants as i32 {
            sqlx::query("INSERT INTO tenants (id, name) VALUES ($1, $2)")
                .bind(id)
                .bind(format!("Tenant {id}"))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
    store.close().await;
    let input: String = tokens
        .iter()
        .enumerate()
        .map(|(i, t)| format!("{{\"tenant_id\": {}, \"access_token\": \"{t}\"}}\n", i + 1))
        .collect();

    let latency: u64 = std::env::var("BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    fake.world().latency = Duration::from_millis(latency);
    println!(
        "{tenants} tenants, fake Meta with {latency} ms latency per HTTP request, {runs} runs per figure, embedded store"
    );

    let mut import_cpu = Vec::new();
    let mut import_times = Vec::new();
    let mut import_peak = 0;
    for run in 0..runs {
        let m = tokio::task::block_in_place(|| {
            measure(command(&["--json", "import"]), input.as_bytes())
        })?;
        assert!(m.ok, "import failed");
        let json: serde_json::Value = serde_json::from_slice(&m.stdout)?;
        let stored = json["imported"].as_u64().unwrap_or(0) + json["updated"].as_u64().unwrap_or(0);
        assert_eq!(stored, tenants as u64, "import lost lines");
        if run == 0 {
            assert_eq!(json["imported"], tenants as u64);
        }
        import_times.push(m.wall);
        import_cpu.push(m.cpu);
        import_peak = import_peak.max(m.peak_kib);
    }
    println!(
        "  import: median {:.0} ms wall, {:.0} ms CPU (first run inserts, the others update), peak RSS {:.1} MiB",
        median(import_times).as_secs_f64() * 1000.0,
        median(import_cpu).as_secs_f64() * 1000.0,
        import_peak as f64 / 1024.0
    );

    let mut audit_cpu = Vec::new();
    let mut audit_times = Vec::new();
    let mut audit_peak = 0;
    let mut requests = 0;
    for _ in 0..runs {
        let before = fake.world().requests.len();
        let m = tokio::task::block_in_place(|| measure(command(&["--json", "audit"]), b""))?;
        assert!(m.ok, "audit failed");
        let json: serde_json::Value = serde_json::from_slice(&m.stdout)?;
        assert_eq!(
            json["summary"]["ok"], tenants as u64,
            "audit lost tenants: {}",
            json["summary"]
        );
        requests = requests.max(fake.world().requests.len() - before);
        audit_times.push(m.wall);
        audit_cpu.push(m.cpu);
        audit_peak = audit_peak.max(m.peak_kib);
    }
    let audit_median = median(audit_times);
    println!(
        "  audit:  median {:.0} ms wall, {:.0} ms CPU, at most {requests} Graph HTTP requests, peak RSS {:.1} MiB",
        audit_median.as_secs_f64() * 1000.0,
        median(audit_cpu).as_secs_f64() * 1000.0,
        audit_peak as f64 / 1024.0
    );
    // The ideal client: the same batches at the same concurrency from this
    // process, with no store, no keys and no judging: the floor this
    // machine and this fake allow.
    let mut ideal_times = Vec::new();
    for _ in 0..runs {
        ideal_times.push(ideal_audit(&fake.base_url(), &tokens, 8).await?);
    }
    let ideal = median(ideal_times);
    println!(
        "  ideal client, same 50-token batches, 8 in flight: median {:.0} ms wall; audit / ideal = {:.2}",
        ideal.as_secs_f64() * 1000.0,
        audit_median.as_secs_f64() / ideal.as_secs_f64()
    );

    // leads status --all streams like the audit: debug_token in batches,
    // rows out as checked. These tenants chose no Page, so each is
    // `incomplete` (exit 3) and no Page call is made.
    let mut times = Vec::new();
    let mut peak = 0;
    for _ in 0..runs {
        let m = tokio::task::block_in_place(|| {
            measure(command(&["--json", "leads", "status", "--all"]), b"")
        })?;
        let json: serde_json::Value = serde_json::from_slice(&m.stdout)?;
        let checked = json["tenants"].as_array().map_or(0, Vec::len);
        assert_eq!(checked, tenants, "leads status lost tenants");
        times.push(m.wall);
        peak = peak.max(m.peak_kib);
    }
    println!(
        "  leads status --all: median {:.0} ms wall, peak RSS {:.1} MiB",
        median(times).as_secs_f64() * 1000.0,
        peak as f64 / 1024.0
    );

    // Store-only commands over the same tenants: listing, and rotating the
    // key of every token (each run makes a new key and moves all of them).
    for (name, args) in [
        ("tenants list", &["--json", "tenants", "list"][..]),
        ("keys rotate", &["--json", "keys", "rotate"][..]),
        ("deadlines", &["--json", "deadlines"][..]),
        ("log", &["--json", "log"][..]),
        (
            "log --limit 10000",
            &["--json", "log", "--limit", "10000"][..],
        ),
    ] {
        let mut times = Vec::new();
        let mut peak = 0;
        for _ in 0..runs {
            let m = tokio::task::block_in_place(|| measure(command(args), b""))?;
            assert!(m.ok, "{name} failed");
            if name == "keys rotate" {
                let json: serde_json::Value = serde_json::from_slice(&m.stdout)?;
                assert_eq!(json["moved"], tenants as u64, "rotation left tokens behind");
            }
            times.push(m.wall);
            peak = peak.max(m.peak_kib);
        }
        println!(
            "  {name}: median {:.0} ms wall, peak RSS {:.1} MiB",
            median(times).as_secs_f64() * 1000.0,
            peak as f64 / 1024.0
        );
    }

    {
        let path = home.path().join("crm-meta.db");
        let store =
            crm_meta::store::Store::open(&crm_meta::settings::DatabaseTarget::Sqlite { path })
                .await?;
        if let crm_meta::store::Store::Sqlite(pool) = &store {
            let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM meta_audit_log")
                .fetch_one(pool)
                .await?;
            println!("  (the audit log now holds {rows} rows)");
        }
        store.close().await;
    }

    // A budget of 4,000 calls per 2 s window: the audit needs 10,000.
    fake.world().rate_budget = Some(RateBudget::new(
        (tenants as u32 * 2 / 5).max(1),
        Duration::from_secs(2),
    ));
    let before = fake.world().requests.len();
    let m = tokio::task::block_in_place(|| measure(command(&["--json", "audit"]), b""))?;
    let json: serde_json::Value = serde_json::from_slice(&m.stdout)?;
    println!(
        "  audit under a rate budget of {} calls per 2 s: {:.1} s, {} HTTP requests, summary {}",
        tenants * 2 / 5,
        m.wall.as_secs_f64(),
        fake.world().requests.len() - before,
        json["summary"]
    );
    assert!(
        m.ok && json["summary"]["ok"] == tenants as u64 && json["summary"]["unreachable"] == 0,
        "tenants lost under rate limiting"
    );

    // The same budget with --max-usage 50: the app keeps half for the CRM.
    {
        let mut w = fake.world();
        w.rate_budget = Some(RateBudget::new(
            (tenants as u32 * 2 / 5).max(1),
            Duration::from_secs(2),
        ));
        w.peak_usage_percent = 0;
    }
    let m = tokio::task::block_in_place(|| {
        measure(command(&["--json", "audit", "--max-usage", "50"]), b"")
    })?;
    let json: serde_json::Value = serde_json::from_slice(&m.stdout)?;
    let peak = fake.world().peak_usage_percent;
    println!(
        "  audit --max-usage 50, budget {} calls per 2 s ({tenants} calls = 250 %): {:.1} s, peak reported usage {peak} %, summary {}",
        tenants * 2 / 5,
        m.wall.as_secs_f64(),
        json["summary"]
    );
    assert!(peak <= 55, "the ceiling was passed: {peak} %");
    assert!(
        json["summary"]["ok"] == tenants as u64,
        "tenants lost under --max-usage"
    );
    Ok(())
}
