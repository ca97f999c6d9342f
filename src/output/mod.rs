//! Everything that reaches the terminal: human lines, tables, JSON documents,
//! CSV, progress bars, prompts, warnings and errors. Commands build a typed
//! [`Report`] and hand it to [`Printer::finish`], which renders it as the
//! run asked (a person's view, or `--json`); no command chooses a format.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use crate::error::Exit;
use crate::text::clean;

mod progress;
pub mod prometheus;
mod prompt;
mod rows;

pub use progress::{Follow, Progress};
pub use rows::{Row, Rows};

/// How output should look for this run.
#[derive(Debug, Clone)]
pub struct Printer {
    json: bool,
    quiet: bool,
    color: bool,
    interactive: bool,
    /// stderr is a terminal: a bar may be drawn there even when stdin is
    /// the data (import).
    watched: bool,
    /// A streamed JSON document is open on stdout: a failure closes it with
    /// its `error` rather than leave half a document.
    open_document: Arc<AtomicBool>,
}

impl Printer {
    /// `--json` turns off colour, progress and prompts; prompts also need a
    /// terminal on stdin.
    pub fn new(json: bool, quiet: bool, no_color: bool) -> Self {
        Self {
            json,
            quiet,
            color: !json && !no_color && std::io::stderr().is_terminal(),
            interactive: !json && std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            watched: !json && std::io::stderr().is_terminal(),
            open_document: Arc::default(),
        }
    }

    /// Renders a command's result: its JSON document with `--json`, else
    /// the person's view. Returns the exit status the result earns.
    pub fn finish<R: Report>(&self, report: &R) -> anyhow::Result<Exit> {
        self.finish_as(Format::Table, report)
    }

