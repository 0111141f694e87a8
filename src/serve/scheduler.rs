//! One loop per environment: wait for the next due time (with jitter) or a
//! `POST /runs`, run, record, alert, repeat. A loop runs its runs one after
//! the other, so one environment never has two runs at once; environments
//! run independently.
//!
//! **One leader per schedule.** Replicas sharing a history (Postgres) each
//! run this loop, but only the one holding the schedule's lease runs it
//! ([`hold_lease`]: a lease row with an expiry, by the database's clock,
//! renewed every third of `--lease`). Why a lease and not an advisory lock:
//! a session lock lives as long as the server believes the connection is
//! alive, and a half-dead connection (a partition, a frozen process) can
//! keep it for as long as TCP keepalives take, while the holder itself may
//! not even know it still leads. A lease ends at a known time whatever
//! happens to the connection, and the holder fences itself: it counts its
//! lease from the moment it *asked* for the renewal, so it always believes
//! it leads for less time than the database grants, and a run in progress
//! is dropped (recorded `abandoned`) the moment that time passes unrenewed.
//! The replica that takes over marks what the last leader left `running`
//! as `abandoned` and resumes the schedule one interval after the last
//! run started: no due run runs twice. A follower shows what the leader
//! records (it re-reads the history every renewal).

use std::sync::Mutex;
use std::time::Duration;

use chrono::Utc;
use sentry::types::Uuid;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::harness::{Harness, InProgress, LoopState, Phase, lock};
use crate::record::history::{RunResult, Trigger};
use crate::record::recording::Recording;
use crate::record::sentry::every;
use crate::run::{self, RunError, RunOptions};

/// Spawns the loop of every environment.
pub(super) fn start(h: &Harness) -> Vec<JoinHandle<()>> {
    h.environments()
        .map(|env| tokio::spawn(env_loop(h.clone(), env.to_owned())))
        .collect()
}

/// Waits for the loops to finish their runs; after the grace period, has
/// the runs in progress abandoned (and recorded so).
pub(super) async fn drain(h: &Harness, loops: Vec<JoinHandle<()>>) {
    let mut all = futures::future::join_all(loops);
    let grace = h.0.settings.grace;
    if tokio::time::timeout(grace, &mut all).await.is_err() {
        tracing::warn!(
            grace_seconds = grace.as_secs_f64(),
            "runs still in progress after the grace period: abandoning them"
        );
        h.0.phase.send_replace(Phase::Abandon);
        let _ = all.await;
    }
}

/// `interval` ± 10%, so environments (and harnesses) do not fire in step.
fn jittered(interval: Duration) -> Duration {
    interval.mul_f64(0.9 + 0.2 * unit_random())
}

/// A number in [0, 1): random enough for jitter.
fn unit_random() -> f64 {
    #[allow(clippy::cast_precision_loss)] // 53 random bits fit an f64's mantissa
    let bits = (Uuid::new_v4().as_u128() >> 75) as f64;
    bits / (1u64 << 53) as f64
}

/// When the first run is due: one interval after the last run recorded
/// (the schedule resumes across restarts), never before `first_run` plus a
/// little jitter (a tenth of the interval, at most 10 s: environments do
/// not all start at once, and an operator does not wait long for the
/// first run).
fn first_due(h: &Harness, env: &str, interval: Duration) -> Instant {
    let now = Instant::now();
    let wall = Utc::now();
    let spread = interval
        .mul_f64(0.1)
        .min(Duration::from_secs(10))
        .mul_f64(unit_random());
    let earliest = now + h.0.settings.first_run + spread;
    let since_last = h
        .env_state(env)
        .and_then(|s| s.last_started)
        .and_then(|t| (wall - t).to_std().ok());
    match since_last {
        Some(elapsed) if elapsed < interval => (now + (interval - elapsed)).max(earliest),
        _ => earliest,
    }
}

fn set_due(h: &Harness, env: &str, at: Instant) {
    if let Some(slot) = h.0.envs.get(env) {
        let wall = Utc::now()
            + chrono::Duration::from_std(at.saturating_duration_since(Instant::now()))
                .unwrap_or_default();
        let mut st = lock(&slot.state);
        st.next_due = Some(wall);
        st.loop_state = LoopState::Waiting;
    }
}

/// Until when this replica holds a schedule's lease, by its own clock
/// (`None`: it does not).
type LeaseWatch = watch::Receiver<Option<Instant>>;

fn leading(lease: &LeaseWatch) -> bool {
    lease.borrow().is_some_and(|until| until > Instant::now())
}

