//! The history's behaviour, once, against both backends: SQLite in a
//! temporary directory and a fresh database per test on the machine's
//! PostgreSQL (127.0.0.1:5432, as `scripts/test` starts it). What only one
//! backend has (SQLite's integrity check, Postgres's migration table) is
//! tested beside it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, SubsecRound as _, Utc};
use reporters::{RunReport, Status};

use super::history::{
    AlertState, History, RunResult, ScenarioId, TransitionRow, Trigger, fixtures,
};
use super::postgres::PostgresHistory;
use super::recording::last_passed;
use super::sqlite::SqliteHistory;

/// The machine's PostgreSQL, as the superuser the test script leaves.
pub(crate) const ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database of its own for one test, dropped afterwards.
pub(crate) struct FreshDatabase {
    pub(crate) name: String,
    pub(crate) url: String,
}

impl FreshDatabase {
    pub(crate) fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "lucia_history_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = postgres::Client::connect(ADMIN_URL, postgres::NoTls)
            .expect("PostgreSQL on 127.0.0.1:5432 (scripts/test starts it)");
        // One statement each: DROP and CREATE DATABASE refuse a transaction.
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .and_then(|()| admin.batch_execute(&format!("CREATE DATABASE {name}")))
            .expect("create the test database");
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        Self { name, url }
    }

    /// A session on this database, for what the trait does not show.
    pub(crate) fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls).expect("connect")
    }
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        if let Ok(mut admin) = postgres::Client::connect(ADMIN_URL, postgres::NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Runs `test` on each backend: `open` opens (or reopens) the same store.
pub(crate) fn each_backend(test: impl Fn(&dyn Fn() -> Box<dyn History>)) {
    each_backend_with_sql(|open, _| test(open));
}

/// The same, with a way to count rows by SQL the trait does not show.
pub(crate) fn each_backend_with_sql(
    test: impl Fn(&dyn Fn() -> Box<dyn History>, &dyn Fn(&str) -> i64),
) {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("nested/harness.db");
    test(
        &|| Box::new(SqliteHistory::open(&path).expect("sqlite")),
        &|sql| {
            rusqlite::Connection::open(&path)
                .and_then(|c| c.query_row(sql, [], |r| r.get(0)))
                .expect("count")
        },
    );
    let db = FreshDatabase::new();
    test(
        &|| Box::new(PostgresHistory::open(&db.url).expect("postgres")),
        &|sql| db.client().query_one(sql, &[]).expect("count").get(0),
    );
}

pub(crate) fn report(env: &str, statuses: &[(&str, Status)]) -> RunReport {
    fixtures::report_of(
        env,
        statuses
            .iter()
            .map(|(name, status)| fixtures::scenario("Engine health", name, *status, None))
            .collect(),
    )
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[test]
fn a_run_round_trips_and_history_counts_it() {
    each_backend(|open| {
        let mut s = open();
        let where_ = s.location().display().to_string();
        let r = report("local", &[("a", Status::Passed), ("b", Status::Failed)]);
        let id = s
            .begin_run("local", Trigger::Manual, r.started_at)
            .expect("begin");
        assert_eq!(
            s.history("local", 5).expect("h")[0].result,
            RunResult::Running,
            "{where_}"
        );
        s.finish_run(id, &r).expect("finish");
        assert_eq!(
            s.latest_report("local").expect("latest"),
            Some(r.clone()),
            "{where_}"
        );
        let h = s.history("local", 5).expect("h");
        assert_eq!(h.len(), 1);
        assert_eq!(
            (h[0].passed, h[0].failed, h[0].result),
            (1, 1, RunResult::Failed)
        );
        assert_eq!(h[0].trigger, Trigger::Manual);
        assert_eq!(h[0].run_id.as_deref(), Some("r"));
        let passed = last_passed(&*s, "local").expect("lp");
        assert!(passed.contains_key(&ScenarioId::of(&r.scenarios[0])));
        assert!(!passed.contains_key(&ScenarioId::of(&r.scenarios[1])));
        assert_eq!(s.latest_report("dev").expect("none"), None);
        assert_eq!(s.environments().expect("envs"), ["local"]);
    });
}

#[test]
fn interrupted_runs_are_abandoned_on_reopen() {
    each_backend(|open| {
        {
            let s = open();
            s.begin_run("local", Trigger::Schedule, Utc::now())
                .expect("begin");
        }
        let s = open();
        assert_eq!(s.recover_interrupted(Utc::now()).expect("recover"), 1);
        let h = s.history("local", 1).expect("h");
        assert_eq!(h[0].result, RunResult::Abandoned);
        assert!(h[0].error.as_deref().is_some_and(|e| e.contains("stopped")));
        assert!(h[0].finished_at.is_some());
    });
}

#[test]
fn a_run_that_could_not_run_is_an_error_with_its_reason() {
    each_backend(|open| {
        let s = open();
        let id = s
            .begin_run("local", Trigger::Cli, Utc::now())
            .expect("begin");
        s.end_run(id, RunResult::Error, Utc::now(), "LUCIA_TOKEN is not set")
            .expect("end");
        let h = s.history("local", 1).expect("h");
        assert_eq!(h[0].result, RunResult::Error);
        assert_eq!(h[0].error.as_deref(), Some("LUCIA_TOKEN is not set"));
        assert_eq!(s.latest_report("local").expect("none"), None);
    });
}

#[test]
fn pruning_keeps_the_newest_runs() {
    each_backend_with_sql(|open, count| {
        let mut s = open();
        for _ in 0..5 {
            let r = report("local", &[("a", Status::Passed)]);
            let id = s
                .begin_run("local", Trigger::Schedule, r.started_at)
                .expect("b");
            s.finish_run(id, &r).expect("f");
        }
        assert_eq!(s.prune("local", 2).expect("prune"), 3);
        assert_eq!(s.history("local", 10).expect("h").len(), 2);
        s.flush().expect("flush");
        let orphans =
            count("SELECT COUNT(*) FROM scenario_results WHERE run NOT IN (SELECT id FROM runs)");
        assert_eq!(orphans, 0, "scenario results go with their run");
    });
}

#[test]
fn alert_state_round_trips() {
    each_backend(|open| {
        let mut s = open();
        let id = ScenarioId {
            feature: "f".into(),
            scenario: "s".into(),
        };
        let st = AlertState {
            consecutive_failures: 3,
            alerting: true,
            since: parse_ts("2026-01-02T03:04:05.000Z"),
        };
        let t = TransitionRow {
            environment: "local".into(),
            feature: "f".into(),
            scenario: "s".into(),
            kind: "failing".into(),
            at: parse_ts("2026-01-02T03:04:06.000Z").expect("ts"),
            consecutive_failures: 3,
            event_id: Some("e1".into()),
        };
        s.save_alerts(
            "local",
            None,
            &HashMap::from([(id.clone(), st.clone())]),
            std::slice::from_ref(&t),
        )
        .expect("save");
        assert_eq!(s.alert_states("local").expect("states").get(&id), Some(&st));
        assert_eq!(s.transitions("local").expect("t"), [t]);
        // Saved again, the state is replaced, not duplicated.
        let healthy = AlertState::default();
        s.save_alerts(
            "local",
            None,
            &HashMap::from([(id.clone(), healthy.clone())]),
            &[],
        )
        .expect("save again");
        let states = s.alert_states("local").expect("states");
        assert_eq!(states.len(), 1);
        assert_eq!(states.get(&id), Some(&healthy));
        assert!(s.alert_states("dev").expect("none").is_empty());
    });
}

#[test]
fn one_holder_at_a_time_holds_a_lease_until_it_expires() {
    use std::time::Duration;
    each_backend(|open| {
        let s = open();
        let ttl = Duration::from_millis(600);
        let first = s.lease("local", "replica-a", ttl).expect("lease");
        assert_eq!(first, Some(1), "a free lease is taken");
        assert_eq!(
            s.lease("local", "replica-b", ttl).expect("lease"),
            None,
            "held by a"
        );
        assert_eq!(
            s.lease("local", "replica-a", ttl).expect("renew"),
            Some(1),
            "renewed"
        );
        assert_eq!(
            s.lease("dev", "replica-b", ttl).expect("lease"),
            Some(1),
            "another schedule"
        );
        std::thread::sleep(ttl + Duration::from_millis(200));
        assert_eq!(
            s.lease("local", "replica-b", ttl).expect("take over"),
            Some(2),
            "expired: b takes it, a new generation"
        );
        assert_eq!(
            s.lease("local", "replica-a", ttl).expect("lease"),
            None,
            "a lost it"
        );
        s.release("local", "replica-b").expect("release");
        assert_eq!(
            s.lease("local", "replica-a", ttl).expect("lease"),
            Some(1),
            "released: free"
        );
    });
}

#[test]
fn taking_over_abandons_the_runs_left_running() {
    each_backend(|open| {
        let mut s = open();
        let done = report("local", &[("a", Status::Passed)]);
        let id = s
            .begin_run("local", Trigger::Schedule, done.started_at)
            .expect("b");
        s.finish_run(id, &done).expect("f");
        s.begin_run("local", Trigger::Schedule, Utc::now())
            .expect("b");
        s.begin_run("dev", Trigger::Schedule, Utc::now())
            .expect("b");
        assert_eq!(s.abandon_running("local", Utc::now()).expect("abandon"), 1);
        let h = s.history("local", 5).expect("h");
        assert_eq!(h[0].result, RunResult::Abandoned);
        assert!(
            h[0].error
                .as_deref()
                .is_some_and(|e| e.contains("lost its lease"))
        );
        assert_eq!(
            h[1].result,
            RunResult::Passed,
            "a finished run is kept as it was"
        );
        assert_eq!(
            s.history("dev", 1).expect("h")[0].result,
            RunResult::Running
        );
    });
}

#[test]
fn a_run_written_twice_is_kept_once() {
    each_backend(|open| {
        let mut s = open();
        let r = report("local", &[("a", Status::Passed), ("b", Status::Failed)]);
        let id = s
            .begin_run("local", Trigger::Schedule, r.started_at)
            .expect("b");
        s.finish_run(id, &r).expect("f");
        s.finish_run(id, &r).expect("again");
        assert_eq!(s.history("local", 5).expect("h").len(), 1);
        let passed = last_passed(&*s, "local").expect("lp");
        assert_eq!(passed.len(), 1, "{passed:?}");
    });
}

#[test]
fn a_last_pass_outlives_the_pruning_of_its_run() {
    each_backend(|open| {
        let mut s = open();
        let passed = report("local", &[("a", Status::Passed)]);
        let id = s
            .begin_run("local", Trigger::Schedule, passed.started_at)
            .expect("b");
        s.finish_run(id, &passed).expect("f");
        for _ in 0..3 {
            let r = report("local", &[("a", Status::Failed)]);
            let id = s
                .begin_run("local", Trigger::Schedule, r.started_at)
                .expect("b");
            s.finish_run(id, &r).expect("f");
        }
        assert_eq!(s.prune("local", 1).expect("prune"), 3);
        let last = last_passed(&*s, "local").expect("lp");
        // SQLite keeps milliseconds, Postgres microseconds.
        assert_eq!(
            last.get(&ScenarioId::of(&passed.scenarios[0]))
                .map(|t| t.trunc_subsecs(3)),
            Some(passed.finished_at.trunc_subsecs(3)),
            "{last:?}"
        );
    });
}

#[test]
fn a_run_is_read_back_by_id_and_counts_towards_uptime() {
    each_backend(|open| {
        let mut s = open();
        let since = Utc::now() - chrono::Duration::hours(1);
        for status in [Status::Passed, Status::Failed, Status::Passed] {
            let r = report("local", &[("a", status)]);
            let id = s
                .begin_run("local", Trigger::Schedule, r.started_at)
                .expect("b");
            s.finish_run(id, &r).expect("f");
            assert_eq!(s.run_report(id).expect("read"), Some(r));
        }
        let broken = s
            .begin_run("local", Trigger::Schedule, Utc::now())
            .expect("b");
        s.end_run(broken, RunResult::Error, Utc::now(), "no token")
            .expect("end");
        assert_eq!(
            s.run_report(broken).expect("read"),
            None,
            "no report: it did not run"
        );
        assert_eq!(s.run_report(9999).expect("read"), None);
        assert_eq!(
            s.uptime("local", since).expect("uptime"),
            (2, 3),
            "an error run counts neither way"
        );
        assert_eq!(
            s.uptime("local", Utc::now() + chrono::Duration::hours(1))
                .expect("uptime"),
            (0, 0)
        );
    });
}

/// A silence of `local` from `from` to `to` minutes after `base`.
fn silence(base: DateTime<Utc>, from: i64, to: i64) -> super::history::Silence {
    super::history::Silence {
        id: 0,
        environment: "local".into(),
        starts_at: base + chrono::Duration::minutes(from),
        ends_at: base + chrono::Duration::minutes(to),
        reason: "deploy".into(),
        created_by: "test".into(),
        ended_at: None,
    }
}

#[test]
fn silences_are_kept_listed_and_ended() {
    each_backend(|open| {
        let s = open();
        let now = Utc::now().trunc_subsecs(3);
        let id = s.add_silence(&silence(now, -5, 25)).expect("add");
        s.add_silence(&silence(now, -60, -30)).expect("a past one");
        let active = s.silences(Some("local"), now, false).expect("list");
        assert_eq!(active.len(), 1, "{active:?}");
        assert_eq!((active[0].id, active[0].reason.as_str()), (id, "deploy"));
        assert!(active[0].covers(now));
        assert!(
            s.silences(Some("dev"), now, false)
                .expect("list")
                .is_empty()
        );
        assert_eq!(s.silences(None, now, true).expect("all").len(), 2);
        let ended = s.end_silence(id, now).expect("end").expect("it exists");
        assert_eq!(ended.ended_at, Some(now));
        assert!(!ended.covers(now + chrono::Duration::seconds(1)));
        assert!(
            s.silences(Some("local"), now, false)
                .expect("list")
                .is_empty()
        );
        assert_eq!(s.end_silence(9999, now).expect("end"), None);
    });
}

#[test]
fn strips_uptime_and_timings_are_read_back_with_maintenance_left_out() {
    each_backend(|open| {
        let mut s = open();
        let since = Utc::now() - chrono::Duration::hours(1);
        let mut ids = Vec::new();
        for (status, maintenance) in [
            (Status::Passed, false),
            (Status::Degraded, false),
            (Status::Failed, true),
            (Status::Failed, false),
            (Status::Skipped, false),
        ] {
            let mut r = fixtures::health_run(status);
            r.maintenance = maintenance.then(|| "silence #1: deploy".to_owned());
            let id = s
                .begin_run("local", Trigger::Schedule, r.started_at)
                .expect("b");
            s.finish_run(id, &r).expect("f");
            ids.push(id);
        }
        let rows = s.history("local", 10).expect("history");
        let results: Vec<RunResult> = rows.iter().rev().map(|r| r.result).collect();
        assert_eq!(
            results,
            [
                RunResult::Passed,
                RunResult::Degraded,
                RunResult::Maintenance,
                RunResult::Failed,
                RunResult::Passed
            ]
        );
        assert_eq!(rows[2].maintenance.as_deref(), Some("silence #1: deploy"));
        assert_eq!(rows[3].degraded, 1);
        // Up: passed and degraded; down: failed; not counted: maintenance,
        // and the run in which nothing ran.
        assert_eq!(s.uptime("local", since).expect("uptime"), (2, 3));
        let id = ScenarioId {
            feature: "Engine health".into(),
            scenario: "Engine reports healthy".into(),
        };
        let points = s
            .scenario_points("local", std::slice::from_ref(&id), 3)
            .expect("points");
        let got: Vec<(i64, Status, bool)> = points[&id]
            .iter()
            .map(|p| (p.run, p.status, p.maintenance))
            .collect();
        assert_eq!(
            got,
            [
                (ids[4], Status::Skipped, false),
                (ids[3], Status::Failed, false),
                (ids[2], Status::Failed, true)
            ],
            "newest first, the maintenance run marked"
        );
        let future = Utc::now() + chrono::Duration::hours(1);
        let up = s
            .scenario_uptime("local", std::slice::from_ref(&id), &[since, future])
            .expect("uptime");
        assert_eq!(up[&id], vec![(2, 3), (0, 0)], "{up:?}");
        let timings = s.feature_timings("local", 100).expect("timings");
        // The skipped run made no request.
        assert_eq!(timings.len(), 4, "{timings:?}");
        assert!(
            timings
                .iter()
                .all(|t| t.feature == "Engine health" && t.requests == 1 && t.p50_ms == 3.0)
        );
        // The newest 3 runs only: the skipped one (no request) and two before it.
        let newest = s.feature_timings("local", 3).expect("timings");
        let runs: Vec<i64> = newest.iter().map(|t| t.run).collect();
        assert_eq!(runs, [ids[2], ids[3]], "{newest:?}");
    });
}

/// Records `statuses` of "Engine reports healthy", a run every 5 minutes
/// from `base`, through a `Recording` (threshold 2, no Sentry); the kinds
/// of the transitions each run made.
fn record_runs(s: &mut dyn History, base: DateTime<Utc>, statuses: &[Status]) -> Vec<Vec<String>> {
    use super::recording::{Alerting, Recording};
    let alerting = Alerting {
        threshold: 2,
        sentry: None,
        min_locations: 1,
        windows: Vec::new(),
    };
    statuses
        .iter()
        .enumerate()
        .map(|(i, status)| {
            let mut r = fixtures::health_run(*status);
            r.started_at = base + chrono::Duration::minutes(5 * i as i64);
            r.finished_at = r.started_at + chrono::Duration::seconds(2);
            let rec = Recording::begin(s, "local", Trigger::Schedule, r.started_at).expect("begin");
            rec.finish(s, &mut r, &alerting, None)
                .expect("finish")
                .iter()
                .map(|(t, _)| format!("{:?}", t.kind))
                .collect()
        })
        .collect()
}

#[test]
fn a_window_that_starts_and_ends_in_the_middle_of_a_failure_sends_nothing_and_moves_no_count() {
    use Status::{Failed as F, Passed as P};
    each_backend(|open| {
        let mut s = open();
        let base = Utc::now() - chrono::Duration::hours(2);
        // Failing before the window (alerted), through it, after it: the
        // window sends nothing, not even the recovery inside it; the page
        // after it is not sent twice; the recovery after it is.
        s.add_silence(&silence(base, 7, 17)).expect("silence");
        let sent = record_runs(&mut *s, base, &[F, F, F, P, F, P]);
        assert_eq!(
            sent,
            [
                vec![],
                vec!["Failing".to_owned()],
                vec![],
                vec![],
                vec![],
                vec!["Recovered".to_owned()]
            ],
            "runs 3 and 4 (at 10 and 15 min) are in the window"
        );
        let rows = s.history("local", 10).expect("history");
        let results: Vec<RunResult> = rows.iter().rev().map(|r| r.result).collect();
        assert_eq!(
            results,
            [
                RunResult::Failed,
                RunResult::Failed,
                RunResult::Maintenance,
                RunResult::Maintenance,
                RunResult::Failed,
                RunResult::Passed
            ]
        );
        assert!(
            rows[2]
                .maintenance
                .as_deref()
                .is_some_and(|m| m.contains("silence #") && m.contains("deploy"))
        );
    });
    each_backend(|open| {
        let mut s = open();
        let base = Utc::now() - chrono::Duration::hours(2);
        // A failure that begins and ends inside the window: nothing, and
        // the alert state is as it was before the window.
        s.add_silence(&silence(base, 3, 18)).expect("silence");
        let sent = record_runs(&mut *s, base, &[P, F, F, F, P]);
        assert!(sent.iter().all(Vec::is_empty), "{sent:?}");
        let st = s
            .alert_states("local")
            .expect("states")
            .into_values()
            .next()
            .expect("one");
        assert_eq!((st.consecutive_failures, st.alerting), (0, false));
    });
    each_backend(|open| {
        let mut s = open();
        let base = Utc::now() - chrono::Duration::hours(2);
        // A failure that begins inside the window and outlasts it pages
        // after two failing runs outside it, not on the first.
        s.add_silence(&silence(base, 3, 13)).expect("silence");
        let sent = record_runs(&mut *s, base, &[P, F, F, F, F]);
        assert_eq!(
            sent,
            [vec![], vec![], vec![], vec![], vec!["Failing".to_owned()]],
            "runs 1 and 2 are in the window; 3 counts 1, 4 counts 2 and pages"
        );
        let st = s
            .alert_states("local")
            .expect("states")
            .into_values()
            .next()
            .expect("one");
        assert_eq!((st.consecutive_failures, st.alerting), (2, true));
    });
}
