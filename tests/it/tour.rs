//! The README's first command, `cargo run --example tour`, as a test: the
//! example (built by `cargo test` and `cargo nextest` alongside the tests)
//! runs the real binary through a tenant's life against the fake Meta.

use std::path::Path;

#[test]
fn the_tour_runs_every_step_of_the_main_job() {
    let bin = Path::new(env!("CARGO_BIN_EXE_crm-meta"));
    let tour = bin
        .parent()
        .unwrap()
        .join("examples")
        .join(format!("tour{}", std::env::consts::EXE_SUFFIX));
    assert!(tour.exists(), "{} was not built", tour.display());
    let out = std::process::Command::new(&tour)
        .env("CRM_META_BIN", bin)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for step in [
        "$ crm-meta tenants add",
        "$ crm-meta connect --tenant 7",
        "$ crm-meta tenants list",
        "$ crm-meta test-connection --tenant 7",
        "$ crm-meta list-accounts --tenant 7",
        "$ crm-meta audit",
        "$ crm-meta deadlines",
        "$ crm-meta log --limit 5",
        "$ crm-meta keys list",
        "$ crm-meta doctor",
        "every command succeeded",
    ] {
        assert!(stdout.contains(step), "{step} missing:\n{stdout}");
    }
    // The connection really was made through the dialog and stored.
    assert!(stdout.contains("act_900000"), "{stdout}");
    assert!(
        stderr.contains("dialog/oauth"),
        "the authorization URL: {stderr}"
    );
}
