//! The promotion rule's seven checks, each with what was found and what to
//! do next. [`evaluate`] is pure: it reads run reports and the baseline's
//! state, so `gate` and `serve` reach the same verdict from the same evidence.

use chrono::Utc;
use probes::ErrorKind;
use reporters::model::readiness::{Check, CheckId, CheckStatus, Readiness};
use reporters::{RunReport, ScenarioReport, Status};

use super::evidence::{FlakyPolicy, GateEvidence};
use crate::baseline::store::ReviewState;
use crate::run::HARNESS_VERSION;

fn has_tag(s: &ScenarioReport, tag: &str) -> bool {
    s.tags.iter().any(|t| t == tag)
}

/// The scenario could not look: it failed with a reachability error, or was
/// skipped because its environment was already found unreachable.
fn unreachable(s: &ScenarioReport) -> bool {
    matches!(s.status, Status::Failed | Status::Skipped)
        && s.error.as_ref().is_some_and(|e| e.kind.is_reachability())
}

fn compares_baseline(s: &ScenarioReport) -> bool {
    s.steps
        .iter()
        .any(|st| st.text.contains("matches the baseline"))
}

fn first_line(s: &ScenarioReport) -> String {
    const MAX: usize = 110;
    let text = s
        .error
        .as_ref()
        .map(|e| {
            format!(
                "[{}] {}",
                e.kind,
                e.message.lines().next().unwrap_or_default()
            )
        })
        .or_else(|| s.skip_reason.clone())
        .unwrap_or_default();
    if text.chars().count() > MAX {
        text.chars().take(MAX).collect::<String>() + "…"
    } else {
        text
    }
}

fn list(scenarios: &[&ScenarioReport], max: usize) -> String {
    let mut out: Vec<String> = scenarios
        .iter()
        .take(max)
        .map(|s| {
            let why = first_line(s);
            let sep = if why.is_empty() { "" } else { " " };
            format!("“{}” ({}:{}){sep}{why}", s.scenario, s.feature_file, s.line)
        })
        .collect();
    if scenarios.len() > max {
        out.push(format!("… and {} more", scenarios.len() - max));
    }
    out.join("; ")
}

/// The seven checks and the verdict.
pub fn evaluate(e: &GateEvidence<'_>) -> Readiness {
    let checks = vec![
        source_version(e),
        source_suite(e),
        baseline_captured(e),
        baseline_reviewed(e),
        no_drift(e),
        claims(e),
        target_healthy(e),
    ];
    Readiness::new(e.from, e.to, e.version, checks, Utc::now(), HARNESS_VERSION)
}

/// The source's run, or the check saying its evidence could not be
/// gathered: the suite could not run, or requests were made and not one
/// got an answer.
fn source_run<'a>(e: &GateEvidence<'a>, id: CheckId) -> Result<&'a RunReport, Check> {
    let r = e.source.as_ref().map_err(|why| {
        Check::new(
            id,
            CheckStatus::Unknown,
            format!("the {} suite could not run: {why}", e.from),
        )
    })?;
    let tried = r
        .scenarios
        .iter()
        .any(|s| !s.http.is_empty() || unreachable(s));
    let answered = r
        .scenarios
        .iter()
        .flat_map(|s| &s.http)
        .any(|x| x.status.is_some());
    if tried && !answered {
        let first = r.scenarios.iter().find(|s| unreachable(s));
        return Err(Check::new(
            id,
            CheckStatus::Unknown,
            format!(
                "{} could not be reached ({}): the evidence could not be gathered; check the environment and the network, then run the gate again",
                e.from,
                first.map(first_line).unwrap_or_default()
            ),
        ));
    }
    Ok(r)
}

/// The scenarios of `of` for which `keep` holds.
fn only<'a>(
    of: &[&'a ScenarioReport],
    keep: impl Fn(&ScenarioReport) -> bool,
) -> Vec<&'a ScenarioReport> {
    of.iter().copied().filter(|s| keep(s)).collect()
}

