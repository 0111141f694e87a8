//! Uptime by the hour: what each finished run adds to the `uptime_hours`
//! counts both stores keep, and how a window since any instant is read
//! from them exactly.
//!
//! A window `[since, now]` is the whole hours from [`hour_ceil`]`(since)`
//! on, summed from `uptime_hours`, plus the runs of the partial hour
//! `[since, hour_ceil(since))` counted from their rows. So the page and
//! the badges read at most a few hundred small rows per window, however
//! many runs are kept, and the hourly counts outlive `--retain` (they are
//! kept for [`KEPT_DAYS`] days), so the 30-day figure still covers 30 days
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

/// Each scenario's (up, counted) in each window, in the windows' order.
pub type ScenarioUptime = HashMap<ScenarioId, Vec<(u64, u64)>>;

/// Each scenario of `ids` with nothing counted in each of `windows`, and
/// the first whole hour of each window (`since`): what the stores'
/// `scenario_uptime` starts from.
pub fn blank(ids: &[ScenarioId], since: &[DateTime<Utc>]) -> (ScenarioUptime, Vec<DateTime<Utc>>) {
    let out = ids
        .iter()
        .map(|id| (id.clone(), vec![(0, 0); since.len()]))
        .collect();
    (out, since.iter().map(|t| hour_ceil(*t)).collect())
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

/// What one finished run adds to the hourly counts.
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
