//! crm-meta's main job, end to end, in one command on a fresh clone:
//!
//! ```sh
//! cargo run --example tour
//! ```
//!
//! It starts the bundled fake Meta on 127.0.0.1, makes a scratch embedded
//! store in a temporary directory, and runs the real `crm-meta` binary
//! through a tenant's life: add it, connect it through the OAuth dialog (this
//! program plays the browser and follows the redirect to crm-meta's loopback
//! listener), list it, check it live, list its ad accounts, audit every
//! token, show what will break and when, read the audit log, show the keys
//! that encrypt the tokens, and check the whole setup. Each command is printed before
//! its output. Nothing outside the temporary directory is touched.
//!
//! `CRM_META_BIN` runs a given binary instead of building one with cargo.

use std::error::Error;
use std::path::PathBuf;
use std::process::Command;

use fake_meta::{FakeMeta, World};

/// Passed by crm-meta as `$BROWSER --browse URL`: follow the redirects as a
/// browser would after "Continue".
const BROWSE: &str = "--browse";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(BROWSE) {
        let url = args.get(2).ok_or("--browse takes a URL")?;
        reqwest::get(url).await?.error_for_status()?;
        return Ok(());
    }

    let bin = crm_meta_binary()?;
    let fake = FakeMeta::start(World::demo(2, 3)).await?;
    let scratch = tempfile::tempdir()?;
    // A directory crm-meta creates itself, private (0700).
    let home = scratch.path().join("crm-meta");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let me = std::env::current_exe()?;
    let mut env: Vec<(String, String)> = fake
        .env()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    env.extend([
        ("CRM_META_HOME".to_owned(), home.display().to_string()),
        (
            "META_REDIRECT_URI".to_owned(),
            format!("http://localhost:{port}/callback"),
        ),
        (
            "BROWSER".to_owned(),
            format!("{} {BROWSE} %s", me.display()),
        ),
    ]);

    println!("A fake Meta listens on {}.", fake.base_url());
    println!("The embedded store goes in {}.\n", home.display());
    let steps: &[&[&str]] = &[
        &["tenants", "add", "--id", "7", "--name", "Acme Ventas"],
        &[
            "connect",
            "--tenant",
            "7",
            "--business",
            "5000000",
            "--ad-account",
            "act_900000",
        ],
        &["tenants", "list"],
        &["test-connection", "--tenant", "7"],
        &["list-accounts", "--tenant", "7"],
        &["audit"],
        &["deadlines"],
        &["log", "--limit", "5"],
        &["keys", "list"],
        &["doctor"],
    ];
    let mut failed = Vec::new();
    for step in steps {
        println!("$ crm-meta {}", step.join(" "));
        let status = tokio::task::block_in_place(|| {
            Command::new(&bin)
                .args(*step)
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("HOME", scratch.path())
                .envs(env.iter().map(|(k, v)| (k, v)))
                .current_dir(scratch.path())
                .status()
        })?;
        if !status.success() {
            failed.push(format!("crm-meta {} ({status})", step.join(" ")));
        }
        println!();
    }
    if failed.is_empty() {
        println!("The tour is over: every command succeeded.");
        Ok(())
    } else {
        Err(format!("these steps failed: {}", failed.join("; ")).into())
    }
}

/// `CRM_META_BIN`, or the package's binary, built now by the cargo that runs
/// this example (examples do not build the package's binaries themselves).
fn crm_meta_binary() -> Result<PathBuf, Box<dyn Error>> {
    if let Some(bin) = std::env::var_os("CRM_META_BIN") {
        return Ok(bin.into());
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let built = Command::new(cargo)
        .args(["build", "--quiet", "--bin", "crm-meta"])
        .status()?;
    if !built.success() {
        return Err("building crm-meta failed".into());
    }
    // target/<profile>/examples/tour → target/<profile>/crm-meta
    let exe = std::env::current_exe()?;
    let profile_dir = exe
        .parent()
        .and_then(|examples| examples.parent())
        .ok_or("cannot find the target directory")?;
    Ok(profile_dir.join(format!("crm-meta{}", std::env::consts::EXE_SUFFIX)))
}
