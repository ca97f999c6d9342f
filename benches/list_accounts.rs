//! list-accounts against the fake Meta with 50 ms per HTTP request: one
//! tenant with 20 business managers of 250 ad accounts each (5,000 accounts).
//! The floor is ~4 round trips (business managers, then three pages per edge
//! in parallel) = 200 ms, plus process start. Prints the median of N runs.
//!
//! `cargo bench --bench list_accounts` (set BENCH_RUNS to change N).

use std::process::Command;
use std::time::{Duration, Instant};

use fake_meta::{FakeMeta, World};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(11);
    let mut world = World::demo(20, 250);
    let token = world.issue_token(
        "10001",
        "USER",
        Some(50 * 86_400),
        &["ads_read", "business_management"],
    );
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
    let run = |mut cmd: Command| -> Result<std::process::Output, std::io::Error> { cmd.output() };
    let status = tokio::task::block_in_place(|| {
        run(command(&["tenants", "add", "--id", "7", "--name", "Bench"]))
    })?;
    assert!(status.status.success());
    let connect = tokio::task::block_in_place(|| {
        let mut cmd = command(&["connect", "--tenant", "7", "--with-token"]);
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null());
        let mut child = cmd.spawn()?;
        std::io::Write::write_all(&mut child.stdin.take().ok_or("stdin")?, token.as_bytes())?;
        Ok::<_, Box<dyn std::error::Error>>(child.wait()?)
    })?;
    assert!(connect.success(), "connect failed");

    fake.world().latency = Duration::from_millis(50);
    let mut times = Vec::new();
    let mut accounts = 0;
    for _ in 0..runs {
        let before = fake.world().requests.len();
        let started = Instant::now();
        let out = tokio::task::block_in_place(|| {
            run(command(&["--json", "list-accounts", "--tenant", "7"]))
        })?;
        let elapsed = started.elapsed();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        accounts = json["business_managers"]
            .as_array()
            .map(|b| {
                b.iter()
                    .map(|bm| bm["ad_accounts"].as_array().map_or(0, Vec::len))
                    .sum::<usize>()
            })
            .unwrap_or(0);
        let requests = fake.world().requests.len() - before;
        times.push((elapsed, requests));
    }
    times.sort();
    let (median, requests) = times[times.len() / 2];
    println!(
        "list-accounts: 20 business managers x 250 owned (+1 client) ad accounts, 50 ms latency per request, {runs} runs"
    );
    println!(
        "  median {:.0} ms (min {:.0} ms, max {:.0} ms), {requests} HTTP requests, {accounts} business-manager ad accounts",
        median.as_secs_f64() * 1000.0,
        times[0].0.as_secs_f64() * 1000.0,
        times[times.len() - 1].0.as_secs_f64() * 1000.0
    );
    assert_eq!(accounts, 20 * 251, "accounts went missing");
    Ok(())
}