    /// Like [`Printer::finish`], in a format the command offers (`--format`);
    /// `--json` wins over it.
    pub fn finish_as<R: Report>(&self, format: Format, report: &R) -> anyhow::Result<Exit> {
        match (self.json, format) {
            (true, _) | (false, Format::Json) => self.json(report)?,
            (false, Format::Csv) => {
                let mut out = csv::Writer::from_writer(std::io::stdout().lock());
                let written = report
                    .csv(&mut out)
                    .and_then(|()| out.flush().map_err(csv::Error::from));
                if let Err(e) = written {
                    let closed = matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe);
                    if !closed {
                        return Err(e.into());
                    }
                }
            }
            (false, Format::Ics) => match report.ics() {
                Some(calendar) => {
                    let mut out = std::io::stdout().lock();
                    ignore_closed_pipe(
                        out.write_all(calendar.as_bytes())
                            .and_then(|()| out.flush()),
                    )?;
                }
                None => report.show(self),
            },
            // Streamed by the command itself; the report adds the person's view.
            (false, Format::Table | Format::Prometheus) => report.show(self),
        }
        Ok(report.exit())
    }

    /// Whether a person is there to answer a prompt.
    pub fn can_prompt(&self) -> bool {
        self.interactive
    }

    /// Whether `--json` was given (it wins over `--format`).
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Whether a progress bar may be drawn: a person watches stderr.
    pub fn show_progress(&self) -> bool {
        self.watched && !self.quiet
    }

    /// The JSON document of this command, on stdout.
    fn json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        let written = serde_json::to_writer_pretty(&mut out, value)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
            .and_then(|()| out.flush());
        ignore_closed_pipe(written)
    }

    // Every text below may quote Meta (names, error messages): control
    // characters are removed before it reaches the terminal, and only the
    // printer's own colour codes are added afterwards.

    /// A line of the command's result, on stdout (not in JSON mode).
    pub fn line(&self, text: impl AsRef<str>) {
        if !self.json {
            stdout_line(&clean(text.as_ref()));
        }
    }

    /// A document crm-meta generated itself (an HTML page), on stdout as
    /// is (not in JSON mode).
    pub fn document(&self, text: &str) -> anyhow::Result<()> {
        if self.json {
            return Ok(());
        }
        let mut out = std::io::stdout().lock();
        ignore_closed_pipe(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
    }

    /// A table of the command's result, on stdout (not in JSON mode).
    pub fn table(&self, table: &Table) {
        if !self.json {
            stdout_line(&clean(&table.to_string()));
        }
    }

    /// Progress and context for the person at the terminal, on stderr.
    pub fn note(&self, text: impl AsRef<str>) {
        if !self.quiet {
            stderr_line(&clean(text.as_ref()));
        }
    }

    /// Instructions the person must see whatever the flags (the
    /// authorization URL: the browser may not open), on stderr.
    pub fn instruct(&self, text: impl AsRef<str>) {
        stderr_line(&clean(text.as_ref()));
    }

    /// The run failed: the message on stderr and, with `--json`, the error
    /// document on stdout; a document already streaming gets the error as
    /// its last field, so stdout is still one JSON document.
    pub fn fail(&self, exit: Exit, kind: &str, message: &str) {
        self.error(message);
        if self.open_document.swap(false, Ordering::SeqCst) {
            let error = error_value(exit, kind, message);
            stdout_line(&format!("\n  ],\n  \"error\": {error}\n}}"));
        } else if self.json {
            json_error(exit, kind, message);
        }
    }

    /// A warning on stderr.
    pub fn warn(&self, text: impl AsRef<str>) {
        if !self.quiet {
            stderr_line(&format!(
                "{} {}",
                self.paint("warning:", "33"),
                clean(text.as_ref())
            ));
        }
    }

    /// An error on stderr (always shown).
    pub fn error(&self, text: impl AsRef<str>) {
        stderr_line(&format!(
            "{} {}",
            self.paint("error:", "31"),
            clean(text.as_ref())
        ));
    }

    fn paint(&self, text: &str, ansi: &str) -> String {
        if self.color {
            format!("\x1b[1;{ansi}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// A command's result: serializes to its `--json` document and knows how
/// to show itself to a person.
pub trait Report: Serialize {
    /// The person's view: lines and tables on stdout, notes on stderr, all
    /// through the printer (which stays quiet where it should).
    fn show(&self, out: &Printer);

    /// The exit status this result earns (a problem found is 3, …).
    fn exit(&self) -> Exit {
        Exit::Success
    }

    /// An RFC 5545 calendar, for reports that offer `--format ics`.
    fn ics(&self) -> Option<String> {
        None
    }

    /// The rows of `--format csv`, for reports that offer it.
    fn csv(&self, _out: &mut csv::Writer<std::io::StdoutLock<'static>>) -> csv::Result<()> {
        Ok(())
    }
}

/// How a command that offers `--format` renders its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
    Csv,
    /// An RFC 5545 calendar.
    Ics,
    /// Prometheus text exposition (the audit's metrics).
    Prometheus,
}

/// `{"error": {"exit_code", "kind", "message"}}` on stdout, for `--json` runs
/// (also before a printer exists: a bad `.env`, a usage error).
pub fn json_error(exit: Exit, kind: &str, message: &str) {
    let error = serde_json::json!({ "error": error_value(exit, kind, message) });
    stdout_line(&error.to_string());
}

fn error_value(exit: Exit, kind: &str, message: &str) -> serde_json::Value {
    serde_json::json!({ "exit_code": exit.code(), "kind": kind, "message": message })
}

/// Writes a line to stdout. A reader that went away (`| head`) is not an
/// error worth a panic or a message; anything else is reported once.
pub fn stdout_line(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}")
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        stderr_line(&format!("error: writing to stdout: {e}"));
    }
}

/// Writes a line to stderr; a closed stderr is no reason to panic.
pub fn stderr_line(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// A closed stdout (`| head`) ends output quietly.
/// A closed stdout (`| head`) ends the output quietly.
pub(crate) fn ignore_closed_pipe(result: std::io::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// A table in the house style.
pub fn new_table<I, S>(header: I) -> Table
where
    I: IntoIterator<Item = S>,
    S: Into<comfy_table::Cell>,
{
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic)
        .set_header(header);
    table
}

/// "2026-12-11 (in 12 days)", "2026-11-01 (28 days ago)", or `never`.
pub fn date_with_distance(when: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match when {
        None => "never".to_owned(),
        Some(when) => format!("{} ({})", when.format("%Y-%m-%d"), distance(when, now)),
    }
}

/// "in 12 days", "3 hours ago", "now".
pub fn distance(when: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (when - now).num_seconds();
    let magnitude = seconds.unsigned_abs();
    let (count, unit) = match magnitude {
        0..60 => return "now".to_owned(),
        60..3_600 => (magnitude / 60, "minute"),
        3_600..86_400 => (magnitude / 3_600, "hour"),
        _ => (magnitude / 86_400, "day"),
    };
    let plural = if count == 1 { "" } else { "s" };
    if seconds > 0 {
        format!("in {count} {unit}{plural}")
    } else {
        format!("{count} {unit}{plural} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn distances_read_naturally() {
        let now = Utc::now();
        assert_eq!(
            distance(now + Duration::days(12) + Duration::minutes(1), now),
            "in 12 days"
        );
        assert_eq!(distance(now - Duration::hours(3), now), "3 hours ago");
        assert_eq!(distance(now + Duration::minutes(1), now), "in 1 minute");
        assert_eq!(distance(now, now), "now");
        assert_eq!(date_with_distance(None, now), "never");
    }
}
