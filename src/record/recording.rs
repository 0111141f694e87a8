//! The one path a run takes into the record, for `serve`'s scheduler and
//! for `run --state`/`--alert` alike: [`Recording::begin`] when it starts
//! (so a process killed mid-run leaves it `running`, found `abandoned` on
//! the next open), then exactly one of [`Recording::finish`] (the report,
//! its claims' last passes, the alert states, the Sentry events) or
//! [`Recording::abandon`] (it could not run, or was stopped). With Sentry,
//! a Crons check-in opens with the run and closes with it.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use reporters::{RunReport, Status};
use sentry::protocol::{MonitorCheckInStatus, MonitorSchedule};
use sentry::types::Uuid;

use super::alert::{Transition, across_locations, evaluate, maintenance_at, rows};
use super::history::{History, HistoryError, RunResult, ScenarioId, Trigger};
use super::sentry::{Context, Sentry, check_in, send};
use crate::input::maintenance::MaintenanceWindow;

/// A transition and the id of the Sentry event sent for it (none without Sentry).
pub type Sent = (Transition, Option<Uuid>);

/// What a finished run is held to besides being stored.
#[derive(Clone, Debug)]
pub struct Alerting {
    /// Failed runs in a row before a scenario alerts.
    pub threshold: u32,
    /// Where transitions and check-ins go; none: they are only recorded.
    pub sentry: Option<Sentry>,
    /// Locations that must see a scenario failing before it pages
    /// (`--alert-min-locations`; 1: each location on its own).
    pub min_locations: u32,
    /// The environment's recurring maintenance windows (silences are read
    /// from the history when the run is recorded).
    pub windows: Vec<MaintenanceWindow>,
}

#[derive(Debug)]
struct CheckIn {
    sentry: Sentry,
    id: Uuid,
    schedule: Option<MonitorSchedule>,
}

/// A run between its start and its end in the record.
#[derive(Debug)]
#[must_use = "a recording ends with finish or abandon"]
pub struct Recording {
    /// The history's id of the run; none when its start could not be recorded.
    id: Option<i64>,
    environment: String,
    trigger: Trigger,
    started_at: DateTime<Utc>,
    check_in: Option<CheckIn>,
    clock: Instant,
}

/// The statuses that count as a scenario having passed, for "last passed":
/// a deferred claim seen working passed too.
pub const PASSED: [Status; 4] = [
    Status::Passed,
    Status::Flaky,
    Status::Degraded,
    Status::ClaimOutdated,
];

/// When each scenario of `environment` last passed, from every run kept.
pub fn last_passed(
    history: &dyn History,
    environment: &str,
) -> Result<HashMap<ScenarioId, DateTime<Utc>>, HistoryError> {
    history.last_seen(environment, &PASSED)
}

/// Completes the claim ledger of `report` with when each claim that did not
/// pass in this run last passed in the history kept.
pub fn fill_last_passed(history: &dyn History, report: &mut RunReport) -> Result<(), HistoryError> {
    if report.claims.iter().all(|c| c.last_passed.is_some()) {
        return Ok(());
    }
    let known = last_passed(history, &report.series())?;
    for c in report.claims.iter_mut().filter(|c| c.last_passed.is_none()) {
        c.last_passed = known
            .get(&ScenarioId {
                feature: c.feature.clone(),
                scenario: c.scenario.clone(),
            })
            .copied();
    }
    Ok(())
}

impl Recording {
    /// Records that a run of `environment` started (a series: the
    /// environment, or `environment@location`, as [`RunReport::series`]).
    pub fn begin(
        history: &dyn History,
        environment: &str,
        trigger: Trigger,
        started_at: DateTime<Utc>,
    ) -> Result<Self, HistoryError> {
        let id = history.begin_run(environment, trigger, started_at)?;
        Ok(Self {
            id: Some(id),
            ..Self::unrecorded(environment, trigger, started_at)
        })
    }

    /// A run whose start could not be recorded (the history was out of
    /// reach): it still runs, checks in and is reported; [`Self::record`]
    /// records its start with its end, when the history is back.
    pub fn unrecorded(environment: &str, trigger: Trigger, started_at: DateTime<Utc>) -> Self {
        Self {
            id: None,
            environment: environment.to_owned(),
            trigger,
            started_at,
            check_in: None,
            clock: Instant::now(),
        }
    }

    /// The history's id of the run, when its start was recorded.
    pub fn id(&self) -> Option<i64> {
        self.id
    }