/// Takes and renews the lease on `env`'s schedule every third of the lease,
/// publishing until when this replica may believe it leads: the renewal's
/// *request* time plus the lease, never more than the database granted.
/// A store that cannot be reached leaves the belief to run out by itself.
async fn hold_lease(h: Harness, env: String, tx: watch::Sender<Option<Instant>>) {
    let (replica, ttl) = (h.0.settings.replica.clone(), h.0.settings.lease);
    let key = h.series(&env);
    let mut phase = h.0.phase.subscribe();
    loop {
        let asked = Instant::now();
        let got = h.with_store("renew a schedule's lease", |st| {
            st.lease(&key, &replica, ttl)
        });
        // Held runs are written as soon as the history takes them again.
        h.write_held();
        match got {
            Some(Some(_generation)) => {
                tx.send_replace(Some(asked + ttl));
            }
            Some(None) => {
                tx.send_replace(None);
            }
            // Unreachable: lead until the last renewal runs out.
            None => {}
        }
        let held = leading(&tx.subscribe());
        if let Some(slot) = h.0.envs.get(&env) {
            lock(&slot.state).leading = held;
        }
        tokio::select! {
            () = tokio::time::sleep(ttl / 3) => {}
            _ = phase.wait_for(|p| *p != Phase::Running) => break,
        }
    }
}

async fn env_loop(h: Harness, env: String) {
    let Some(slot) = h.0.envs.get(&env) else {
        return;
    };
    let interval = lock(&slot.state).interval;
    let mut phase = h.0.phase.subscribe();
    let (lease_tx, mut lease) = watch::channel(None);
    let holder = tokio::spawn(hold_lease(h.clone(), env.clone(), lease_tx));
    let mut next = Instant::now();
    let mut led = false;
    tracing::info!(
        environment = %env,
        interval_seconds = interval.as_secs_f64(),
        replica = %h.0.settings.replica,
        "scheduler started"
    );
    loop {
        if *phase.borrow_and_update() != Phase::Running {
            break;
        }
        if !leading(&lease) {
            if led {
                tracing::warn!(environment = %env, "this replica no longer holds the schedule's lease: following");
                led = false;
            }
            follow(&h, &env);
            tokio::select! {
                _ = lease.changed() => {}
                () = tokio::time::sleep(h.0.settings.lease / 3) => h.reload(&env),
                _ = phase.changed() => {}
            }
            continue;
        }
        if !led {
            led = true;
            next = take_over(&h, &env, interval);
        }
        let trigger = tokio::select! {
            () = tokio::time::sleep_until(next) => Trigger::Schedule,
            () = slot.wake.notified() => Trigger::Manual,
            _ = phase.changed() => continue,
            _ = lease.changed() => continue,
        };
        if *phase.borrow() != Phase::Running || !leading(&lease) {
            continue;
        }
        let started = Instant::now();
        execute(&h, &env, trigger, lease.clone()).await;
        if trigger == Trigger::Schedule {
            next = (started + jittered(interval)).max(Instant::now());
        }
        // A manual run leaves the schedule as it was.
        set_due(&h, &env, next);
    }
    holder.abort();
    if led {
        let replica = &h.0.settings.replica;
        let key = h.series(&env);
        h.with_store("release a schedule's lease", |st| st.release(&key, replica));
    }
    let mut st = lock(&slot.state);
    st.loop_state = LoopState::Stopped;
    st.next_due = None;
    st.leading = false;
    drop(st);
    tracing::info!(environment = %env, "scheduler stopped");
}

/// Another replica runs the schedule: nothing is due here.
fn follow(h: &Harness, env: &str) {
    if let Some(slot) = h.0.envs.get(env) {
        let mut st = lock(&slot.state);
        st.loop_state = LoopState::Following;
        st.next_due = None;
    }
}

/// This replica now holds the schedule: what the last leader left running
/// is abandoned, its runs are read back, and the next run is due one
/// interval after the last one started.
fn take_over(h: &Harness, env: &str, interval: Duration) -> Instant {
    let abandoned = h
        .with_store("abandon the runs the last leader left", |st| {
            st.abandon_running(&h.series(env), Utc::now())
        })
        .unwrap_or(0);
    h.reload(env);
    let next = first_due(h, env, interval);
    set_due(h, env, next);
    tracing::info!(
        environment = %env,
        abandoned,
        first_in_seconds = next.saturating_duration_since(Instant::now()).as_secs_f64(),
        "this replica leads the schedule"
    );
    next
}

/// How a run thread ended.
enum Ended {
    Finished(Box<Result<reporters::RunReport, RunError>>),
    /// Dropped at shutdown, after the grace period.
    Abandoned,
    /// Dropped because this replica's lease ran out before it finished.
    LostLease,
    /// The thread died without an answer (a panic outside the steps).
    Crashed,
}

