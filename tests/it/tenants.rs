//! `crm-meta tenants add|list` through the binary, on both backends.

use crate::support::{Cli, key_b64};

fn add_and_list(cli: &Cli) {
    cli.run(&["tenants", "add", "--id", "7", "--name", "Acme"])
        .assert_code(0);
    cli.run(&["tenants", "add", "--id", "3", "--name", "Beta Co"])
        .assert_code(0);
    let dup = cli.run(&["--json", "tenants", "add", "--id", "7", "--name", "Again"]);
    dup.assert_code(1);
    assert_eq!(dup.json()["error"]["kind"], "tenant_exists");
    let blank = cli.run(&["tenants", "add", "--id", "9", "--name", "  "]);
    blank.assert_code(1);
    assert!(blank.stderr.contains("--name"), "{}", blank.stderr);

    let list = cli.run(&["--json", "tenants", "list"]);
    list.assert_code(0);
    let tenants = list.json()["tenants"].as_array().unwrap().clone();
    assert_eq!(tenants.len(), 2);
    assert_eq!(tenants[0]["tenant_id"], 3);
    assert_eq!(tenants[1]["tenant_id"], 7);
    assert_eq!(tenants[1]["name"], "Acme");
    assert_eq!(tenants[1]["status"], "not_connected");
    for key in [
        "meta_user_id",
        "expires_at",
        "ad_account_id",
        "last_checked_at",
    ] {
        assert!(tenants[1].get(key).is_some(), "tenants list lacks {key}");
    }

    let table = cli.run(&["tenants", "list"]);
    table.assert_code(0);
    assert!(
        table.stdout.contains("Acme") && table.stdout.contains("not_connected"),
        "{}",
        table.stdout
    );
}

#[test]
fn tenants_on_the_embedded_store() {
    let dir = tempfile::tempdir().unwrap();
    add_and_list(&Cli::new(dir.path()));
}

#[tokio::test]
async fn tenants_on_postgres() {
    let db = crate::support::pg_or_skip!();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path())
        .env("DATABASE_URL", &db.url)
        .env("CRM_META_TOKEN_KEY", &key_b64(1));
    cli.run(&["migrate"]).assert_code(0);
    add_and_list(&cli);
}
