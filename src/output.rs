//! Everything that reaches the terminal: human lines, tables, JSON documents,
//! warnings and errors. Commands build data; this module shows it.

use std::io::{IsTerminal, Write};

use chrono::{DateTime, Utc};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

/// How output should look for this run.
#[derive(Debug, Clone)]
pub struct Printer {
    json: bool,
    quiet: bool,
    color: bool,
    interactive: bool,
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
        }
    }

    pub fn is_json(&self) -> bool {
        self.json
    }

    /// Whether a person is there to answer a prompt.
    pub fn can_prompt(&self) -> bool {
        self.interactive
    }

    /// Whether a progress bar may be drawn.
    pub fn show_progress(&self) -> bool {
        self.interactive && !self.quiet
    }

    /// The JSON document of this command, on stdout.
    pub fn json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, value)?;
        writeln!(out)?;
        Ok(())
    }

    /// A line of the command's result, on stdout (not in JSON mode).
    pub fn line(&self, text: impl AsRef<str>) {
        if !self.json {
            println!("{}", text.as_ref());
        }
    }

    /// A table of the command's result, on stdout (not in JSON mode).
    pub fn table(&self, table: &Table) {
        if !self.json {
            println!("{table}");
        }
    }

    /// Progress and context for the person at the terminal, on stderr.
    pub fn note(&self, text: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", text.as_ref());
        }
    }

    /// A warning on stderr.
    pub fn warn(&self, text: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{} {}", self.paint("warning:", "33"), text.as_ref());
        }
    }

    /// An error on stderr (always shown).
    pub fn error(&self, text: impl AsRef<str>) {
        eprintln!("{} {}", self.paint("error:", "31"), text.as_ref());
    }

    fn paint(&self, text: &str, ansi: &str) -> String {
        if self.color {
            format!("\x1b[1;{ansi}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// A table in the house style.
pub fn new_table<I, S>(header: I) -> Table
where
    I: IntoIterator<Item = S>,
    S: Into<comfy_table::Cell>,
{
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(header);
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