/// One run, start to finish: begin its recording, run, finish (or abandon)
/// the recording, metrics, logs.
async fn execute(h: &Harness, env: &str, trigger: Trigger, lease: LeaseWatch) {
    let Some(slot) = h.0.envs.get(env) else {
        return;
    };
    let s = &h.0.settings;
    let started_at = Utc::now();
    let mut recording = h
        .with_store("record a run's start", |st| {
            Recording::begin(st, &h.series(env), trigger, started_at)
        })
        .unwrap_or_else(|| Recording::unrecorded(&h.series(env), trigger, started_at));
    let id = recording.id();
    {
        let mut st = lock(&slot.state);
        st.running = Some(InProgress {
            id,
            trigger,
            started_at,
        });
        st.requested = false;
        st.loop_state = LoopState::Running;
    }
    h.0.metrics.in_progress(env, true);
    let interval = lock(&slot.state).interval;
    if let Some(sentry) = s.sentry.as_ref().filter(|_| trigger == Trigger::Schedule) {
        recording.check_in(sentry, Some(every(interval)));
    }
    tracing::info!(environment = %env, trigger = trigger.as_str(), run = id, "run started");

    let ended = match spawn_run(h, env, lease) {
        Ok(rx) => rx.await.unwrap_or(Ended::Crashed),
        Err(e) => Ended::Finished(Box::new(Err(RunError::Usage(format!(
            "cannot start a thread for the run: {e}"
        ))))),
    };
    let finished_at = Utc::now();
    let (result, error) = match ended {
        Ended::Finished(r) => match *r {
            Err(e) => (RunResult::Error, Some(e.to_string())),
            Ok(report) => {
                let result = RunResult::of(&report);
                finished(h, env, trigger, recording, report);
                h.0.metrics.in_progress(env, false);
                let mut st = lock(&slot.state);
                settle(&mut st, result, started_at, finished_at, None);
                drop(st);
                h.refresh_evidence();
                return;
            }
        },
        Ended::Abandoned => (
            RunResult::Abandoned,
            Some("stopped by a shutdown before it finished".to_owned()),
        ),
        Ended::LostLease => (
            RunResult::Abandoned,
            Some(
                "dropped: this replica's lease on the schedule ran out unrenewed before the run finished (another replica takes over)"
                    .to_owned(),
            ),
        ),
        Ended::Crashed => (
            RunResult::Error,
            Some(
                "the run's thread stopped without a result (a panic outside the steps)".to_owned(),
            ),
        ),
    };
    let e = error.unwrap_or_default();
    h.with_store("record a run's end", |st| {
        recording.abandon(st, result, finished_at, &e)
    });
    h.0.metrics.run_finished(env, result);
    tracing::error!(environment = %env, trigger = trigger.as_str(), run = id, result = result.as_str(), error = %e, "run did not finish");
    h.0.metrics.in_progress(env, false);
    settle(
        &mut lock(&slot.state),
        result,
        started_at,
        finished_at,
        Some(e),
    );
    h.refresh_evidence();
}

/// What the environment's state says after a run.
fn settle(
    st: &mut super::harness::EnvState,
    result: RunResult,
    started_at: chrono::DateTime<Utc>,
    finished_at: chrono::DateTime<Utc>,
    error: Option<String>,
) {
    st.running = None;
    st.last_result = Some(result);
    st.last_started = Some(started_at);
    st.last_finished = Some(finished_at);
    st.last_error = error;
    st.runs += 1;
}

/// A finished run: recorded (claims' last passes, alerts), pruned,
/// counted, logged, and shown as the environment's latest.
fn finished(
    h: &Harness,
    env: &str,
    trigger: Trigger,
    recording: Recording,
    report: reporters::RunReport,
) {
    let s = &h.0.settings;
    let id = recording.id();
    let result = RunResult::of(&report);
    let (report, transitions) = h.record_finished(recording, report);
    h.with_store("prune old runs", |st| st.prune(&h.series(env), s.retain));
    h.0.metrics.record(&report);
    let sm = &report.summary;
    tracing::info!(
        environment = %env,
        trigger = trigger.as_str(),
        run = id,
        run_id = %report.run_id,
        result = result.as_str(),
        passed = sm.passed,
        failed = sm.failed,
        flaky = sm.flaky,
        skipped = sm.skipped,
        known_gaps = sm.known_gaps,
        claim_violations = sm.claim_violations,
        drifted = sm.drifted,
        alerts = transitions.as_ref().map_or(0, Vec::len),
        duration_ms = report.duration_ms.round(),
        "run finished"
    );
    for (t, event) in transitions.iter().flatten() {
        tracing::warn!(
            environment = %env,
            feature = %t.scenario.feature,
            scenario = %t.scenario.scenario,
            transition = t.kind.as_str(),
            consecutive_failures = t.consecutive_failures,
            sentry_event = event.map(|u| u.simple().to_string()).unwrap_or_default(),
            "alert"
        );
    }
    if let Some(slot) = h.0.envs.get(env) {
        lock(&slot.state).latest = Some(std::sync::Arc::new(report));
    }
}

