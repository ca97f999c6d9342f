//! `crm-meta deadlines [--within DAYS] [--format table|json|ics]`: every
//! upcoming date that will break something, soonest first: each tenant's
//! token expiry and data-access expiry, and the configured version's end on
//! each clock, with the command that prevents it; dates already past stay
//! on the list, marked overdue. Reads only the store.

use std::io::Write;
use std::sync::Arc;

use anyhow::Result;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::Serialize;

use super::Context;
use crate::cli::DeadlinesArgs;
use crate::error::Exit;
use crate::graph::versions::{self, Clock, End};
use crate::output::{Format, Printer, Row, date_with_distance, ignore_closed_pipe, new_table};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    TokenExpiry,
    DataAccessExpiry,
    GraphVersionEnd,
    MarketingVersionEnd,
}

/// What a deadline is about: kept small (the texts are made when written).
enum Subject {
    Tenant { id: i32, name: Arc<str> },
    Version { clock: Clock, version: Arc<str> },
}

struct Deadline {
    date: DateTime<Utc>,
    kind: Kind,
    subject: Subject,
    /// Already past: it has broken, and the command mends it.
    overdue: bool,
}

impl Deadline {
    fn tenant_id(&self) -> Option<i32> {
        match self.subject {
            Subject::Tenant { id, .. } => Some(id),
            Subject::Version { .. } => None,
        }
    }

    fn what(&self) -> String {
        match (&self.subject, self.kind) {
            (Subject::Tenant { id, name }, Kind::TokenExpiry) => format!(
                "the Meta token of tenant {id} ({name}) expires: the CRM loses its Meta access"
            ),
            (Subject::Tenant { id, name }, _) => format!(
                "data access of tenant {id} ({name}) ends: Meta stops returning its data until the user consents again"
            ),
            (Subject::Version { clock, version }, _) => format!(
                "{} {version} ends: every tenant's {} calls fail",
                clock.name(),
                versions::what_fails(*clock)
            ),
        }
    }

    fn command(&self) -> String {
        match (&self.subject, self.kind) {
            (Subject::Tenant { id, .. }, Kind::TokenExpiry) => format!(
                "crm-meta refresh --tenant {id} (or crm-meta connect --tenant {id} if Meta will not extend it)"
            ),
            (Subject::Tenant { id, .. }, _) => format!("crm-meta connect --tenant {id}"),
            (Subject::Version { .. }, _) => {
                format!("set META_GRAPH_API_VERSION={}", versions::NEWEST)
            }
        }
    }

    /// Stable across runs, so a subscribed calendar updates the event.
    fn uid(&self) -> String {
        match &self.subject {
            Subject::Tenant { id, .. } if self.kind == Kind::TokenExpiry => {
                format!("token-expiry-tenant-{id}@crm-meta")
            }
            Subject::Tenant { id, .. } => format!("data-access-expiry-tenant-{id}@crm-meta"),
            Subject::Version { clock, version } => {
                let slug = match clock {
                    Clock::Graph => "graph",
                    Clock::Marketing => "marketing",
                };
                format!("{slug}-version-end-{version}@crm-meta")
            }
        }
    }
}

impl Serialize for Deadline {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut d = serializer.serialize_struct("Deadline", 6)?;
        d.serialize_field("date", &self.date)?;
        d.serialize_field("kind", &self.kind)?;
        d.serialize_field("tenant_id", &self.tenant_id())?;
        d.serialize_field("what", &self.what())?;
        d.serialize_field("command", &self.command())?;
        d.serialize_field("overdue", &self.overdue)?;
        d.end()
    }
}

impl Row for Deadline {}

pub async fn run(ctx: &Context, args: DeadlinesArgs) -> Result<Exit> {
    let version = ctx.settings.graph_version()?;
    let target = ctx.database()?;
    let now = Utc::now();
    let horizon = now + Duration::days(i64::from(args.within));
    let format: Format = if ctx.printer.is_json() {
        Format::Json
    } else {
        args.format.into()
    };

    // The version ends (at most two), merged into the tenants' dates as
    // those stream from the store, already in order.
    let version: Arc<str> = Arc::from(version.as_str());
    let mut version_ends: Vec<Deadline> = Clock::BOTH
        .into_iter()
        .filter_map(|clock| {
            match clock.end_of(&version) {
                End::On(day) => Some(day.and_time(NaiveTime::MIN).and_utc()),
                _ => None,
            }
            .map(|date| Deadline {
                date,
                overdue: date < now,
                kind: match clock {
                    Clock::Graph => Kind::GraphVersionEnd,
                    Clock::Marketing => Kind::MarketingVersionEnd,
                },
                subject: Subject::Version {
                    clock,
                    version: Arc::clone(&version),
                },
            })
        })
        // Past dates stay, marked overdue: they have already broken something.
        .filter(|d| d.date <= horizon)
        .collect();
    version_ends.sort_by_key(|d| d.date);
    let mut version_ends = version_ends.into_iter().peekable();

    let store = ctx.store(&target).await?;
    let mut out = Output::start(&ctx.printer, format, now)?;
    let mut name: Option<(i32, Arc<str>)> = None;
    store
        .for_each_expiry(horizon, |e| -> Result<()> {
            // A version's end comes before tenants' dates on the same instant.
            while let Some(end) = version_ends.next_if(|v| v.date <= e.at) {
                out.push(end)?;
            }
            // The token and data-access rows of one tenant share its name.
            let shared = match &name {
                Some((id, shared)) if *id == e.tenant_id => Arc::clone(shared),
                _ => {
                    let fresh: Arc<str> = Arc::from(e.name);
                    name = Some((e.tenant_id, Arc::clone(&fresh)));
                    fresh
                }
            };
            out.push(Deadline {
                date: e.at,
                kind: if e.kind == 0 {
                    Kind::TokenExpiry
                } else {
                    Kind::DataAccessExpiry
                },
                subject: Subject::Tenant {
                    id: e.tenant_id,
                    name: shared,
                },
                overdue: e.at < now,
            })
        })
        .await?;
    store.close().await;
    for end in version_ends {
        out.push(end)?;
    }
    out.finish(&ctx.printer, now)?;
    Ok(Exit::Success)
}

