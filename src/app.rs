//! The process around the commands: `.env`, argument parsing, logging, the
//! async runtime, and turning errors into messages and exit codes.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::error::{Exit, classify};
use crate::output::Printer;
use crate::settings::Settings;

/// Runs crm-meta with the process's arguments and environment.
pub fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let options: Vec<&OsString> = args.iter().skip(1).take_while(|a| *a != "--").collect();
    // The `.env` file must be in the environment before clap reads it, and
    // setting variables is only sound before threads start. Only the working
    // directory's file: dotenvy::dotenv() would also search parent directories.
    if !options.iter().any(|a| *a == "--no-dotenv") {
        match crate::env_file::read(std::path::Path::new(".env")) {
            Ok(loaded) => {
                for warning in &loaded.warnings {
                    crate::output::stderr_line(&format!("warning: {warning}"));
                }
                for (name, value) in loaded.variables {
                    // SAFETY: no other thread exists yet (the runtime starts below).
                    unsafe { std::env::set_var(name, value) };
                }
            }
            Err(err) => {
                let message = err.to_string();
                crate::output::stderr_line(&format!("error: {message}"));
                if options.iter().any(|a| *a == "--json") {
                    crate::output::json_error(Exit::Error, "config", &message);
                }
                return Exit::Error.into();
            }
        }
    }
    // argv is readable by every user of the machine (ps, /proc).
    let password_in_argv = options.iter().enumerate().any(|(i, a)| {
        let text = a.to_string_lossy();
        let url = match text.strip_prefix("--database-url=") {
            Some(url) => Some(url.to_owned()),
            None if text == "--database-url" => {
                options.get(i + 1).map(|v| v.to_string_lossy().into_owned())
            }
            None => None,
        };
        url.is_some_and(|u| database_url_has_password(&u))
    });
    if password_in_argv {
        crate::output::stderr_line(
            "warning: --database-url carries a password, and the command line is visible to other users of this machine; pass it in DATABASE_URL instead",
        );
    }
    let json_requested = args.iter().any(|a| a == "--json");
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => {
            let code = err.exit_code();
            let _ = err.print();
            if json_requested && code == i32::from(Exit::Usage.code()) {
                crate::output::json_error(Exit::Usage, "usage", &err.kind().to_string());
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
            printer.fail(exit, kind, &error_message(&err));
            exit.into()
        }
    }
}

/// The error and its causes on one line, outermost first. crm-meta's own
/// errors leave their cause out of their text; some from libraries (sqlx,
/// std::io wrappers) repeat it at their end, so a cause the message already
/// ends with is not added again.
fn error_message(err: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if message.is_empty() {
            message = text;
        } else if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
    }
    message
}

/// Whether a database URL carries a password (`user:pw@` or `?password=`).
fn database_url_has_password(url: &str) -> bool {
    url::Url::parse(url)
        .is_ok_and(|u| u.password().is_some() || u.query_pairs().any(|(k, _)| k == "password"))
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
