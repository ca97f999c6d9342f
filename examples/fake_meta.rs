//! A fake Meta on 127.0.0.1 to try crm-meta without a Meta app.
//!
//! ```sh
//! cargo run --example fake_meta -- [--port 8766] [--ask] [--deny] [--businesses N] [--accounts N] [--latency-ms MS]
//!                                   [--tokens N --tokens-out FILE]
//! ```
//!
//! It prints the variables that point crm-meta at it. By default its OAuth
//! dialog approves at once (so `BROWSER=curl` works); `--ask` shows a page
//! with Continue and Cancel links for a real browser; `--deny` refuses.
//! `--tokens N --tokens-out FILE` issues N valid tokens, one Meta user each,
//! and writes them as `crm-meta import` lines for tenants 1..=N.

use std::time::Duration;

use fake_meta::{Dialog, FakeMeta, World};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut port = 8766u16;
    let (mut businesses, mut accounts, mut latency_ms) = (2usize, 3usize, 0u64);
    let (mut ask, mut deny) = (false, false);
    let mut tokens = 0usize;
    let mut tokens_out: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} takes a number"))
        };
        match arg.as_str() {
            "--port" => port = u16::try_from(number("--port")?)?,
            "--businesses" => businesses = number("--businesses")? as usize,
            "--accounts" => accounts = number("--accounts")? as usize,
            "--latency-ms" => latency_ms = number("--latency-ms")?,
            "--tokens" => tokens = number("--tokens")? as usize,
            "--tokens-out" => tokens_out = Some(args.next().ok_or("--tokens-out takes a path")?),
            "--ask" => ask = true,
            "--deny" => deny = true,
            other => {
                return Err(format!(
                    "unknown argument {other}; see the comment at the top of examples/fake_meta.rs"
                )
                .into());
            }
        }
    }
    let mut world = World::demo(businesses, accounts);
    world.latency = Duration::from_millis(latency_ms);
    let user = world.users.keys().next().cloned().unwrap_or_default();
    world.dialog = match (deny, ask) {
        (true, _) => Dialog::Deny,
        (false, true) => Dialog::Ask { user_id: user },
        (false, false) => Dialog::Approve { user_id: user },
    };
    if let Some(path) = &tokens_out {
        let lines: String = (1..=tokens)
            .map(|i| {
                let token = world.issue_token(
                    &format!("2{i:06}"),
                    "USER",
                    Some(50 * 86_400),
                    &["ads_read", "business_management"],
                );
                format!("{{\"tenant_id\": {i}, \"access_token\": \"{token}\"}}\n")
            })
            .collect();
        std::fs::write(path, lines)?;
        println!("# wrote {tokens} import lines to {path}");
    }
    let fake = FakeMeta::start_on(([127, 0, 0, 1], port).into(), world).await?;
    println!(
        "# fake Meta listening on {}; point crm-meta at it with:",
        fake.base_url()
    );
    for (key, value) in fake.env() {
        println!("export {key}={value}");
    }
    println!("# Ctrl-C stops it.");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
