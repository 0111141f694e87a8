//! History you can see: the strip of an environment's last runs and of a
//! scenario's last results (one bar each, oldest on the left, each a link
//! to its run), uptime over 24 h, 7 d and 30 d, and each feature's response
//! times as an inline SVG sparkline. What is read from the history
//! ([`EnvHistory::read`]) is kept apart from how it is drawn (pure).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use reporters::text::escape::html;
use reporters::{RunReport, Status};

use crate::record::history::{
    FeatureTiming, History, HistoryError, RunResult, RunRow, ScenarioId, ScenarioPoint,
    nearest_rank,
};

/// Bars in a strip.
pub const STRIP: usize = 50;

/// Points in a sparkline: the runs it covers are grouped into this many.
pub const TREND_POINTS: usize = 48;

/// The newest runs a sparkline covers at most (`--retain`'s default), so a
/// page costs the same whatever is retained.
pub const TREND_RUNS: usize = 2000;

/// The uptime windows, as badges and the page name them.
pub const WINDOWS: [(&str, i64); 3] = [("24h", 24), ("7d", 24 * 7), ("30d", 24 * 30)];

/// Up and counted (up or down) runs or results in one window.
pub type Uptime = (u64, u64);

/// One feature's response times over the retained runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Trend {
    pub feature: String,
    /// p50 of each group of runs, oldest first.
    pub p50: Vec<f64>,
    /// p95 of each group of runs (the worst run's), oldest first.
    pub p95: Vec<f64>,
    /// The newest run's p50 and p95.
    pub latest: (f64, f64),
    /// Runs it was drawn from.
    pub runs: usize,
}

impl Trend {
    /// Whether the last run's p95 is well above the usual: more than one
    /// and a half times the median p95 over the runs kept (and 50 ms more).
    pub fn slower(&self) -> bool {
        if self.p95.len() < 4 {
            return false;
        }
        let mut usual = self.p95.clone();
        usual.sort_by(f64::total_cmp);
        let median = nearest_rank(&usual, 0.5);
        self.latest.1 > 1.5 * median && self.latest.1 - median > 50.0
    }
}

/// What the page shows of one environment's history.
#[derive(Clone, Debug, Default)]
pub struct EnvHistory {
    /// The newest runs, newest first.
    pub runs: Vec<RunRow>,
    /// Over [`WINDOWS`].
    pub uptime: Vec<Uptime>,
    /// The last results of each scenario that needs attention, newest first.
    pub strips: HashMap<ScenarioId, Vec<ScenarioPoint>>,
    /// Uptime of each `@gating` scenario over [`WINDOWS`], by feature and scenario.
    pub gating: BTreeMap<(String, String), Vec<Uptime>>,
    pub trends: Vec<Trend>,
}

/// Whether a scenario of the latest run gets a strip of its own.
pub fn needs_attention(s: Status) -> bool {
    matches!(
        s,
        Status::Failed | Status::ClaimOutdated | Status::Flaky | Status::Degraded
    )
}

impl EnvHistory {
    /// Reads the history of `series` the page needs, given its latest run.
    pub fn read(
        store: &dyn History,
        series: &str,
        latest: Option<&RunReport>,
        now: DateTime<Utc>,
    ) -> Result<Self, HistoryError> {
        let since: Vec<DateTime<Utc>> = WINDOWS
            .iter()
            .map(|(_, hours)| now - chrono::Duration::hours(*hours))
            .collect();
        let uptime = since
            .iter()
            .map(|t| store.uptime(series, *t))
            .collect::<Result<Vec<_>, _>>()?;
        let scenarios = latest.map(|r| r.scenarios.as_slice()).unwrap_or_default();
        let attention: Vec<ScenarioId> = scenarios
            .iter()
            .filter(|s| needs_attention(s.status))
            .map(ScenarioId::of)
            .collect();
        let gating_ids: Vec<ScenarioId> = scenarios
            .iter()
            .filter(|s| s.tags.iter().any(|t| t == "gating") && s.status != Status::Skipped)
            .map(ScenarioId::of)
            .collect();
        let gating = store
            .scenario_uptime(series, &gating_ids, &since)?
            .into_iter()
            .map(|(id, u)| ((id.feature, id.scenario), u))
            .collect();
        Ok(Self {
            runs: store.history(series, STRIP)?,
            uptime,
            strips: store.scenario_points(series, &attention, STRIP)?,
            gating,
            trends: trends(&store.feature_timings(series, TREND_RUNS)?, TREND_POINTS),
        })
    }
}