fn source_version(e: &GateEvidence<'_>) -> Check {
    let id = CheckId::SourceVersion;
    let r = match source_run(e, id) {
        Ok(r) => r,
        Err(c) => return c,
    };
    let version: Vec<&ScenarioReport> = r
        .scenarios
        .iter()
        .filter(|s| has_tag(s, "version"))
        .collect();
    if version.is_empty() {
        return Check::new(
            id,
            CheckStatus::Unknown,
            format!(
                "no @version scenario ran in {}: tag the version scenarios @version",
                e.from
            ),
        );
    }
    let wrong: Vec<&ScenarioReport> =
        only(&version, |s| s.status == Status::Failed && !unreachable(s));
    if !wrong.is_empty() {
        return Check::new(
            id,
            CheckStatus::Fail,
            format!(
                "{} does not run {}: {}. Deploy {} to {} first.",
                e.from,
                e.version,
                list(&wrong, 3),
                e.version,
                e.from
            ),
        );
    }
    let down: Vec<&ScenarioReport> = only(&version, unreachable);
    if !down.is_empty() {
        return Check::new(
            id,
            CheckStatus::Unknown,
            format!("the version could not be read: {}", list(&down, 3)),
        );
    }
    let not_run: Vec<&ScenarioReport> = only(&version, |s| s.status == Status::Skipped);
    if !not_run.is_empty() {
        return Check::new(
            id,
            CheckStatus::Unknown,
            format!("version scenarios were skipped: {}", list(&not_run, 3)),
        );
    }
    let names: Vec<&str> = version.iter().map(|s| s.scenario.as_str()).collect();
    Check::new(
        id,
        CheckStatus::Pass,
        format!("{} runs {}: {}", e.from, e.version, names.join("; ")),
    )
}

fn source_suite(e: &GateEvidence<'_>) -> Check {
    let id = CheckId::SourceSuite;
    let r = match source_run(e, id) {
        Ok(r) => r,
        Err(c) => return c,
    };
    let gating: Vec<&ScenarioReport> = r
        .scenarios
        .iter()
        .filter(|s| has_tag(s, "gating"))
        .collect();
    if gating.is_empty() {
        return Check::new(
            id,
            CheckStatus::Unknown,
            format!("no @gating scenario ran in {}", e.from),
        );
    }
    let failed: Vec<&ScenarioReport> = only(&gating, |s| {
        matches!(s.status, Status::Failed | Status::ClaimOutdated) && !unreachable(s)
    });
    if !failed.is_empty() {
        return Check::new(
            id,
            CheckStatus::Fail,
            format!(
                "{} of {} @gating scenarios fail in {}: {}. Fix them (or the claim) and run again.",
                failed.len(),
                gating.len(),
                e.from,
                list(&failed, 5)
            ),
        );
    }
    let down: Vec<&ScenarioReport> = only(&gating, unreachable);
    if !down.is_empty() {
        return Check::new(
            id,
            CheckStatus::Unknown,
            format!(
                "{} @gating scenarios could not reach {}: {}",
                down.len(),
                e.from,
                list(&down, 3)
            ),
        );
    }
    let flaky: Vec<&ScenarioReport> = only(&gating, |s| s.status == Status::Flaky);
    let passed = gating
        .iter()
        .filter(|s| {
            matches!(
                s.status,
                Status::Passed | Status::Flaky | Status::Degraded | Status::KnownGap
            )
        })
        .count();
    let degraded: Vec<&ScenarioReport> = only(&gating, |s| s.status == Status::Degraded);
    let skipped = gating
        .iter()
        .filter(|s| s.status == Status::Skipped)
        .count();
    let skipped_note = if skipped > 0 {
        format!(" ({skipped} skipped: see the report)")
    } else {
        String::new()
    };
    if !flaky.is_empty() {
        let status = if e.flaky == FlakyPolicy::Fail {
            CheckStatus::Fail
        } else {
            CheckStatus::Warn
        };
        return Check::new(
            id,
            status,
            format!(
                "{passed} @gating scenarios pass{skipped_note}, {} of them only on a retry: {}",
                flaky.len(),
                list(&flaky, 3)
            ),
        );
    }
    if !degraded.is_empty() {
        // Correct but slow: a person should know before promoting, and it
        // does not block (a budget is a service level, not a claim).
        return Check::new(
            id,
            CheckStatus::Warn,
            format!(
                "{passed} @gating scenarios pass{skipped_note}, {} of them over their @slow budget (degraded): {}",
                degraded.len(),
                list(&degraded, 3)
            ),
        );
    }
    if skipped > 0 {
        // Not run is not passed: a person decides whether the reason is acceptable.
        let not_run: Vec<&ScenarioReport> = only(&gating, |s| s.status == Status::Skipped);
        return Check::new(
            id,
            CheckStatus::Warn,
            format!(
                "{passed} @gating scenarios pass; {skipped} did not run in {}: {}",
                e.from,
                list(&not_run, 3)
            ),
        );
    }
    Check::new(
        id,
        CheckStatus::Pass,
        format!("all {passed} @gating scenarios pass in {}", e.from),
    )
}

