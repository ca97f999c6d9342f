//! The two clocks a Graph API version runs on.
//!
//! One version number (`META_GRAPH_API_VERSION`) is read by two clocks:
//! Graph's, for tokens, OAuth, `/me` and `debug_token`, and the Marketing
//! API's, for business managers and ad accounts, which ends years earlier.
//! The dates are Meta's version tables as of [`TABLE_DATE`].

use chrono::NaiveDate;

/// When the tables below were read off Meta's version pages.
pub const TABLE_DATE: &str = "2026-11-30";
/// The newest version on both clocks on [`TABLE_DATE`].
pub const NEWEST: &str = "v27.0";
/// Warn this many days before a clock a command uses ends.
pub const WARN_DAYS: i64 = 90;

/// Which of Meta's version clocks a call runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// Tokens, OAuth, `/me`, `debug_token`, permissions.
    Graph,
    /// Business managers and ad accounts (the Ads API).
    Marketing,
}

/// End dates by version: (major, minor, end). Versions newer than every
/// entry have no end date yet; older than every entry have ended.
const GRAPH_ENDS: &[(u32, u32, (i32, u32, u32))] = &[
    (20, 0, (2026, 9, 24)),
    (21, 0, (2027, 1, 21)),
    (22, 0, (2027, 5, 20)),
    (23, 0, (2027, 10, 8)),
    (24, 0, (2028, 2, 18)),
    (25, 0, (2028, 7, 29)),
];
const MARKETING_ENDS: &[(u32, u32, (i32, u32, u32))] = &[
    (22, 0, (2026, 2, 19)),
    (23, 0, (2026, 6, 9)),
    (24, 0, (2026, 11, 10)),
    (25, 0, (2027, 2, 23)),
];

impl Clock {
    pub const BOTH: [Clock; 2] = [Clock::Graph, Clock::Marketing];

    /// "Graph API", "Marketing API".
    pub fn name(self) -> &'static str {
        match self {
            Clock::Graph => "Graph API",
            Clock::Marketing => "Marketing API",
        }
    }

    /// The clock a Graph path runs on: business and ad-account edges are
    /// Marketing API calls, everything else crm-meta calls is Graph's.
    pub fn of_path(path: &str) -> Clock {
        if path.contains("businesses")
            || path.contains("ad_accounts")
            || path.contains("adaccounts")
        {
            Clock::Marketing
        } else {
            Clock::Graph
        }
    }

    fn ends(self) -> &'static [(u32, u32, (i32, u32, u32))] {
        match self {
            Clock::Graph => GRAPH_ENDS,
            Clock::Marketing => MARKETING_ENDS,
        }
    }

    /// When `version` ends on this clock.
    pub fn end_of(self, version: &str) -> End {
        let Some(v) = parse(version) else {
            return End::NotAnnounced;
        };
        let table = self.ends();
        if table.first().is_some_and(|(m, n, _)| v < (*m, *n)) {
            return End::LongAgo;
        }
        table
            .iter()
            .find(|(m, n, _)| (*m, *n) == v)
            .and_then(|(_, _, (y, m, d))| NaiveDate::from_ymd_opt(*y, *m, *d))
            .map_or(End::NotAnnounced, End::On)
    }

    /// What to tell the operator about `version` on this clock on `today`.
    pub fn lifecycle(self, version: &str, today: NaiveDate) -> Lifecycle {
        match self.end_of(version) {
            End::LongAgo => Lifecycle::Ended { on: None },
            End::NotAnnounced => Lifecycle::Current,
            End::On(on) => {
                let days = (on - today).num_days();
                if days <= 0 {
                    Lifecycle::Ended { on: Some(on) }
                } else if days <= WARN_DAYS {
                    Lifecycle::EndsSoon { on, days }
                } else {
                    Lifecycle::Current
                }
            }
        }
    }
}

/// When a version ends on one clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    On(NaiveDate),
    /// No end date yet (a current version, or one newer than the table).
    NotAnnounced,
    /// Older than the table: ended on a date this tool does not keep.
    LongAgo,
}

/// A version's standing on one clock on a given day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    Current,
    EndsSoon { on: NaiveDate, days: i64 },
    Ended { on: Option<NaiveDate> },
}

fn parse(version: &str) -> Option<(u32, u32)> {
    let (major, minor) = version.strip_prefix('v')?.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The warning for a version that ends soon on a clock a command uses.
pub fn ends_soon_warning(clock: Clock, version: &str, on: NaiveDate, days: i64) -> String {
    format!(
        "{} {version} ends on {on} (in {days} days): {} calls will fail after that. Set META_GRAPH_API_VERSION={NEWEST}.",
        clock.name(),
        what_fails(clock)
    )
}

/// What stops working when a clock ends.
pub fn what_fails(clock: Clock) -> &'static str {
    match clock {
        Clock::Graph => "token, OAuth and debug_token",
        Clock::Marketing => "business-manager and ad-account",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_two_clocks_end_versions_on_their_own_dates() {
        let today = day(2026, 11, 30);
        assert_eq!(Clock::Graph.lifecycle("v25.0", today), Lifecycle::Current);
        assert_eq!(
            Clock::Marketing.lifecycle("v25.0", today),
            Lifecycle::EndsSoon {
                on: day(2027, 2, 23),
                days: 85
            }
        );
        assert_eq!(
            Clock::Marketing.lifecycle("v24.0", today),
            Lifecycle::Ended {
                on: Some(day(2026, 11, 10))
            }
        );
        assert_eq!(Clock::Graph.lifecycle("v24.0", today), Lifecycle::Current);
        assert_eq!(
            Clock::Graph.lifecycle("v20.0", today),
            Lifecycle::Ended {
                on: Some(day(2026, 9, 24))
            }
        );
        assert_eq!(
            Clock::Graph.lifecycle("v19.0", today),
            Lifecycle::Ended { on: None }
        );
        assert_eq!(
            Clock::Marketing.lifecycle("v21.0", today),
            Lifecycle::Ended { on: None }
        );
        for clock in Clock::BOTH {
            assert_eq!(clock.lifecycle(NEWEST, today), Lifecycle::Current);
            assert_eq!(clock.lifecycle("v26.0", today), Lifecycle::Current);
        }
        assert_eq!(
            Clock::Graph.lifecycle("v21.0", today),
            Lifecycle::EndsSoon {
                on: day(2027, 1, 21),
                days: 52
            }
        );
    }

    #[test]
    fn business_and_ad_account_paths_run_on_the_marketing_clock() {
        for path in [
            "me/businesses",
            "5000/owned_ad_accounts",
            "5000/client_ad_accounts",
            "me/adaccounts",
        ] {
            assert_eq!(Clock::of_path(path), Clock::Marketing, "{path}");
        }
        for path in ["me", "debug_token", "oauth/access_token", "me/permissions"] {
            assert_eq!(Clock::of_path(path), Clock::Graph, "{path}");
        }
    }
}
