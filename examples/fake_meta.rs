//! A fake Meta on 127.0.0.1 to try crm-meta without a Meta app.
//!
//! ```sh
//! cargo run --example fake_meta -- [--port 8766] [--ask] [--deny] [--businesses N] [--accounts N] [--latency-ms MS]
//! ```
//!
//! It prints the variables that point crm-meta at it. By default its OAuth
//! dialog approves at once (so `BROWSER=curl` works); `--ask` shows a page
//! with Continue and Cancel links for a real browser; `--deny` refuses.

use std::time::Duration;

use fake_meta::{Dialog, FakeMeta, World};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut port = 8766u16;
    let (mut businesses, mut accounts, mut latency_ms) = (2usize, 3usize, 0u64);
    let (mut ask, mut deny) = (false, false);
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