fn baseline_captured(e: &GateEvidence<'_>) -> Check {
    let id = CheckId::BaselineCaptured;
    let b = e.baseline;
    if let Some(p) = &b.problem {
        return Check::new(id, CheckStatus::Fail, format!("{}: {p}", b.manifest));
    }
    match &b.captured_from {
        None => Check::new(
            id,
            CheckStatus::Fail,
            format!(
                "no baseline of {} ({} is missing): run `lucia-harness baseline capture --env {} --version {}`",
                e.version, b.manifest, e.from, e.version
            ),
        ),
        Some(env) if env != e.from => Check::new(
            id,
            CheckStatus::Fail,
            format!(
                "the baseline of {} was captured from {env}, not {}: capture it from {} (`baseline capture --env {} --version {}`)",
                e.version, e.from, e.from, e.from, e.version
            ),
        ),
        Some(env) => Check::new(
            id,
            CheckStatus::Pass,
            format!("{} captured from {env} ({})", e.version, b.manifest),
        ),
    }
}

fn baseline_reviewed(e: &GateEvidence<'_>) -> Check {
    let id = CheckId::BaselineReviewed;
    let b = e.baseline;
    if b.captured_from.is_none() || b.problem.is_some() {
        return Check::new(
            id,
            CheckStatus::Fail,
            format!("there is no baseline of {} to review yet", e.version),
        );
    }
    if b.pending > 0 {
        return Check::new(
            id,
            CheckStatus::Fail,
            format!(
                "{} snapshot(s) of {} await review (.snap.new): Eval Labs reviews them (`baseline status`, `baseline accept`), then `baseline approve --version {} --reviewer NAME`",
                b.pending, e.version, e.version
            ),
        );
    }
    match &b.review {
        ReviewState::Approved { reviewer, at } => Check::new(
            id,
            CheckStatus::Pass,
            format!("approved by {reviewer} at {at}"),
        ),
        ReviewState::Stale { reviewer, at } => Check::new(
            id,
            CheckStatus::Fail,
            format!(
                "reviewed by {reviewer} at {at}, but the baseline changed since (or was not approved): review it again"
            ),
        ),
        ReviewState::NotReviewed => Check::new(
            id,
            CheckStatus::Fail,
            format!(
                "Eval Labs has not reviewed the {} baseline (the seed: do not promote until it is captured and reviewed): `lucia-harness baseline approve --version {} --reviewer NAME`",
                e.from, e.version
            ),
        ),
    }
}

