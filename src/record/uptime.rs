//! Uptime by the hour: what each finished run adds to the `uptime_hours`
//! counts both stores keep, and how a window since any instant is read
//! from them exactly.
//!
//! A window `[since, now]` ([`Window`]) is read in three parts:
//! - the runs of the partial hour `[since, hour_ceil(since))`, counted from
//!   their rows;
//! - the whole days from the first midnight after that until today's
//!   midnight (UTC), summed from `uptime_days`;
//! - the whole hours before the first midnight and since today's, summed
//!   from `uptime_hours` (a window shorter than that is all hours).
//!
//! So a 30-day figure reads about 30 + 47 small rows per scenario however
//! many runs are kept, and the counts outlive `--retain` (both tables are
//! kept for [`KEPT_DAYS`] days): the 30-day figure covers 30 days even
//! when fewer runs than that are retained.

use chrono::{DateTime, DurationRound as _, TimeDelta, Utc};
use reporters::{RunReport, Status};

use std::collections::HashMap;

use super::history::{RunResult, ScenarioId};

/// How long the hourly counts are kept: the longest window, and a day.
pub const KEPT_DAYS: i64 = 31;

/// The start of the hour `t` is in.
pub fn hour_floor(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::hours(1)).unwrap_or(t)
}

/// The first hour that starts at or after `t`.
pub fn hour_ceil(t: DateTime<Utc>) -> DateTime<Utc> {
    let floor = hour_floor(t);
    if floor == t {
        t
    } else {
        floor + TimeDelta::hours(1)
    }
}

/// The start of the UTC day `t` is in.
pub fn day_floor(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::days(1)).unwrap_or(t)
}

/// How one window since `since` splits over the three sources (see the
/// module's notes). Hours are summed where `a <= hour < b` or
/// `hour >= c`; days where `b <= day < c` (none when `b == c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub since: DateTime<Utc>,
    /// The first whole hour: the run rows are counted in `[since, a)`.
    pub a: DateTime<Utc>,
    pub b: DateTime<Utc>,
    pub c: DateTime<Utc>,
}

impl Window {
    /// The window since `since`, with whole days up to `today` (a UTC
    /// midnight: today's, normally).
    pub fn new(since: DateTime<Utc>, today: DateTime<Utc>) -> Self {
        let a = hour_ceil(since);
        let first_midnight = {
            let d = day_floor(a);
            if d == a { a } else { d + TimeDelta::days(1) }
        };
        if first_midnight < today {
            Self {
                since,
                a,
                b: first_midnight,
                c: today,
            }
        } else {
            Self {
                since,
                a,
                b: a,
                c: a,
            }
        }
    }

    /// Every window of `since`, split at today's midnight.
    pub fn all(since: &[DateTime<Utc>]) -> Vec<Self> {
        let today = day_floor(Utc::now());
        since.iter().map(|t| Self::new(*t, today)).collect()
    }

    /// The ranges `[from, to)` summed from `uptime_hours` (none empty).
    pub fn hour_ranges(&self) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        [(self.a, self.b), (self.c, far_future())]
            .into_iter()
            .filter(|(from, to)| from < to)
            .collect()
    }

    /// The range `[from, to)` summed from `uptime_days`, if not empty.
    pub fn day_range(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        (self.b < self.c).then_some((self.b, self.c))
    }
}

/// Later than any count: the open end of a window's last hours.
pub fn far_future() -> DateTime<Utc> {
    use chrono::TimeZone as _;
    Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Every range of every window, as (window index, table, from, to): what
/// the stores sum, one range at a time (each an index range scan).
pub fn ranges(windows: &[Window]) -> Vec<(usize, &'static str, DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    for (i, w) in windows.iter().enumerate() {
        for (from, to) in w.hour_ranges() {
            out.push((i, "uptime_hours", from, to));
        }
        if let Some((from, to)) = w.day_range() {
            out.push((i, "uptime_days", from, to));
        }
    }
    out
}

/// Each scenario's (up, counted) in each window, in the windows' order.
pub type ScenarioUptime = HashMap<ScenarioId, Vec<(u64, u64)>>;

/// Each scenario of `ids` with nothing counted in each window of `since`:
/// what the stores' `scenario_uptime` starts from.
pub fn blank(ids: &[ScenarioId], since: &[DateTime<Utc>]) -> ScenarioUptime {
    ids.iter()
        .map(|id| (id.clone(), vec![(0, 0); since.len()]))
        .collect()
}

