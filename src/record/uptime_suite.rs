//! Uptime by the hour against a count over every run, on both backends:
//! runs spread over two days, windows starting on and between hours,
//! maintenance, a run written twice, pruning, and a store migrated from
//! schema 4 that fills the hours from the runs it already has.

use chrono::{DateTime, Duration, DurationRound as _, Utc};
use reporters::{RunReport, Status};

use super::history::{History, ScenarioId, Trigger, fixtures};
use super::suite::{FreshDatabase, each_backend};
use super::uptime::scenario_counts;

const FEATURE: &str = "Engine health";

/// 40 runs 73 minutes apart ending now (two days and more: whole days,
/// the hours around them and partial hours), of scenarios "a" (failing every
/// third run) and "b" (skipped every fourth), every seventh in maintenance.
fn runs(now: DateTime<Utc>) -> Vec<RunReport> {
    (0..40)
        .map(|i| {
            let a = if i % 3 == 0 {
                Status::Failed
            } else {
                Status::Passed
            };
            let b = if i % 4 == 0 {
                Status::Skipped
            } else {
                Status::Degraded
            };
            let mut r = fixtures::report_of(
                "local",
                vec![
                    fixtures::scenario(FEATURE, "a", a, None),
                    fixtures::scenario(FEATURE, "b", b, None),
                ],
            );
            r.started_at = now - Duration::minutes(73 * (39 - i)) - Duration::seconds(20);
            r.finished_at = r.started_at + Duration::seconds(20);
            r.maintenance = (i % 7 == 0).then(|| "window".to_owned());
            r
        })
        .collect()
}

/// The same counts made the slow way, from the reports.
fn expected(runs: &[RunReport], since: DateTime<Utc>, scenario: Option<&str>) -> (u64, u64) {
    let mut n = (0, 0);
    for r in runs.iter().filter(|r| r.maintenance.is_none()) {
        let (up, counted) = match scenario {
            None if r.started_at >= since => {
                let failed = r.summary.failed > 0;
                (!failed, true)
            }
            Some(name) if r.finished_at >= since => r
                .scenarios
                .iter()
                .find(|s| s.scenario == name)
                .map_or((false, false), |s| scenario_counts(s.status)),
            _ => (false, false),
        };
        n.0 += u64::from(up);
        n.1 += u64::from(counted);
    }
    n
}

fn windows(now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let hour = now.duration_trunc(Duration::hours(1)).expect("hour");
    vec![
        now - Duration::hours(24),
        hour - Duration::hours(10),
        hour - Duration::hours(10) + Duration::minutes(1),
        now - Duration::days(30),
        now + Duration::hours(1),
        now - Duration::minutes(90),
        now.duration_trunc(Duration::days(1)).expect("day") - Duration::days(1),
        now - Duration::hours(47) - Duration::minutes(30),
    ]
}

fn check(s: &dyn History, runs: &[RunReport], now: DateTime<Utc>, why: &str) {
    let since = windows(now);
    let ids: Vec<ScenarioId> = ["a", "b", "missing"]
        .iter()
        .map(|n| ScenarioId {
            feature: FEATURE.into(),
            scenario: (*n).into(),
        })
        .collect();
    let got = s.scenario_uptime("local", &ids, &since).expect("scenarios");
    for t in &since {
        assert_eq!(
            s.uptime("local", *t).expect("uptime"),
            expected(runs, *t, None),
            "{why}: runs since {t} ({})",
            s.location().display()
        );
    }
    for id in &ids {
        let want: Vec<(u64, u64)> = since
            .iter()
            .map(|t| expected(runs, *t, Some(&id.scenario)))
            .collect();
        assert_eq!(got[id], want, "{why}: {id:?} ({})", s.location().display());
    }
}

#[test]
fn hourly_uptime_equals_a_count_over_every_run_on_and_between_hours() {
    each_backend(|open| {
        let now = Utc::now();
        let runs = runs(now);
        let mut s = open();
        for (i, r) in runs.iter().enumerate() {
            let id = s
                .begin_run("local", Trigger::Schedule, r.started_at)
                .expect("begin");
            s.finish_run(id, r).expect("finish");
            if i == 5 {
                s.finish_run(id, r).expect("written again, counted once");
            }
        }
        check(&*s, &runs, now, "recorded");
        drop(s);
        check(&*open(), &runs, now, "reopened");
        // Pruned to 3 runs: the whole hours are still counted.
        let s = open();
        s.prune("local", 3).expect("prune");
        let hour = now.duration_trunc(Duration::hours(1)).expect("hour");
        let since = hour - Duration::hours(24);
        assert_eq!(
            s.uptime("local", since).expect("uptime"),
            expected(&runs, since, None),
            "the hourly counts outlive --retain"
        );
    });
}

#[test]
fn a_store_migrated_from_schema_4_fills_its_hours_from_its_runs() {
    let now = Utc::now();
    let runs = runs(now);
    let record = |s: &mut dyn History| {
        for r in &runs {
            let id = s
                .begin_run("local", Trigger::Schedule, r.started_at)
                .expect("begin");
            s.finish_run(id, r).expect("finish");
        }
    };
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("harness.db");
    record(&mut super::sqlite::SqliteHistory::open(&path).expect("open"));
    rusqlite::Connection::open(&path)
        .and_then(|c| {
            c.execute_batch(
                "DROP TABLE uptime_hours; DROP TABLE uptime_days; DROP INDEX runs_by_start;
                 DROP INDEX scenario_results_by_time; PRAGMA user_version = 4;",
            )
        })
        .expect("back to schema 4");
    let s = super::sqlite::SqliteHistory::open(&path).expect("migrate");
    check(&s, &runs, now, "SQLite migrated");

    let db = FreshDatabase::new();
    record(&mut super::postgres::PostgresHistory::open(&db.url).expect("open"));
    db.client()
        .batch_execute(
            "DROP TABLE uptime_hours; DROP TABLE uptime_days; DROP INDEX runs_by_start;
             DROP INDEX scenario_results_by_time; DELETE FROM refinery_schema_history WHERE version = 5;",
        )
        .expect("back to schema 4");
    let s = super::postgres::PostgresHistory::open(&db.url).expect("migrate");
    check(&s, &runs, now, "Postgres migrated");
}