/// Starts the run on a thread of its own (its future is not `Send`), with
/// a current-thread runtime; the answer comes back over the channel.
fn spawn_run(
    h: &Harness,
    env: &str,
    mut lease: LeaseWatch,
) -> std::io::Result<oneshot::Receiver<Ended>> {
    let s = &h.0.settings;
    let (tx, rx) = oneshot::channel();
    // Baseline steps compare against the store, with its privacy rules.
    let (baselines, privacy) = match crate::baseline::for_run(&s.snapshots, &s.config, env) {
        Ok(x) => x,
        Err(e) => {
            let _ = tx.send(Ended::Finished(Box::new(Err(RunError::Usage(
                e.to_string(),
            )))));
            return Ok(rx);
        }
    };
    let opts = RunOptions {
        environment: env.to_owned(),
        tags: s.tags.clone(),
        concurrency: s.concurrency,
        request_timeout: s.request_timeout,
        scenario_timeout: s.scenario_timeout,
        origin: s.origin.clone(),
        baselines: Some(baselines),
        privacy: Some(privacy),
        location: s.location.clone(),
        ..RunOptions::default()
    };
    let config = std::sync::Arc::clone(&s.config);
    let suite = std::sync::Arc::clone(&s.suite);
    let secrets = std::sync::Arc::clone(&s.secrets);
    let mut phase = h.0.phase.subscribe();
    std::thread::Builder::new()
        .name(format!("run-{env}"))
        .spawn(move || {
            let _hook = HookGuard::enter();
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Ended::Finished(Box::new(Err(RunError::Usage(format!(
                        "cannot start the run's runtime: {e}"
                    ))))));
                    return;
                }
            };
            let lookup = move |name: &str| secrets(name);
            let ended = rt.block_on(async {
                tokio::select! {
                    r = run::run(&config, &suite, &opts, &lookup, None) => Ended::Finished(Box::new(r)),
                    () = abandoned(&mut phase) => Ended::Abandoned,
                    () = lease_lost(&mut lease) => Ended::LostLease,
                }
            });
            let _ = tx.send(ended);
        })?;
    Ok(rx)
}

async fn abandoned(phase: &mut watch::Receiver<Phase>) {
    if phase.wait_for(|p| *p == Phase::Abandon).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Returns when this replica's belief that it leads runs out unrenewed.
async fn lease_lost(lease: &mut LeaseWatch) {
    loop {
        let until = *lease.borrow_and_update();
        match until {
            Some(t) if t > Instant::now() => {
                tokio::select! {
                    () = tokio::time::sleep_until(t) => {}
                    r = lease.changed() => if r.is_err() {
                        // The holder stopped (shutdown): the phase decides.
                        std::future::pending::<()>().await;
                    },
                }
            }
            _ => return,
        }
    }
}

type Hook = Box<dyn Fn(&std::panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// The panic hook the process had before its first run.
static ORIGINAL_HOOK: std::sync::OnceLock<std::sync::Arc<Hook>> = std::sync::OnceLock::new();
/// Runs in flight.
static IN_FLIGHT: Mutex<usize> = Mutex::new(0);

fn install_original() {
    if let Some(original) = ORIGINAL_HOOK.get() {
        let original = std::sync::Arc::clone(original);
        std::panic::set_hook(Box::new(move |info| original(info)));
    }
}

/// cucumber swaps the process's panic hook for a silent one during a run
/// and puts back what it found at the end. Two overlapping runs (two
/// environments) would leave the silent one in place, and so would an
/// abandoned run: when the last run in flight ends, this puts back the
/// hook the process had before its first run.
struct HookGuard;

impl HookGuard {
    fn enter() -> Self {
        let mut n = IN_FLIGHT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *n == 0 && ORIGINAL_HOOK.get().is_none() {
            let _ = ORIGINAL_HOOK.set(std::sync::Arc::new(std::panic::take_hook()));
            install_original();
        }
        *n += 1;
        Self
    }
}

impl Drop for HookGuard {
    fn drop(&mut self) {
        let mut n = IN_FLIGHT
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *n = n.saturating_sub(1);
        if *n == 0 {
            install_original();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_a_tenth() {
        let i = Duration::from_secs(300);
        for _ in 0..200 {
            let j = jittered(i);
            assert!(
                j >= Duration::from_secs(270) && j <= Duration::from_secs(330),
                "{j:?}"
            );
            let u = unit_random();
            assert!((0.0..1.0).contains(&u), "{u}");
        }
    }
}
