//! The process around the commands: `.env`, argument parsing, logging, the
//! async runtime, and turning errors into messages and exit codes.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use serde_json::json;

use crate::cli::Cli;
use crate::error::{Exit, classify};
use crate::output::Printer;
use crate::settings::Settings;

/// Runs crm-meta with the process's arguments and environment.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    // The `.env` file must be in the environment before clap reads it, and
    // loading it sets variables, which is only sound before threads start.
    if !args
        .iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--no-dotenv")
    {
        // A missing file is normal; a malformed one is reported once settings are read.
        // Only the working directory's file: dotenvy::dotenv() would also
        // search parent directories.
        if let Err(err) = dotenvy::from_path(".env")
            && !err.not_found()
        {
            let message = format!(".env: {err}. Fix the file or pass --no-dotenv.");
            crate::output::stderr_line(&format!("error: {message}"));
            if args.iter().any(|a| a == "--json") {
                print_json_error(Exit::Error, "config", &message);
            }
            return Exit::Error.into();
        }
    }
    let json_requested = args.iter().any(|a| a == "--json");
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => {
            let code = err.exit_code();
            let _ = err.print();
            if json_requested && code == i32::from(Exit::Usage.code()) {
                print_json_error(Exit::Usage, "usage", &err.kind().to_string());
            }
            return ExitCode::from(u8::try_from(code).unwrap_or(Exit::Usage.code()));
        }
    };
    init_logging(cli.global.verbose, cli.global.quiet);
    let settings = Settings::from_env(cli.global.database_url.clone());
    let printer = Printer::new(cli.global.json, cli.global.quiet, settings.no_color());

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            printer.error(format!("cannot start the async runtime: {err}"));
            return Exit::Error.into();
        }
    };
    match runtime.block_on(crate::commands::run(cli, settings, printer.clone())) {
        Ok(exit) => exit.into(),
        Err(err) => {
            let (exit, kind) = classify(&err);
            let message = error_message(&err);
            printer.error(&message);
            if printer.is_json() {
                print_json_error(exit, kind, &message);
            }
            exit.into()
        }
    }
}

/// The error and its causes on one line, each cause once: many errors repeat
/// their source's text in their own message.
fn error_message(err: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !message.contains(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
    }
    message
}

fn print_json_error(exit: Exit, kind: &str, message: &str) {
    let error = json!({ "error": { "exit_code": exit.code(), "kind": kind, "message": message } });
    crate::output::stdout_line(&error.to_string());
}

/// Logs go to stderr. Dependencies stay at `info` or below even at -vvv:
/// HTTP and database crates log request lines that may carry tokens.
fn init_logging(verbose: u8, quiet: bool) {
    let filter = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "warn,crm_meta=info",
        (false, 2) => "warn,crm_meta=debug",
        (false, _) => "info,crm_meta=trace,sqlx=warn",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
