//! `crm-meta deadlines [--within DAYS] [--format table|json|ics]`: every
//! upcoming date that will break something, soonest first: each tenant's
//! token expiry and data-access expiry, and the configured version's end on
//! each clock, with the command that prevents it; dates already past stay
//! on the list, marked overdue. Reads only the store.

use anyhow::Result;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::Serialize;

use super::Context;
use crate::cli::DeadlinesArgs;
use crate::error::Exit;
use crate::graph::versions::{self, Clock, End};
use crate::output::{Printer, Report, date_with_distance, new_table};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Kind {
    TokenExpiry,
    DataAccessExpiry,
    GraphVersionEnd,
    MarketingVersionEnd,
}

#[derive(Serialize)]
struct Deadline {
    date: DateTime<Utc>,
    kind: Kind,
    tenant_id: Option<i32>,
    what: String,
    command: String,
    /// Already past: it has broken, and the command mends it.
    overdue: bool,
    /// Stable across runs, so a subscribed calendar updates the event.
    #[serde(skip)]
    uid: String,
}

#[derive(Serialize)]
struct DeadlinesReport {
    deadlines: Vec<Deadline>,
    #[serde(skip)]
    now: DateTime<Utc>,
}

pub async fn run(ctx: &Context, args: DeadlinesArgs) -> Result<Exit> {
    let version = ctx.settings.graph_version()?;
    let target = ctx.database()?;
    let now = Utc::now();
    let horizon = now + Duration::days(i64::from(args.within));
    let store = ctx.store(&target).await?;
    let expiries = store.expiries(horizon).await?;
    store.close().await;

    let mut deadlines = Vec::new();
    for e in &expiries {
        let (id, name) = (e.tenant_id, &e.name);
        if let Some(at) = e.expires_at {
            deadlines.push(Deadline {
                date: at,
                kind: Kind::TokenExpiry,
                tenant_id: Some(id),
                what: format!(
                    "the Meta token of tenant {id} ({name}) expires: the CRM loses its Meta access"
                ),
                command: format!(
                    "crm-meta refresh --tenant {id} (or crm-meta connect --tenant {id} if Meta will not extend it)"
                ),
                overdue: at < now,
                uid: format!("token-expiry-tenant-{id}@crm-meta"),
            });
        }
        if let Some(at) = e.data_access_expires_at {
            deadlines.push(Deadline {
                date: at,
                kind: Kind::DataAccessExpiry,
                tenant_id: Some(id),
                what: format!(
                    "data access of tenant {id} ({name}) ends: Meta stops returning its data until the user consents again"
                ),
                command: format!("crm-meta connect --tenant {id}"),
                overdue: at < now,
                uid: format!("data-access-expiry-tenant-{id}@crm-meta"),
            });
        }
    }
    for clock in Clock::BOTH {
        if let End::On(day) = clock.end_of(&version) {
            let (kind, slug) = match clock {
                Clock::Graph => (Kind::GraphVersionEnd, "graph"),
                Clock::Marketing => (Kind::MarketingVersionEnd, "marketing"),
            };
            let date = day.and_time(NaiveTime::MIN).and_utc();
            deadlines.push(Deadline {
                date,
                overdue: date < now,
                kind,
                tenant_id: None,
                what: format!(
                    "{} {version} ends: every tenant's {} calls fail",
                    clock.name(),
                    versions::what_fails(clock)
                ),
                command: format!("set META_GRAPH_API_VERSION={}", versions::NEWEST),
                uid: format!("{slug}-version-end-{version}@crm-meta"),
            });
        }
    }
    // Past dates stay, marked overdue: they have already broken something.
    deadlines.retain(|d| d.date <= horizon);
    deadlines.sort_by(|a, b| a.date.cmp(&b.date).then(a.tenant_id.cmp(&b.tenant_id)));
    ctx.printer
        .finish_as(args.format.into(), &DeadlinesReport { deadlines, now })
}

impl Report for DeadlinesReport {
    fn show(&self, out: &Printer) {
        if self.deadlines.is_empty() {
            out.note("Nothing breaks within the window.");
            return;
        }
        let mut table = new_table(["DATE", "TENANT", "WHAT", "TO PREVENT IT"]);
        for d in &self.deadlines {
            let overdue = if d.overdue { " OVERDUE" } else { "" };
            table.add_row([
                format!("{}{overdue}", date_with_distance(Some(d.date), self.now)),
                d.tenant_id
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "all".into()),
                d.what.clone(),
                d.command.clone(),
            ]);
        }
        out.table(&table);
    }

    fn ics(&self) -> Option<String> {
        let stamp = self.now.format("%Y%m%dT%H%M%SZ").to_string();
        let mut lines = vec![
            "BEGIN:VCALENDAR".to_owned(),
            "VERSION:2.0".to_owned(),
            "PRODID:-//CRM Ventas//crm-meta//EN".to_owned(),
            "CALSCALE:GREGORIAN".to_owned(),
            "METHOD:PUBLISH".to_owned(),
            "X-WR-CALNAME:crm-meta deadlines".to_owned(),
        ];
        for d in &self.deadlines {
            lines.extend([
                "BEGIN:VEVENT".to_owned(),
                format!("UID:{}", d.uid),
                format!("DTSTAMP:{stamp}"),
                format!("DTSTART:{}", d.date.format("%Y%m%dT%H%M%SZ")),
                format!("SUMMARY:{}", ics_text(&d.what)),
                format!(
                    "DESCRIPTION:{}",
                    ics_text(&format!("{}\nTo prevent it: {}", d.what, d.command))
                ),
                "TRANSP:TRANSPARENT".to_owned(),
                "END:VEVENT".to_owned(),
            ]);
        }
        lines.push("END:VCALENDAR".to_owned());
        Some(lines.iter().map(|l| fold(l)).collect())
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