fn no_drift(e: &GateEvidence<'_>) -> Check {
    let id = CheckId::NoDrift;
    let r = match source_run(e, id) {
        Ok(r) => r,
        Err(c) => return c,
    };
    let compared: Vec<&ScenarioReport> = r
        .scenarios
        .iter()
        .filter(|s| compares_baseline(s))
        .collect();
    if compared.is_empty() {
        return Check::new(
            id,
            CheckStatus::Unknown,
            format!("no scenario compared {} against a baseline", e.from),
        );
    }
    let drifted: Vec<&ScenarioReport> = only(&compared, |s| {
        s.error.as_ref().is_some_and(|x| x.kind == ErrorKind::Drift)
    });
    if !drifted.is_empty() {
        return Check::new(
            id,
            CheckStatus::Fail,
            format!(
                "{} of {} baselines drifted in {}: {}. See `lucia-harness baseline diff --env {} --against {}`.",
                drifted.len(),
                compared.len(),
                e.from,
                list(&drifted, 3),
                e.from,
                e.version
            ),
        );
    }
    let unknown: Vec<&ScenarioReport> = only(&compared, |s| {
        s.status == Status::Skipped
            || s.error
                .as_ref()
                .is_some_and(|x| x.kind.is_reachability() || x.kind == ErrorKind::Config)
    });
    if !unknown.is_empty() {
        return Check::new(
            id,
            CheckStatus::Unknown,
            format!(
                "{} comparison(s) could not be made: {}",
                unknown.len(),
                list(&unknown, 3)
            ),
        );
    }
    Check::new(
        id,
        CheckStatus::Pass,
        format!(
            "{} responses of {} match the reviewed baseline",
            compared.len(),
            e.from
        ),
    )
}

fn claims(e: &GateEvidence<'_>) -> Check {
    let id = CheckId::Claims;
    let r = match source_run(e, id) {
        Ok(r) => r,
        Err(c) => return c,
    };
    let violated: Vec<&ScenarioReport> = r
        .scenarios
        .iter()
        .filter(|s| s.is_claim_violation() && !unreachable(s))
        .collect();
    if !violated.is_empty() {
        return Check::new(
            id,
            CheckStatus::Fail,
            format!(
                "{} claim(s) of the Canon do not hold in {}: {} (no pretending: fix it, or change the claim's status)",
                violated.len(),
                e.from,
                list(&violated, 5)
            ),
        );
    }
    let down: Vec<&ScenarioReport> = r
        .scenarios
        .iter()
        .filter(|s| s.claim.is_some() && unreachable(s))
        .collect();
    if !down.is_empty() {
        return Check::new(
            id,
            CheckStatus::Unknown,
            format!(
                "{} claim(s) could not be checked: {}",
                down.len(),
                list(&down, 3)
            ),
        );
    }
    let outdated: Vec<&ScenarioReport> = r
        .scenarios
        .iter()
        .filter(|s| s.status == Status::ClaimOutdated)
        .collect();
    let held = r
        .scenarios
        .iter()
        .filter(|s| s.claim.is_some() && matches!(s.status, Status::Passed | Status::Flaky))
        .count();
    let gaps = r
        .scenarios
        .iter()
        .filter(|s| s.status == Status::KnownGap)
        .count();
    if !outdated.is_empty() {
        return Check::new(
            id,
            CheckStatus::Warn,
            format!(
                "{held} claims hold, {gaps} known gaps; {} deferred/future claim(s) now pass, so the Canon is out of date: {}",
                outdated.len(),
                list(&outdated, 3)
            ),
        );
    }
    Check::new(
        id,
        CheckStatus::Pass,
        format!(
            "{held} claims hold in {}, {gaps} known gaps as the Canon says",
            e.from
        ),
    )
}