/// Where deadlines go as they come: JSON rows, calendar events, or the
/// person's table (held: a person reads it).
enum Output {
    Json(crate::output::Rows<Deadline>),
    Ics(IcsWriter),
    Table(Vec<Deadline>),
}

impl Output {
    fn start(printer: &Printer, format: Format, now: DateTime<Utc>) -> Result<Self> {
        Ok(match format {
            Format::Json => Output::Json(printer.rows(Format::Json, "deadlines")?),
            Format::Ics => Output::Ics(IcsWriter::start(now)?),
            _ => Output::Table(Vec::new()),
        })
    }

    fn push(&mut self, deadline: Deadline) -> Result<()> {
        match self {
            Output::Json(rows) => rows.push(deadline, false),
            Output::Ics(ics) => ics.event(&deadline),
            Output::Table(kept) => {
                kept.push(deadline);
                Ok(())
            }
        }
    }

    fn finish(self, printer: &Printer, now: DateTime<Utc>) -> Result<()> {
        match self {
            Output::Json(rows) => rows.close().map(|_| ()),
            Output::Ics(ics) => ics.finish(),
            Output::Table(kept) => {
                show(printer, &kept, now);
                Ok(())
            }
        }
    }
}

fn show(out: &Printer, deadlines: &[Deadline], now: DateTime<Utc>) {
    if deadlines.is_empty() {
        out.note("Nothing breaks within the window.");
        return;
    }
    let mut table = new_table(["DATE", "TENANT", "WHAT", "TO PREVENT IT"]);
    for d in deadlines {
        let overdue = if d.overdue { " OVERDUE" } else { "" };
        table.add_row([
            format!("{}{overdue}", date_with_distance(Some(d.date), now)),
            d.tenant_id()
                .map(|t| t.to_string())
                .unwrap_or_else(|| "all".into()),
            d.what(),
            d.command(),
        ]);
    }
    out.table(&table);
}

/// The calendar, written event by event.
struct IcsWriter {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    stamp: String,
}

impl IcsWriter {
    fn start(now: DateTime<Utc>) -> Result<Self> {
        let mut this = Self {
            out: std::io::BufWriter::new(std::io::stdout().lock()),
            stamp: now.format("%Y%m%dT%H%M%SZ").to_string(),
        };
        for header in [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "PRODID:-//CRM Ventas//crm-meta//EN",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "X-WR-CALNAME:crm-meta deadlines",
        ] {
            this.line(header)?;
        }
        Ok(this)
    }

    fn line(&mut self, text: &str) -> Result<()> {
        ignore_closed_pipe(self.out.write_all(fold(text).as_bytes()))
    }

    fn event(&mut self, d: &Deadline) -> Result<()> {
        let what = d.what();
        let lines = [
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}", d.uid()),
            format!("DTSTAMP:{}", self.stamp),
            format!("DTSTART:{}", d.date.format("%Y%m%dT%H%M%SZ")),
            format!("SUMMARY:{}", ics_text(&what)),
            format!(
                "DESCRIPTION:{}",
                ics_text(&format!("{what}\nTo prevent it: {}", d.command()))
            ),
            "TRANSP:TRANSPARENT".to_owned(),
            "END:VEVENT".to_owned(),
        ];
        for line in &lines {
            self.line(line)?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<()> {
        self.line("END:VCALENDAR")?;
        ignore_closed_pipe(self.out.flush())
    }
}

/// RFC 5545 TEXT: backslash, semicolon, comma and newline escaped.
fn ics_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in crate::text::clean(text).chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets (never inside a UTF-8 character),
/// continuation lines starting with a space, each ending in CRLF.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fold_at_75_octets_without_splitting_characters() {
        let line = format!("SUMMARY:{}", "ñ".repeat(60));
        let folded = fold(&line);
        assert!(folded.ends_with("\r\n"));
        for part in folded.trim_end_matches("\r\n").split("\r\n") {
            assert!(part.len() <= 75, "{} octets", part.len());
        }
        let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
        assert_eq!(fold("SHORT"), "SHORT\r\n");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(ics_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
