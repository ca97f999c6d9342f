//! Meta's usage headers, and slowing down before they reach 100 %.
//!
//! `X-App-Usage` and `X-Ad-Account-Usage` carry percentages of the app's (or
//! ad account's) budget; `X-Business-Use-Case-Usage` carries them per
//! business, with `estimated_time_to_regain_access` in minutes once blocked.
//! Every answer updates one shared governor; every request asks it first.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::HeaderMap;
use serde_json::Value;

/// Usage at which requests start to be spaced out.
const SLOW_DOWN_FROM_PERCENT: f64 = 75.0;
/// The pause before each request when usage is at 100 %.
const MAX_PACING: Duration = Duration::from_secs(2);

#[derive(Debug, Default)]
struct State {
    percent: f64,
    blocked_until: Option<Instant>,
}

/// Shared, thread-safe view of how close the app is to its limits.
#[derive(Debug, Default)]
pub struct UsageGovernor {
    state: Mutex<State>,
}

impl UsageGovernor {
    /// Reads the usage headers of an answer.
    pub fn observe(&self, headers: &HeaderMap) {
        let mut percent: Option<f64> = None;
        let mut regain_minutes: Option<f64> = None;
        for name in ["x-app-usage", "x-ad-account-usage"] {
            if let Some(v) = header_json(headers, name) {
                percent = max_opt(percent, max_percent(&v));
            }
        }
        if let Some(v) = header_json(headers, "x-business-use-case-usage") {
            // {"<business id>": [{"type", "call_count", "total_time", "total_cputime", "estimated_time_to_regain_access"}]}
            for entry in v
                .as_object()
                .into_iter()
                .flat_map(|m| m.values())
                .flat_map(|l| l.as_array().into_iter().flatten())
            {
                percent = max_opt(percent, max_percent(entry));
                regain_minutes = max_opt(
                    regain_minutes,
                    entry
                        .get("estimated_time_to_regain_access")
                        .and_then(Value::as_f64),
                );
            }
        }
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if let Some(p) = percent {
            state.percent = p;
        }
        // Bounded to a day: the value comes from a header, and a command
        // gives up long before (META_RATE_LIMIT_MAX_WAIT).
        if let Some(minutes) = regain_minutes.filter(|m| m.is_finite() && *m > 0.0) {
            let wait = Duration::from_secs_f64(minutes.min(24.0 * 60.0) * 60.0);
            state.blocked_until = Instant::now().checked_add(wait);
        }
    }

    /// Records that Meta refused for rate limiting, with the wait we chose.
    pub fn blocked_for(&self, wait: Duration) {
        if let Ok(mut state) = self.state.lock() {
            let until = Instant::now() + wait;
            state.blocked_until = Some(state.blocked_until.map_or(until, |u| u.max(until)));
        }
    }

    /// How long to wait before the next request: until a known block ends,
    /// else a pause growing with usage above 75 %.
    pub fn pause(&self) -> Duration {
        let Ok(mut state) = self.state.lock() else {
            return Duration::ZERO;
        };
        if let Some(until) = state.blocked_until {
            let now = Instant::now();
            if until > now {
                return until - now;
            }
            state.blocked_until = None;
        }
        if state.percent <= SLOW_DOWN_FROM_PERCENT {
            return Duration::ZERO;
        }
        let over =
            ((state.percent - SLOW_DOWN_FROM_PERCENT) / (100.0 - SLOW_DOWN_FROM_PERCENT)).min(1.0);
        MAX_PACING.mul_f64(over * over)
    }

    /// The highest usage percentage last reported.
    pub fn percent(&self) -> f64 {
        self.state.lock().map(|s| s.percent).unwrap_or_default()
    }
}

fn header_json(headers: &HeaderMap, name: &str) -> Option<Value> {
    serde_json::from_slice(headers.get(name)?.as_bytes()).ok()
}

fn max_percent(v: &Value) -> Option<f64> {
    [
        "call_count",
        "total_time",
        "total_cputime",
        "acc_id_util_pct",
    ]
    .iter()
    .filter_map(|k| v.get(*k).and_then(Value::as_f64))
    .reduce(f64::max)
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn low_usage_costs_nothing_high_usage_slows_down() {
        let g = UsageGovernor::default();
        g.observe(&headers(&[(
            "x-app-usage",
            r#"{"call_count":10,"total_time":5,"total_cputime":3}"#,
        )]));
        assert_eq!(g.pause(), Duration::ZERO);
        g.observe(&headers(&[(
            "x-app-usage",
            r#"{"call_count":90,"total_time":5,"total_cputime":3}"#,
        )]));
        let mid = g.pause();
        g.observe(&headers(&[(
            "x-app-usage",
            r#"{"call_count":100,"total_time":5,"total_cputime":3}"#,
        )]));
        assert!(mid > Duration::ZERO && mid < g.pause() && g.pause() <= MAX_PACING);
    }

    #[test]
    fn business_use_case_block_waits_for_regain() {
        let g = UsageGovernor::default();
        g.observe(&headers(&[(
            "x-business-use-case-usage",
            r#"{"123":[{"type":"ads_management","call_count":100,"total_cputime":20,"total_time":20,"estimated_time_to_regain_access":2}]}"#,
        )]));
        assert!(g.pause() > Duration::from_secs(100));
        assert_eq!(g.percent(), 100.0);
    }

    #[test]
    fn absurd_regain_times_do_not_overflow() {
        let g = UsageGovernor::default();
        g.observe(&headers(&[(
            "x-business-use-case-usage",
            r#"{"1":[{"call_count":100,"estimated_time_to_regain_access":1e300}]}"#,
        )]));
        assert!(g.pause() <= Duration::from_secs(86_400));
    }

    #[test]
    fn garbage_headers_are_ignored() {
        let g = UsageGovernor::default();
        g.observe(&headers(&[
            ("x-app-usage", "not json"),
            ("x-business-use-case-usage", "[1,2]"),
        ]));
        assert_eq!(g.pause(), Duration::ZERO);
    }
}