fn target_healthy(e: &GateEvidence<'_>) -> Check {
    let id = CheckId::TargetHealthy;
    let r = match &e.target {
        Err(why) => {
            return Check::new(
                id,
                CheckStatus::Unknown,
                format!("the {} health check could not run: {why}", e.to),
            );
        }
        Ok(r) => r,
    };
    let health: Vec<&ScenarioReport> = r
        .scenarios
        .iter()
        .filter(|s| has_tag(s, "health"))
        .collect();
    if health.is_empty() {
        return Check::new(
            id,
            CheckStatus::Unknown,
            format!("no @health scenario ran in {}", e.to),
        );
    }
    let failed: Vec<&ScenarioReport> = only(&health, |s| s.status == Status::Failed);
    if !failed.is_empty() {
        return Check::new(
            id,
            CheckStatus::Fail,
            format!(
                "{} does not answer as it should: {}. Promote only to a healthy target.",
                e.to,
                list(&failed, 3)
            ),
        );
    }
    if health.iter().all(|s| s.status == Status::Skipped) {
        return Check::new(
            id,
            CheckStatus::Unknown,
            format!(
                "the {} health scenarios were skipped: {}",
                e.to,
                list(&health, 2)
            ),
        );
    }
    Check::new(
        id,
        CheckStatus::Pass,
        format!(
            "{} answers: {}",
            e.to,
            health
                .iter()
                .map(|s| s.scenario.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::evidence::BaselineEvidence;
    use reporters::model::readiness::ReadinessVerdict;
    use reporters::{Claim, ErrorReport, RunReport, StepReport, StepStatus, Summary};

    fn scenario(
        name: &str,
        tags: &[&str],
        status: Status,
        error: Option<ErrorKind>,
    ) -> ScenarioReport {
        ScenarioReport {
            feature: "f".into(),
            feature_file: "features/engine/x.feature".into(),
            line: 3,
            scenario: name.into(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            status,
            duration_ms: 1.0,
            attempts: if status == Status::Flaky { 2 } else { 1 },
            claim: tags.iter().find_map(|t| Claim::from_tag(t)),
            error: error.map(|kind| ErrorReport {
                kind,
                message: format!("{kind} happened"),
                step: None,
                line: None,
            }),
            skip_reason: None,
            steps: vec![StepReport {
                keyword: "Then".into(),
                text: if tags.contains(&"compares") {
                    "the response matches the baseline \"engine/health\"".into()
                } else {
                    "the status is 200".into()
                },
                line: 4,
                status: StepStatus::Passed,
                duration_ms: 0.0,
            }],
            http: Vec::new(),
            budget_ms: None,
            trace_id: None,
        }
    }

    fn report(scenarios: Vec<ScenarioReport>) -> RunReport {
        RunReport {
            harness_version: "t".into(),
            run_id: "r".into(),
            environment: "dev".into(),
            environment_status: "live".into(),
            started_at: Utc::now(),
            finished_at: Utc::now(),
            duration_ms: 1.0,
            summary: Summary::of(&scenarios),
            claims: Vec::new(),
            location: None,
            shard: None,
            maintenance: None,
            harness: None,
            scenarios,
        }
    }

    fn good_source() -> Vec<ScenarioReport> {
        vec![
            scenario(
                "version",
                &["gating", "implemented", "version"],
                Status::Passed,
                None,
            ),
            scenario(
                "health",
                &["gating", "implemented", "health", "compares"],
                Status::Passed,
                None,
            ),
            scenario(
                "gap",
                &["deferred"],
                Status::KnownGap,
                Some(ErrorKind::Assertion),
            ),
        ]
    }

    fn baseline() -> BaselineEvidence {
        BaselineEvidence {
            manifest: "snapshots/v0.1.3.6/BASELINE.toml".into(),
            captured_from: Some("dev".into()),
            review: ReviewState::Approved {
                reviewer: "eval-labs".into(),
                at: "2026-11-25T00:00:00Z".into(),
            },
            pending: 0,
            problem: None,
        }
    }

    fn verdict(source: &RunReport, target: &RunReport, b: &BaselineEvidence) -> Readiness {
        evaluate(&GateEvidence {
            from: "dev",
            to: "staging",
            version: "v0.1.3.6",
            source: Ok(source),
            target: Ok(target),
            baseline: b,
            flaky: FlakyPolicy::Warn,
        })
    }

    fn status(r: &Readiness, id: CheckId) -> CheckStatus {
        r.checks
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.status)
            .expect("check")
    }

    #[test]
    fn all_evidence_good_is_ready() {
        let target = report(vec![scenario("health", &["health"], Status::Passed, None)]);
        let r = verdict(&report(good_source()), &target, &baseline());
        assert_eq!(r.verdict, ReadinessVerdict::Ready, "{:#?}", r.checks);
        assert!(r.checks.iter().all(|c| c.status == CheckStatus::Pass));
    }

    #[test]
    fn each_cause_fails_its_own_check() {
        let target = report(vec![scenario("health", &["health"], Status::Passed, None)]);
        let mut wrong_version = good_source();
        wrong_version[0] = scenario(
            "version",
            &["gating", "implemented", "version"],
            Status::Failed,
            Some(ErrorKind::Assertion),
        );
        let r = verdict(&report(wrong_version), &target, &baseline());
        assert_eq!(
            (r.verdict, status(&r, CheckId::SourceVersion)),
            (ReadinessVerdict::NotReady, CheckStatus::Fail)
        );

        let mut drift = good_source();
        drift[1] = scenario(
            "health",
            &["gating", "implemented", "health", "compares"],
            Status::Failed,
            Some(ErrorKind::Drift),
        );
        let r = verdict(&report(drift), &target, &baseline());
        assert_eq!(status(&r, CheckId::NoDrift), CheckStatus::Fail);

        let mut b = baseline();
        b.review = ReviewState::NotReviewed;
        let r = verdict(&report(good_source()), &target, &b);
        assert_eq!(status(&r, CheckId::BaselineReviewed), CheckStatus::Fail);
        assert_eq!(status(&r, CheckId::BaselineCaptured), CheckStatus::Pass);

        let mut b = baseline();
        b.captured_from = None;
        let r = verdict(&report(good_source()), &target, &b);
        assert_eq!(status(&r, CheckId::BaselineCaptured), CheckStatus::Fail);

        let down = report(vec![scenario(
            "health",
            &["health"],
            Status::Failed,
            Some(ErrorKind::Connect),
        )]);
        let r = verdict(&report(good_source()), &down, &baseline());
        assert_eq!(
            (r.verdict, status(&r, CheckId::TargetHealthy)),
            (ReadinessVerdict::NotReady, CheckStatus::Fail)
        );
    }

    #[test]
    fn an_unreachable_source_is_inconclusive() {
        let target = report(vec![scenario("health", &["health"], Status::Passed, None)]);
        let down: Vec<ScenarioReport> = good_source()
            .into_iter()
            .map(|mut s| {
                s.status = Status::Failed;
                s.error = Some(ErrorReport {
                    kind: ErrorKind::Timeout,
                    message: "no answer".into(),
                    step: None,
                    line: None,
                });
                s
            })
            .collect();
        let r = verdict(&report(down), &target, &baseline());
        assert_eq!(r.verdict, ReadinessVerdict::Inconclusive, "{:#?}", r.checks);
        assert_eq!(r.verdict.exit_code(), 3);
    }

    #[test]
    fn degraded_gating_warns_and_never_blocks() {
        let target = report(vec![scenario("health", &["health"], Status::Passed, None)]);
        let mut slow = good_source();
        slow[0].status = Status::Degraded;
        let r = verdict(&report(slow), &target, &baseline());
        let c = r
            .checks
            .iter()
            .find(|c| c.id == CheckId::SourceSuite)
            .expect("the source suite check");
        assert_eq!(
            (r.verdict, c.status),
            (ReadinessVerdict::Ready, CheckStatus::Warn),
            "{c:?}"
        );
        assert!(
            c.detail.contains("over their @slow budget (degraded)"),
            "{}",
            c.detail
        );
    }

    #[test]
    fn flaky_gating_warns_by_default_and_can_block() {
        let target = report(vec![scenario("health", &["health"], Status::Passed, None)]);
        let mut flaky = good_source();
        flaky[0].status = Status::Flaky;
        let source = report(flaky);
        let r = verdict(&source, &target, &baseline());
        assert_eq!(
            (r.verdict, status(&r, CheckId::SourceSuite)),
            (ReadinessVerdict::Ready, CheckStatus::Warn)
        );
        let b = baseline();
        let r = evaluate(&GateEvidence {
            from: "dev",
            to: "staging",
            version: "v0.1.3.6",
            source: Ok(&source),
            target: Ok(&target),
            baseline: &b,
            flaky: FlakyPolicy::Fail,
        });
        assert_eq!(r.verdict, ReadinessVerdict::NotReady);
    }
}