/// Two counts of (up, counted) added.
pub fn plus(a: (u64, u64), b: (u64, u64)) -> (u64, u64) {
    (a.0 + b.0, a.1 + b.1)
}

/// Whether a scenario of this status counts as up, and whether it is
/// counted at all (skipped, known gaps and outdated claims are not).
pub fn scenario_counts(s: Status) -> (bool, bool) {
    let up = matches!(s, Status::Passed | Status::Flaky | Status::Degraded);
    (up, up || s == Status::Failed)
}

/// What one finished run adds to the hourly (and daily) counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HourCounts {
    /// The hour the run started in, and the environment's (up, counted).
    pub run_hour: DateTime<Utc>,
    pub run: (u64, u64),
    /// The hour the run finished in (its scenarios' time), and each
    /// scenario's (feature, scenario, up, counted).
    pub scenario_hour: DateTime<Utc>,
    pub scenarios: Vec<(String, String, u64, u64)>,
}

/// The counts `report` adds, or `None` in maintenance (left out of uptime).
/// The same rules as the stores' own queries over run rows: a run counts
/// when some scenario was passed, failed, flaky, degraded or outdated, and
/// is up when it passed or was only degraded.
pub fn hour_counts(report: &RunReport) -> Option<HourCounts> {
    let result = RunResult::of(report);
    if result == RunResult::Maintenance {
        return None;
    }
    let s = &report.summary;
    let ran = s.passed + s.failed + s.flaky + s.degraded + s.claim_outdated > 0;
    let up = ran && matches!(result, RunResult::Passed | RunResult::Degraded);
    let counted = ran && (up || result == RunResult::Failed);
    Some(HourCounts {
        run_hour: hour_floor(report.started_at),
        run: (u64::from(up), u64::from(counted)),
        scenario_hour: hour_floor(report.finished_at),
        scenarios: report
            .scenarios
            .iter()
            .map(|sc| {
                let (up, counted) = scenario_counts(sc.status);
                (
                    sc.feature.clone(),
                    sc.scenario.clone(),
                    u64::from(up),
                    u64::from(counted),
                )
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("time")
    }

    #[test]
    fn hours_round_down_and_up_and_an_hour_is_its_own_edge() {
        assert_eq!(
            hour_floor(at("2026-12-02T13:49:07.5Z")),
            at("2026-12-02T13:00:00Z")
        );
        assert_eq!(
            hour_ceil(at("2026-12-02T13:49:07.5Z")),
            at("2026-12-02T14:00:00Z")
        );
        assert_eq!(
            hour_ceil(at("2026-12-02T23:00:00.001Z")),
            at("2026-12-03T00:00:00Z")
        );
        assert_eq!(
            hour_ceil(at("2026-12-02T13:00:00Z")),
            at("2026-12-02T13:00:00Z")
        );
    }

    #[test]
    fn a_window_is_rows_then_hours_then_days_then_hours() {
        let today = at("2026-12-02T00:00:00Z");
        let w = Window::new(at("2026-11-25T13:49:00Z"), today);
        assert_eq!(
            (w.a, w.b, w.c),
            (
                at("2026-11-25T14:00:00Z"),
                at("2026-11-26T00:00:00Z"),
                today
            )
        );
        // Less than a whole day before today: all hours.
        let w = Window::new(at("2026-12-01T13:49:00Z"), today);
        assert_eq!((w.b, w.c), (w.a, w.a));
        // On a midnight: that day is whole.
        let w = Window::new(at("2026-11-30T00:00:00Z"), today);
        assert_eq!((w.a, w.b, w.c), (w.since, w.since, today));
    }

    #[test]
    fn only_what_ran_is_counted_and_only_passing_results_are_up() {
        for (s, expected) in [
            (Status::Passed, (true, true)),
            (Status::Flaky, (true, true)),
            (Status::Degraded, (true, true)),
            (Status::Failed, (false, true)),
            (Status::Skipped, (false, false)),
            (Status::KnownGap, (false, false)),
            (Status::ClaimOutdated, (false, false)),
        ] {
            assert_eq!(scenario_counts(s), expected, "{s:?}");
        }
    }
}
