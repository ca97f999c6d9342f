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
    /// How many requests had been sent when the answer that set `percent`
    /// arrived: only a request sent after that was served after it.
    percent_answered_at: Option<u64>,
}

/// Where an answer stands in the client's sequence of sent requests.
#[derive(Debug, Clone, Copy)]
pub struct AnswerOrder {
    /// Requests sent before this one.
    pub sent_as: u64,
    /// Requests sent (this one included) when its answer arrived.
    pub answered_at: u64,
}

/// Shared, thread-safe view of how close the app is to its limits.
#[derive(Debug, Default)]
pub struct UsageGovernor {
    state: Mutex<State>,
    /// `--max-usage`: the plan that keeps this run under a ceiling.
    ceiling: Mutex<Option<Ceiling>>,
    settled: tokio::sync::Notify,
}

/// The usage this run may cause at most, and what it has learned about how
/// many calls a percent point is.
#[derive(Debug)]
struct Ceiling {
    max_percent: f64,
    max_wait: Duration,
    /// Calls per percent point of usage, once learned.
    per_percent: Option<f64>,
    /// The usage window as this run sees it: a new one starts whenever a
    /// newer request reads lower usage than an older one did.
    window: u64,
    /// Calls sent in this window (so counted in it) and answered.
    window_answered: u64,
    /// The usage when this window was first seen.
    window_start_percent: f64,
    /// The lowest calls-per-percent measured over a clear rise.
    clear_estimate: Option<f64>,
    /// Calls sent whose answers have not come back: counted as spent.
    in_flight: u64,
    /// The last usage reported after an answer, and when.
    seen: Option<(f64, Instant)>,
    /// Since when no call could go (cleared whenever the plan lets calls go).
    blocked_since: Option<Instant>,
    /// While blocked with nothing in flight: when one call may go to find
    /// out whether usage fell. One schedule for every waiting task, so the
    /// probes stay one at a time however many batches wait.
    next_probe: Option<Instant>,
    /// Probes sent since the plan last let calls go.
    probes: u32,
    gave_up: bool,
    /// What the run is waiting for, for the progress line.
    waiting: Option<CeilingWait>,
}

/// Why fleet calls are held back, and until when (when known).
#[derive(Debug, Clone, Copy)]
pub struct CeilingWait {
    pub percent: f64,
    pub max_percent: f64,
    pub until: Option<std::time::SystemTime>,
}

/// How long to wait for usage to fall before trying one call, at first.
const FIRST_PROBE_WAIT: Duration = Duration::from_secs(1);
const LONGEST_PROBE_WAIT: Duration = Duration::from_secs(30);

/// The wait before a probe, after `probes` that found usage still high:
/// 1 s, 1 s, then doubling to 30 s. A second look soon is cheap (one
/// call) and often sees a window that just turned over; after that, each
/// probe is a call the run spends at the ceiling, so they thin out.
fn probe_wait(probes: u32) -> Duration {
    FIRST_PROBE_WAIT
        .saturating_mul(2u32.saturating_pow(probes.saturating_sub(1)))
        .min(LONGEST_PROBE_WAIT)
}

impl Ceiling {
    /// Reported usage is a whole percent, rounded down: count it as the next one.
    fn percent_now(&self) -> Option<f64> {
        self.seen.map(|(p, _)| (p + 1.0).min(100.0))
    }

    /// Calls per percent point, as learned. Others' calls count in the usage
    /// too, so it is an underestimate: the plan errs on the safe side.
    fn calls_per_percent(&self) -> Option<f64> {
        self.per_percent
    }