/// Each feature's trend from its per-run timings (oldest run first): the
/// runs cut into at most `points` groups of consecutive runs, each drawn
/// at the median of its runs' p50 and the worst of their p95.
pub fn trends(rows: &[FeatureTiming], points: usize) -> Vec<Trend> {
    let mut by_feature: BTreeMap<&str, Vec<&FeatureTiming>> = BTreeMap::new();
    for r in rows {
        by_feature.entry(r.feature.as_str()).or_default().push(r);
    }
    by_feature
        .into_iter()
        .map(|(feature, runs)| {
            let size = runs.len().div_ceil(points.max(1)).max(1);
            let mut p50 = Vec::new();
            let mut p95 = Vec::new();
            for group in runs.chunks(size) {
                let mut mid: Vec<f64> = group.iter().map(|r| r.p50_ms).collect();
                mid.sort_by(f64::total_cmp);
                p50.push(nearest_rank(&mid, 0.5));
                p95.push(group.iter().map(|r| r.p95_ms).fold(0.0, f64::max));
            }
            let last = runs.last().map_or((0.0, 0.0), |r| (r.p50_ms, r.p95_ms));
            Trend {
                feature: feature.to_owned(),
                p50,
                p95,
                latest: last,
                runs: runs.len(),
            }
        })
        .collect()
}

