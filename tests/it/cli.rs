//! The command line as users meet it: help, completions, usage errors.

use crate::support::Cli;

const COMMANDS: &[&str] = &[
    "migrate",
    "tenants",
    "connect",
    "disconnect",
    "test-connection",
    "debug-token",
    "list-accounts",
    "audit",
    "import",
    "select",
    "refresh",
    "keys",
    "completions",
];

#[test]
fn help_lists_every_command_and_global_flag() {
    let dir = tempfile::tempdir().unwrap();
    let run = Cli::new(dir.path()).run(&["--help"]);
    run.assert_code(0);
    for command in COMMANDS {
        assert!(
            run.stdout.contains(command),
            "--help lacks {command}:\n{}",
            run.stdout
        );
    }
    for flag in [
        "--json",
        "--verbose",
        "--quiet",
        "--yes",
        "--no-dotenv",
        "--database-url",
    ] {
        assert!(run.stdout.contains(flag), "--help lacks {flag}");
    }
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path());
    for command in COMMANDS {
        let run = cli.run(&[command, "--help"]);
        run.assert_code(0);
        assert!(
            run.stdout.contains("Usage: crm-meta"),
            "{command} --help:\n{}",
            run.stdout
        );
    }
}

#[test]
fn help_never_shows_the_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let run = Cli::new(dir.path())
        .env("DATABASE_URL", "postgres://u:hunter2@db/crm")
        .run(&["--help"]);
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
}

#[test]
fn completions_in_the_repository_match_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let bless = std::env::var_os("CRM_META_BLESS").is_some();
    for (shell, file) in [
        ("bash", "crm-meta.bash"),
        ("zsh", "_crm-meta"),
        ("fish", "crm-meta.fish"),
        ("powershell", "_crm-meta.ps1"),
        ("elvish", "crm-meta.elv"),
    ] {
        let run = cli.run(&["completions", shell]);
        run.assert_code(0);
        let path = root.join(file);
        if bless {
            std::fs::write(&path, &run.stdout).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == run.stdout,
            "completions/{file} is out of date; regenerate with `CRM_META_BLESS=1 cargo nextest run completions`"
        );
    }
}

#[test]
fn bad_tenant_ids_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path());
    for bad in ["0", "abc", "-1", "99999999999999999999999"] {
        let run = cli.run(&["tenants", "add", "--name", "X", &format!("--id={bad}")]);
        run.assert_code(2);
        assert!(run.stderr.contains("--id"), "{}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[test]
fn usage_errors_with_json_print_a_json_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = Cli::new(dir.path()).run(&["--json", "tenants", "add", "--id", "x", "--name", "A"]);
    run.assert_code(2);
    assert_eq!(run.json()["error"]["exit_code"], 2);
}

#[test]
fn malformed_settings_name_the_variable_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let run = Cli::new(dir.path())
        .env("DATABASE_URL", "mysql://localhost/crm")
        .run(&["tenants", "list"]);
    run.assert_code(1);
    assert!(run.stderr.contains("DATABASE_URL"), "{}", run.stderr);
    let run = Cli::new(dir.path()).run(&[
        "--database-url",
        "postgres://u:s3cret@127.0.0.1:1/x",
        "tenants",
        "list",
    ]);
    run.assert_code(1);
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);
    assert!(run.stderr.contains("127.0.0.1"), "{}", run.stderr);
}

#[test]
fn dotenv_sits_below_the_environment_and_can_be_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "DATABASE_URL=mysql://from-dotenv\n",
    )
    .unwrap();
    let cli = Cli::new(dir.path());
    let run = cli.run(&["tenants", "list"]);
    run.assert_code(1);
    assert!(
        run.stderr.contains("mysql"),
        "the .env was not read: {}",
        run.stderr
    );
    cli.run(&["--no-dotenv", "tenants", "list"]).assert_code(0);
    let sqlite = format!("sqlite://{}/env.db", dir.path().display());
    Cli::new(dir.path())
        .env("DATABASE_URL", &sqlite)
        .run(&["tenants", "list"])
        .assert_code(0);
    assert!(dir.path().join("env.db").exists());
}

#[test]
fn absurd_day_counts_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(dir.path());
    cli.run(&["audit", "--within", "100000000"]).assert_code(2);
    cli.run(&["refresh", "--expiring-within", "4000"])
        .assert_code(2);
}

#[test]
fn a_dotenv_in_a_parent_directory_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "DATABASE_URL=mysql://from-parent\n",
    )
    .unwrap();
    let child = dir.path().join("work");
    std::fs::create_dir(&child).unwrap();
    Cli::new(&child).run(&["tenants", "list"]).assert_code(0);
}