    /// Learns from the usage reported once `grant` was answered.
    fn learn(&mut self, grant: Grant, percent: f64) {
        match self.seen {
            // A newer reading is lower: usage fell (a new window at Meta).
            // Calls sent before now may have counted in the old one.
            Some((seen, _)) if percent < seen => {
                self.window += 1;
                self.window_answered = 0;
                self.window_start_percent = percent;
            }
            // The first reading: calls from here on are measured against it.
            None => self.window_start_percent = percent,
            Some(_) if grant.window == self.window => self.window_answered += grant.calls,
            Some(_) => {}
        }
        self.seen = Some((percent, Instant::now()));
        tracing::trace!(
            percent,
            window = self.window,
            window_answered = self.window_answered,
            window_start = self.window_start_percent,
            "usage ceiling learns"
        );
        // Reported usage is rounded down: the rise is at most this.
        let rise = percent + 1.0 - self.window_start_percent;
        if self.window_answered == 0 || rise <= 0.0 {
            return;
        }
        let estimate = self.window_answered as f64 / rise;
        if percent - self.window_start_percent >= 5.0 {
            // A clear rise within one window: the lowest such estimate is
            // kept, so one misread window (a reset unseen) cannot make the
            // plan bold.
            self.per_percent = Some(match self.clear_estimate {
                Some(known) => known.min(estimate),
                None => estimate,
            });
            self.clear_estimate = self.per_percent;
        } else if self.clear_estimate.is_none() {
            // Until then, what little is known, growing at most twofold.
            self.per_percent = Some(match self.per_percent {
                Some(known) => estimate.min(known * 2.0),
                None => estimate,
            });
        }
    }

    /// How many calls may be sent now without the usage passing the ceiling,
    /// counting every call still in flight as spent.
    fn room(&self) -> u64 {
        let Some(percent) = self.percent_now() else {
            // Nothing known yet: one call, to learn the usage.
            return u64::from(self.in_flight == 0);
        };
        if percent >= self.max_percent {
            return 0;
        }
        let Some(per_percent) = self.calls_per_percent() else {
            // What a call costs is not known yet: one at a time until two
            // readings tell.
            return u64::from(self.in_flight == 0);
        };
        let room = ((self.max_percent - percent) * per_percent).floor() - self.in_flight as f64;
        if room >= 1.0 { room as u64 } else { 0 }
    }
}

/// Calls [`UsageGovernor::reserve`] let go, to hand back to
/// [`UsageGovernor::settle`] once answered.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Grant {
    pub calls: u64,
    /// The usage window (as this run saw it) the calls were sent in.
    window: u64,
}

/// Why the ceiling stopped the run.
#[derive(Debug, Clone, Copy)]
pub struct CeilingReached {
    pub percent: f64,
    pub max_percent: f64,
}

impl UsageGovernor {
    /// Reads the usage headers of an answer.
    pub fn observe(&self, headers: &HeaderMap) {
        self.observe_from(None, headers);
    }

    /// Reads the usage headers of an answer. A lower reading than the last
    /// one sets the usage back only when its request was sent after that
    /// reading arrived: only then was it served later. Sent order alone
    /// does not tell: requests sent one after the other can reach Meta, and
    /// be answered, in either order.
    pub fn observe_answer(&self, order: AnswerOrder, headers: &HeaderMap) {
        self.observe_from(Some(order), headers);
    }

