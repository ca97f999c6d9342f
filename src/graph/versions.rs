//! Graph API versions and when Meta retires them, from Meta's version table.

use chrono::NaiveDate;

/// Warn this many days before the configured version retires.
pub const WARN_DAYS: i64 = 90;

/// Retirement dates of the versions this tool knows. A version newer than all
/// of these is current; one older is retired.
const RETIREMENTS: &[(u32, u32, (i32, u32, u32))] = &[
    (21, 0, (2027, 1, 21)),
    (22, 0, (2027, 5, 20)),
    (23, 0, (2027, 10, 8)),
    (24, 0, (2028, 2, 18)),
    (25, 0, (2028, 7, 29)),
];

/// What to tell the operator about a version on a given day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    Current,
    RetiresSoon { on: NaiveDate, days: i64 },
    Retired { on: Option<NaiveDate> },
}

fn parse(version: &str) -> Option<(u32, u32)> {
    let (major, minor) = version.strip_prefix('v')?.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

pub fn lifecycle(version: &str, today: NaiveDate) -> Lifecycle {
    let Some(v) = parse(version) else {
        return Lifecycle::Current;
    };
    let oldest = RETIREMENTS
        .first()
        .map(|(m, n, _)| (*m, *n))
        .unwrap_or_default();
    if v < oldest {
        return Lifecycle::Retired { on: None };
    }
    let Some((_, _, (y, m, d))) = RETIREMENTS
        .iter()
        .find(|(major, minor, _)| (*major, *minor) == v)
    else {
        return Lifecycle::Current;
    };
    let Some(on) = NaiveDate::from_ymd_opt(*y, *m, *d) else {
        return Lifecycle::Current;
    };
    let days = (on - today).num_days();
    if days <= 0 {
        Lifecycle::Retired { on: Some(on) }
    } else if days <= WARN_DAYS {
        Lifecycle::RetiresSoon { on, days }
    } else {
        Lifecycle::Current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn versions_age_as_meta_says() {
        assert_eq!(lifecycle("v25.0", day(2026, 11, 29)), Lifecycle::Current);
        assert_eq!(
            lifecycle("v21.0", day(2026, 11, 29)),
            Lifecycle::RetiresSoon {
                on: day(2027, 1, 21),
                days: 53
            }
        );
        assert_eq!(
            lifecycle("v21.0", day(2027, 1, 21)),
            Lifecycle::Retired {
                on: Some(day(2027, 1, 21))
            }
        );
        assert_eq!(
            lifecycle("v19.0", day(2026, 11, 29)),
            Lifecycle::Retired { on: None }
        );
        assert_eq!(lifecycle("v26.0", day(2026, 11, 29)), Lifecycle::Current);
        assert_eq!(lifecycle("v99.0", day(2026, 11, 29)), Lifecycle::Current);
    }
}