/// The CSS class (and `data-result`) of a run's bar.
fn run_class(r: &RunRow) -> &'static str {
    match r.result {
        RunResult::Passed if r.flaky > 0 => "flaky",
        RunResult::Passed => "passed",
        RunResult::Failed => "failed",
        RunResult::Degraded => "degraded",
        RunResult::Maintenance => "maintenance",
        RunResult::Error | RunResult::Abandoned => "error",
        RunResult::Running => "running",
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A strip: `bars` (`(class, run id, title)`, oldest first), each a link
/// to its run's page, under `aria` (what the group is).
fn strip(
    class: &str,
    key: &str,
    aria: &str,
    bars: impl Iterator<Item = (&'static str, i64, String)>,
    b: &mut String,
) {
    let _ = write!(
        b,
        "<div class=\"{class}\" data-strip=\"{}\" role=\"group\" aria-label=\"{}\">",
        html(key),
        html(aria)
    );
    for (class, run, title) in bars {
        let _ = write!(
            b,
            "<a class=\"bar {class}\" data-result=\"{class}\" href=\"/runs/{run}\" title=\"{0}\" aria-label=\"{0}\"></a>",
            html(&title)
        );
    }
    b.push_str("</div>");
}

/// The strip of an environment's runs, oldest first.
pub fn run_strip(env: &str, runs: &[RunRow], b: &mut String) {
    if runs.is_empty() {
        return;
    }
    let aria = format!("the last {} runs of {env}, oldest first", runs.len());
    let bars = runs.iter().rev().map(|r| {
        let class = run_class(r);
        let mut title = format!(
            "{} · {class} · {} passed, {} failed",
            when(r.started_at),
            r.passed,
            r.failed
        );
        for (n, what) in [
            (r.flaky, "flaky"),
            (r.degraded, "degraded"),
            (r.skipped, "skipped"),
        ] {
            if n > 0 {
                let _ = write!(title, ", {n} {what}");
            }
        }
        if let Some(m) = &r.maintenance {
            let _ = write!(title, " · {m}");
        }
        if let Some(e) = &r.error {
            let _ = write!(title, " · {}", e.lines().next().unwrap_or_default());
        }
        (class, r.id, title)
    });
    strip("strip", env, &aria, bars, b);
}

/// The strip of one scenario's results, oldest first.
pub fn scenario_strip(key: &str, points: &[ScenarioPoint], b: &mut String) {
    if points.is_empty() {
        return;
    }
    let aria = format!("the last {} results of {key}, oldest first", points.len());
    let bars = points.iter().rev().map(|p| {
        let (class, note) = if p.maintenance {
            ("maintenance", " (in maintenance)")
        } else {
            (p.status.as_str(), "")
        };
        let title = format!(
            "{} · {}{note} · {:.0} ms",
            when(p.finished_at),
            p.status.as_str(),
            p.duration_ms
        );
        (class, p.run, title)
    });
    strip("strip thin", key, &aria, bars, b);
}

/// `99.5%`, or `n/a` when nothing counted.
pub fn percent((up, counted): Uptime) -> String {
    if counted == 0 {
        return "n/a".to_owned();
    }
    #[allow(clippy::cast_precision_loss)] // run counts
    let p = 100.0 * up as f64 / counted as f64;
    if up == counted {
        "100%".to_owned()
    } else {
        // Never round a failure up to 100%.
        format!("{:.1}%", (p * 10.0).floor() / 10.0)
    }
}

/// One uptime figure, with what it counted.
fn figure(subject: &str, label: &str, u: Uptime, b: &mut String) {
    let _ = write!(
        b,
        "<span class=\"up\" data-uptime=\"{}\" data-window=\"{label}\" data-up=\"{}\" data-counted=\"{}\" title=\"{} of {} up\">{label} <strong>{}</strong></span>",
        html(subject),
        u.0,
        u.1,
        u.0,
        u.1,
        percent(u)
    );
}

/// Uptime over the three windows, in one line.
pub fn uptime_line(subject: &str, uptime: &[Uptime], b: &mut String) {
    b.push_str("<p class=\"uptime\">Uptime ");
    for (i, ((label, _), u)) in WINDOWS.iter().zip(uptime).enumerate() {
        if i > 0 {
            b.push_str(" · ");
        }
        figure(subject, label, *u, b);
    }
    b.push_str("</p>");
}

/// The uptime of each `@gating` scenario: those below 100% in some window
/// in the open, one line each; the rest behind `<details>`.
pub fn gating_table(env: &str, gating: &BTreeMap<(String, String), Vec<Uptime>>, b: &mut String) {
    if gating.is_empty() {
        return;
    }
    let (below, full): (Vec<_>, Vec<_>) = gating
        .iter()
        .partition(|(_, u)| u.iter().any(|x| x.0 < x.1));
    let line = |((feature, scenario), u): &(&(String, String), &Vec<Uptime>), b: &mut String| {
        let subject = format!("{env} › {feature} › {scenario}");
        let _ = write!(
            b,
            "<li><strong>{}</strong> › {}: ",
            html(feature),
            html(scenario)
        );
        for (i, ((label, _), x)) in WINDOWS.iter().zip(u.iter()).enumerate() {
            if i > 0 {
                b.push_str(" · ");
            }
            figure(&subject, label, *x, b);
        }
        b.push_str("</li>");
    };
    let _ = write!(
        b,
        "<p class=\"meta\">@gating scenarios: {} of {} below 100% in some window</p>",
        below.len(),
        gating.len()
    );
    if !below.is_empty() {
        b.push_str("<ul class=\"gating\">");
        for row in &below {
            line(row, b);
        }
        b.push_str("</ul>");
    }
    if !full.is_empty() {
        let _ = write!(
            b,
            "<details><summary>{} at 100%</summary><ul class=\"gating\">",
            full.len()
        );
        for row in &full {
            line(row, b);
        }
        b.push_str("</ul></details>");
    }
}

/// A sparkline of `t`: p95 (light) over p50 (solid), scaled to the highest
/// p95, with the newest figures in words beside it.
pub fn sparkline(env: &str, t: &Trend, b: &mut String) {
    const W: f64 = 160.0;
    const H: f64 = 28.0;
    let top = t.p95.iter().copied().fold(1.0, f64::max);
    #[allow(clippy::cast_precision_loss)] // a few dozen points
    let points = |v: &[f64]| -> String {
        let n = v.len().max(2) - 1;
        v.iter()
            .enumerate()
            .map(|(i, y)| {
                let x = if v.len() == 1 {
                    W
                } else {
                    W * i as f64 / n as f64
                };
                format!("{x:.1},{:.1}", H - 1.0 - (H - 2.0) * (y / top))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let label = format!(
        "{} in {env}: p50 {:.0} ms, p95 {:.0} ms in the last run; the most {:.0} ms, over {} runs",
        t.feature, t.latest.0, t.latest.1, top, t.runs
    );
    let _ = write!(
        b,
        "<tr><td><strong>{}</strong></td><td><svg data-sparkline=\"{}\" class=\"spark\" viewBox=\"0 0 {W} {H}\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{2}\"><title>{2}</title><polyline class=\"p95\" points=\"{3}\"/><polyline class=\"p50\" points=\"{4}\"/></svg></td><td>{5:.0} · {6:.0} ms</td></tr>",
        html(&t.feature),
        html(&format!("{env} › {}", t.feature)),
        html(&label),
        points(&t.p95),
        points(&t.p50),
        t.latest.0,
        t.latest.1
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(run: i64, feature: &str, p50: f64, p95: f64) -> FeatureTiming {
        FeatureTiming {
            run,
            feature: feature.into(),
            requests: 2,
            p50_ms: p50,
            p95_ms: p95,
        }
    }

    #[test]
    fn trends_group_runs_and_keep_the_worst_p95() {
        let rows: Vec<FeatureTiming> = (0..10)
            .map(|i| timing(i, "Engine", 10.0 + i as f64, 100.0 + i as f64))
            .chain([timing(3, "Admin", 5.0, 9.0)])
            .collect();
        let t = trends(&rows, 4);
        assert_eq!(t.len(), 2);
        let engine = t.iter().find(|t| t.feature == "Engine").expect("engine");
        // 10 runs in groups of 3: [0,1,2] [3,4,5] [6,7,8] [9].
        assert_eq!(engine.p50, vec![11.0, 14.0, 17.0, 19.0]);
        assert_eq!(engine.p95, vec![102.0, 105.0, 108.0, 109.0]);
        assert_eq!(engine.latest, (19.0, 109.0));
        assert_eq!(engine.runs, 10);
    }

    #[test]
    fn uptime_is_never_rounded_up_to_a_full_hundred() {
        assert_eq!(percent((999, 1000)), "99.9%");
        assert_eq!(percent((9999, 10000)), "99.9%");
        assert_eq!(percent((5, 5)), "100%");
        assert_eq!(percent((0, 0)), "n/a");
        assert_eq!(percent((1, 3)), "33.3%");
    }

    #[test]
    fn a_sparkline_is_escaped_svg_with_a_name() {
        let t = Trend {
            feature: "<b>x</b>".into(),
            p50: vec![1.0, 2.0],
            p95: vec![3.0, 4.0],
            latest: (2.0, 4.0),
            runs: 2,
        };
        let mut b = String::new();
        sparkline("dev", &t, &mut b);
        assert!(b.contains("role=\"img\""), "{b}");
        assert!(!b.contains("<b>"), "{b}");
        assert!(b.contains("points=\"0.0,"), "{b}");
    }
}