    /// Opens a Crons check-in for the run; `schedule` lets Sentry create the
    /// monitor and notice a missed run.
    pub fn check_in(&mut self, sentry: &Sentry, schedule: Option<MonitorSchedule>) {
        let id = Uuid::new_v4();
        sentry.send_check_in(check_in(
            &self.environment,
            id,
            MonitorCheckInStatus::InProgress,
            None,
            schedule.clone(),
        ));
        self.check_in = Some(CheckIn {
            sentry: sentry.clone(),
            id,
            schedule,
        });
    }

    fn close_check_in(&self, ok: bool) {
        if let Some(c) = &self.check_in {
            let status = if ok {
                MonitorCheckInStatus::Ok
            } else {
                MonitorCheckInStatus::Error
            };
            c.sentry.send_check_in(check_in(
                &self.environment,
                c.id,
                status,
                Some(self.clock.elapsed()),
                c.schedule.clone(),
            ));
        }
    }

    /// Records the finished run: its claims' last passes are filled in
    /// from the history first (so what is stored, served and written says
    /// them), then the report, then the alert transitions, whose events are
    /// sent before the new states are saved (a process killed in between
    /// alerts twice rather than never). The check-in closes either way.
    pub fn finish(
        self,
        history: &mut dyn History,
        report: &mut RunReport,
        alerting: &Alerting,
        version: Option<&str>,
    ) -> Result<Vec<Sent>, HistoryError> {
        let mut this = self;
        let recorded = this.record(history, report, alerting, version);
        this.close_for(report);
        recorded
    }

    /// Closes the run's Crons check-in (the run ended, recorded or not yet).
    /// A run in maintenance closes `ok` whatever it found: the monitor says
    /// whether the schedule ran, and it did; an `error` would page during
    /// the window, and skipping the check-in would page too (as missed).
    pub fn close(&self, ok: bool) {
        self.close_check_in(ok);
    }

    /// Closes the check-in as `report` says: `ok` when it passed or ran
    /// in maintenance (see [`Self::close`]).
    pub fn close_for(&self, report: &RunReport) {
        self.close(report.passed() || report.maintenance.is_some());
    }

    /// Records the finished run, as [`Self::finish`] does, without ending
    /// the recording: when the history cannot be written it may be tried
    /// again later (`serve` holds it until the database is back). A run
    /// whose start was not recorded is recorded whole now. Nothing is
    /// alerted until the run is in the history: the alert states it is
    /// judged against are there.
    pub fn record(
        &mut self,
        history: &mut dyn History,
        report: &mut RunReport,
        alerting: &Alerting,
        version: Option<&str>,
    ) -> Result<Vec<Sent>, HistoryError> {
        // A recurring window needs no history: decided first, so a run held
        // while the database is down still closes its check-in as it should.
        if report.maintenance.is_none() {
            report.maintenance = maintenance_at(&alerting.windows, &[], report.started_at);
        }
        let id = match self.id {
            Some(id) => id,
            None => {
                let id = history.begin_run(&self.environment, self.trigger, self.started_at)?;
                self.id = Some(id);
                id
            }
        };
        fill_last_passed(history, report)?;
        if report.maintenance.is_none() {
            let silences = history.silences(Some(&report.environment), report.started_at, true)?;
            report.maintenance = maintenance_at(&alerting.windows, &silences, report.started_at);
        }
        history.finish_run(id, report)?;
        if report.maintenance.is_some() {
            // Recorded, never alerted on; the alert states stay as they were.
            return Ok(Vec::new());
        }
        let series = report.series();
        let previous = history.alert_states(&series)?;
        let mut outcome = evaluate(alerting.threshold, &previous, report);
        if report.location.is_some() {
            let others = format!("{}@", report.environment);
            let mut siblings = Vec::new();
            for s in history.environments()? {
                if s.starts_with(&others) && s != series {
                    siblings.push(history.alert_states(&s)?);
                }
            }
            outcome = across_locations(
                outcome,
                &siblings,
                alerting.min_locations,
                alerting.threshold,
            );
        }
        let ctx = Context {
            environment: &report.environment,
            version,
            run_id: &report.run_id,
        };
        let sent = send(alerting.sentry.as_ref(), outcome.transitions, &ctx);
        let rows = rows(&series, report.finished_at, &sent);
        history.save_alerts(&series, Some(id), &outcome.states, &rows)?;
        Ok(sent)
    }

    /// The run did not finish: it could not run (`RunResult::Error`) or was
    /// stopped (`RunResult::Abandoned`), and why. The check-in closes as an error.
    pub fn abandon(
        self,
        history: &dyn History,
        result: RunResult,
        finished_at: DateTime<Utc>,
        why: &str,
    ) -> Result<(), HistoryError> {
        self.close_check_in(false);
        match self.id {
            Some(id) => history.end_run(id, result, finished_at, why),
            None => Ok(()),
        }
    }
}