    fn observe_from(&self, order: Option<AnswerOrder>, headers: &HeaderMap) {
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
        // Usage only rises while requests are served, so a higher reading is
        // the newer one; a lower one means usage fell only if its request
        // went out after the higher reading came back.
        let accept = |p: f64| match (order, state.percent_answered_at) {
            _ if p >= state.percent => true,
            (Some(this), Some(last)) => this.sent_as >= last,
            _ => true,
        };
        if let Some(p) = percent.filter(|&p| accept(p)) {
            state.percent = p;
            state.percent_answered_at = order.map(|o| o.answered_at);
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

    /// Keeps this run's fleet calls from pushing the reported usage past
    /// `max_percent`; waits at the ceiling at most `max_wait` in all.
    pub fn set_ceiling(&self, max_percent: f64, max_wait: Duration) {
        if let Ok(mut ceiling) = self.ceiling.lock() {
            *ceiling = Some(Ceiling {
                max_percent,
                max_wait,
                per_percent: None,
                window: 0,
                window_answered: 0,
                window_start_percent: 0.0,
                clear_estimate: None,
                in_flight: 0,
                seen: None,
                blocked_since: None,
                next_probe: None,
                probes: 0,
                gave_up: false,
                waiting: None,
            });
        }
    }

    /// What the run waits for at the ceiling, if it waits.
    pub fn ceiling_wait(&self) -> Option<CeilingWait> {
        self.ceiling.lock().ok()?.as_ref()?.waiting
    }

    /// Up to `wanted` calls may go now (at least one), waiting as the
    /// ceiling requires; every granted call must be [`settle`](Self::settle)d.
    /// Without a ceiling, all of them at once.
    pub async fn reserve(&self, wanted: u64) -> Result<Grant, CeilingReached> {
        let unlimited = Grant {
            calls: wanted,
            window: 0,
        };
        loop {
            // Register for the next settle before looking, so none is missed.
            let settled = self.settled.notified();
            let pause = {
                let Ok(mut guard) = self.ceiling.lock() else {
                    return Ok(unlimited);
                };
                let Some(c) = guard.as_mut() else {
                    return Ok(unlimited);
                };
                let reached = CeilingReached {
                    percent: c.seen.map_or(0.0, |(p, _)| p),
                    max_percent: c.max_percent,
                };
                if c.gave_up {
                    return Err(reached);
                }
                let room = c.room();
                if room > 0 {
                    let granted = room.min(wanted);
                    tracing::trace!(
                        granted,
                        room,
                        in_flight = c.in_flight,
                        percent = c.seen.map(|(p, _)| p),
                        per_percent = c.per_percent,
                        "usage ceiling grants"
                    );
                    c.in_flight += granted;
                    c.waiting = None;
                    c.blocked_since = None;
                    c.next_probe = None;
                    c.probes = 0;
                    return Ok(Grant {
                        calls: granted,
                        window: c.window,
                    });
                }
                let now = Instant::now();
                let blocked_since = *c.blocked_since.get_or_insert(now);
                let waited = now.saturating_duration_since(blocked_since);
                if waited >= c.max_wait {
                    c.gave_up = true;
                    c.waiting = None;
                    return Err(reached);
                }
                if c.in_flight > 0 {
                    // Answers in flight will say more; wait for one.
                    c.waiting = Some(CeilingWait {
                        percent: reached.percent,
                        max_percent: c.max_percent,
                        until: None,
                    });
                    None
                } else {
                    // Nothing in flight: usage falls only with time. At the
                    // probe's time, one call finds out how far it fell.
                    let due = *c.next_probe.get_or_insert(now + probe_wait(c.probes));
                    if now >= due {
                        tracing::trace!(percent = reached.percent, "usage ceiling probes");
                        c.in_flight += 1;
                        c.waiting = None;
                        c.next_probe = None;
                        c.probes += 1;
                        return Ok(Grant {
                            calls: 1,
                            window: c.window,
                        });
                    }
                    let wait = (due - now).min(c.max_wait - waited);
                    c.waiting = Some(CeilingWait {
                        percent: reached.percent,
                        max_percent: c.max_percent,
                        until: std::time::SystemTime::now().checked_add(wait),
                    });
                    Some(wait)
                }
            };
            match pause {
                None => {
                    let _ = tokio::time::timeout(LONGEST_PROBE_WAIT, settled).await;
                }
                Some(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// `calls` granted by [`reserve`](Self::reserve) were answered (their
    /// usage headers already observed), or never sent.
    pub fn settle(&self, grant: Grant) {
        let percent = self.percent();
        if let Ok(mut guard) = self.ceiling.lock()
            && let Some(c) = guard.as_mut()
        {
            c.in_flight = c.in_flight.saturating_sub(grant.calls);
            c.learn(grant, percent);
        }
        self.settled.notify_waiters();
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
    fn only_an_answer_to_a_request_sent_after_a_reading_can_set_it_back() {
        let g = UsageGovernor::default();
        let usage = |p: u32| headers_owned(format!(r#"{{"call_count":{p}}}"#));
        let order = |sent_as, answered_at| AnswerOrder {
            sent_as,
            answered_at,
        };
        // Requests 0..=3 in flight; request 2's answer reads 30 %.
        g.observe_answer(order(2, 4), &usage(30));
        g.observe_answer(order(1, 4), &usage(20)); // sent earlier, read earlier
        assert_eq!(g.percent(), 30.0);
        // Sent after request 2 but before its answer came back: it may have
        // been served first, so its lower reading may be the older one.
        g.observe_answer(order(3, 5), &usage(25));
        assert_eq!(g.percent(), 30.0);
        // Sent once 30 % had been read: usage fell.
        g.observe_answer(order(4, 6), &usage(5));
        assert_eq!(g.percent(), 5.0);
    }

    #[tokio::test]
    async fn the_ceiling_grants_one_call_first_then_what_fits() {
        let g = UsageGovernor::default();
        g.set_ceiling(50.0, Duration::from_secs(1));
        let first = g.reserve(50).await.unwrap();
        assert_eq!(first.calls, 1, "nothing known: one call finds out");
        let order = AnswerOrder {
            sent_as: 0,
            answered_at: 1,
        };
        g.observe_answer(order, &headers_owned(r#"{"call_count":9}"#.into()));
        g.settle(first);
        // One call read 9 % (so up to 10 %): at most 40 more points of one call each.
        let next = g.reserve(500).await.unwrap();
        assert!(next.calls >= 1 && next.calls <= 40, "{}", next.calls);
    }

    #[tokio::test]
    async fn usage_already_past_the_ceiling_lets_no_call_go_even_before_its_cost_is_known() {
        let g = UsageGovernor::default();
        g.set_ceiling(50.0, Duration::from_secs(10));
        let first = g.reserve(50).await.unwrap();
        let order = AnswerOrder {
            sent_as: 0,
            answered_at: 1,
        };
        g.observe_answer(order, &headers_owned(r#"{"call_count":60}"#.into()));
        g.settle(first);
        let next = tokio::time::timeout(Duration::from_millis(300), g.reserve(50)).await;
        assert!(next.is_err(), "a call went at 60 % under a 50 % ceiling");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn batches_waiting_at_the_ceiling_share_one_probe_schedule() {
        let g = std::sync::Arc::new(UsageGovernor::default());
        g.set_ceiling(50.0, Duration::from_millis(1_500));
        let at_60 = headers_owned(r#"{"call_count":60}"#.into());
        let first = g.reserve(50).await.unwrap();
        let order = |n: u64| AnswerOrder {
            sent_as: n,
            answered_at: n + 1,
        };
        g.observe_answer(order(0), &at_60);
        g.settle(first);
        // Batches start waiting at different times, as on a loaded machine.
        let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(1));
        let batches: Vec<_> = (0..6u64)
            .map(|i| {
                let (g, sent, at_60) = (g.clone(), sent.clone(), at_60.clone());
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(100 * i)).await;
                    while let Ok(grant) = g.reserve(50).await {
                        let n = sent.fetch_add(grant.calls, std::sync::atomic::Ordering::SeqCst);
                        g.observe_answer(order(n), &at_60);
                        g.settle(grant);
                    }
                })
            })
            .collect();
        for batch in batches {
            batch.await.unwrap();
        }
        // The first call, then one probe after 1 s; the next would be 1 s
        // later, past the 1.5 s the run may wait.
        assert_eq!(sent.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn probes_look_again_soon_once_then_thin_out() {
        let waits: Vec<u64> = (0..8).map(|n| probe_wait(n).as_secs()).collect();
        assert_eq!(waits, [1, 1, 2, 4, 8, 16, 30, 30]);
    }

    fn headers_owned(app_usage: String) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert("x-app-usage", HeaderValue::from_str(&app_usage).unwrap());
        map
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
