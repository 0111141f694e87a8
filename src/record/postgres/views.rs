//! The operators' view in PostgreSQL: uptime by the hour (one statement
//! for all the scenarios asked, arrays unnested), each scenario's recent
//! results, each feature's request times, silences. Free functions over the client;
//! `PostgresHistory` runs them on its connection's thread.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use postgres::Client;
use reporters::Status;

use crate::record::history::{FeatureTiming, ScenarioId, ScenarioPoint, Silence};
use crate::record::uptime::{HourCounts, Window, blank, day_floor, plus, ranges};

pub(super) fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) fn small(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

fn silence_row(r: &postgres::Row) -> Silence {
    Silence {
        id: r.get(0),
        environment: r.get(1),
        starts_at: r.get(2),
        ends_at: r.get(3),
        reason: r.get(4),
        created_by: r.get(5),
        ended_at: r.get(6),
    }
}

/// The features and scenario names of `ids`, as two arrays to unnest.
fn id_arrays(ids: &[ScenarioId]) -> (Vec<String>, Vec<String>) {
    ids.iter()
        .map(|i| (i.feature.clone(), i.scenario.clone()))
        .unzip()
}

fn pair(r: &postgres::Row, i: usize) -> (u64, u64) {
    (
        r.get::<_, i64>(i).unsigned_abs(),
        r.get::<_, i64>(i + 1).unsigned_abs(),
    )
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Adds what a run counts to `uptime_hours` and `uptime_days` (see
/// [`crate::record::uptime`]), the environment's row and every
/// scenario's in one statement each.
pub(super) fn add_hours(
    c: &mut impl postgres::GenericClient,
    environment: &str,
    h: &HourCounts,
) -> Result<(), postgres::Error> {
    let mut features = vec![String::new()];
    let mut names = vec![String::new()];
    let mut hours = vec![h.run_hour];
    let mut ups = vec![signed(h.run.0)];
    let mut counted = vec![signed(h.run.1)];
    for (f, sc, up, n) in &h.scenarios {
        features.push(f.clone());
        names.push(sc.clone());
        hours.push(h.scenario_hour);
        ups.push(signed(*up));
        counted.push(signed(*n));
    }
    let days: Vec<DateTime<Utc>> = hours.iter().map(|t| day_floor(*t)).collect();
    for (table, col, at) in [
        ("uptime_hours", "hour", &hours),
        ("uptime_days", "day", &days),
    ] {
        c.execute(
            &format!(
                "INSERT INTO {table} (environment, feature, scenario, {col}, up, counted)
                 SELECT $1, f, sc, h, SUM(u)::BIGINT, SUM(n)::BIGINT
                 FROM UNNEST($2::TEXT[], $3::TEXT[], $4::TIMESTAMPTZ[], $5::BIGINT[], $6::BIGINT[]) AS x(f, sc, h, u, n)
                 GROUP BY f, sc, h
                 ON CONFLICT (environment, feature, scenario, {col}) DO UPDATE SET
                 up = {table}.up + excluded.up, counted = {table}.counted + excluded.counted"
            ),
            &[&environment, &features, &names, at, &ups, &counted],
        )?;
    }
    Ok(())
}

/// The environment's (feature and scenario `''`) or the scenarios' whole
/// hours and days in each window: rows of (feature, scenario, window
/// number from 1, up, counted), each range an index range scan
/// (`LATERAL`), one statement per table.
fn summed(
    c: &mut Client,
    environment: &str,
    windows: &[Window],
    scenarios: bool,
) -> Result<Vec<postgres::Row>, postgres::Error> {
    let whose = if scenarios {
        "NOT (t.feature = '' AND t.scenario = '')"
    } else {
        "t.feature = '' AND t.scenario = ''"
    };
    let all = ranges(windows);
    let mut out = Vec::new();
    for (table, col) in [("uptime_hours", "hour"), ("uptime_days", "day")] {
        let mine: Vec<_> = all.iter().filter(|r| r.1 == table).collect();
        if mine.is_empty() {
            continue;
        }
        let index: Vec<i64> = mine
            .iter()
            .map(|r| i64::try_from(r.0).unwrap_or(0) + 1)
            .collect();
        let from: Vec<DateTime<Utc>> = mine.iter().map(|r| r.2).collect();
        let to: Vec<DateTime<Utc>> = mine.iter().map(|r| r.3).collect();
        out.extend(c.query(
            &format!(
                "SELECT t.feature, t.scenario, w.i, COALESCE(SUM(t.up), 0)::BIGINT,
                        COALESCE(SUM(t.counted), 0)::BIGINT
                 FROM UNNEST($2::BIGINT[], $3::TIMESTAMPTZ[], $4::TIMESTAMPTZ[]) AS w(i, lo, hi)
                 CROSS JOIN LATERAL (SELECT * FROM {table} t
                     WHERE t.environment = $1 AND t.{col} >= w.lo AND t.{col} < w.hi) t
                 WHERE {whose}
                 GROUP BY t.feature, t.scenario, w.i"
            ),
            &[&environment, &index, &from, &to],
        )?);
    }
    Ok(out)
}

/// The environment's uptime since `since`: whole hours and days from the
/// counts, the partial first hour counted from the runs.
pub(super) fn uptime(
    c: &mut Client,
    environment: &str,
    since: DateTime<Utc>,
) -> Result<(u64, u64), postgres::Error> {
    let windows = Window::all(&[since]);
    let w = windows[0];
    let mut total = summed(c, environment, &windows, false)?
        .iter()
        .fold((0, 0), |t, r| plus(t, pair(r, 3)));
    let r = c.query_one(
        "SELECT COUNT(*) FILTER (WHERE result IN ('passed', 'degraded')),
                COUNT(*) FILTER (WHERE result IN ('passed', 'degraded', 'failed'))
         FROM runs WHERE environment = $1 AND started_at >= $2 AND started_at < $3
         AND passed + failed + flaky + degraded + claim_outdated > 0",
        &[&environment, &w.since, &w.a],
    )?;
    total = plus(total, pair(&r, 0));
    Ok(total)
}

pub(super) fn scenario_uptime(
    c: &mut Client,
    environment: &str,
    ids: &[ScenarioId],
    since: &[DateTime<Utc>],
) -> Result<HashMap<ScenarioId, Vec<(u64, u64)>>, postgres::Error> {
    let mut out = blank(ids, since);
    if since.is_empty() {
        return Ok(out);
    }
    let windows = Window::all(since);
    let rows = summed(c, environment, &windows, true)?;
    // The partial hour before each window's whole hours, from the rows.
    let starts: Vec<DateTime<Utc>> = windows.iter().map(|w| w.since).collect();
    let edges: Vec<DateTime<Utc>> = windows.iter().map(|w| w.a).collect();
    let partial = c.query(
        "SELECT s.feature, s.scenario, w.i,
                COUNT(*) FILTER (WHERE s.status IN ('passed', 'flaky', 'degraded')),
                COUNT(*) FILTER (WHERE s.status IN ('passed', 'flaky', 'degraded', 'failed'))
         FROM UNNEST($2::TIMESTAMPTZ[], $3::TIMESTAMPTZ[]) WITH ORDINALITY AS w(t, edge, i)
         JOIN scenario_results s ON s.environment = $1 AND s.finished_at >= w.t AND s.finished_at < w.edge
         JOIN runs r ON r.id = s.run AND r.result <> 'maintenance'
         GROUP BY s.feature, s.scenario, w.i",
        &[&environment, &starts, &edges],
    )?;
    for r in rows.iter().chain(&partial) {
        let id = ScenarioId {
            feature: r.get(0),
            scenario: r.get(1),
        };
        let i = usize::try_from(r.get::<_, i64>(2) - 1).unwrap_or(0);
        if let Some(slot) = out.get_mut(&id).and_then(|v| v.get_mut(i)) {
            *slot = plus(*slot, pair(r, 3));
        }
    }
    Ok(out)
}

pub(super) fn scenario_points(
    c: &mut Client,
    environment: &str,
    ids: &[ScenarioId],
    limit: usize,
) -> Result<HashMap<ScenarioId, Vec<ScenarioPoint>>, postgres::Error> {
    let (features, names) = id_arrays(ids);
    let rows = c.query(
        "SELECT u.f, u.sc, p.run, p.status, p.finished_at, p.duration_ms, p.maintenance
         FROM UNNEST($2::TEXT[], $3::TEXT[]) AS u(f, sc)
         CROSS JOIN LATERAL (
             SELECT s.run, s.status, s.finished_at, s.duration_ms,
                    r.result = 'maintenance' AS maintenance
             FROM scenario_results s JOIN runs r ON r.id = s.run
             WHERE s.environment = $1 AND s.feature = u.f AND s.scenario = u.sc
             ORDER BY s.run DESC LIMIT $4) p",
        &[&environment, &features, &names, &count(limit)],
    )?;
    let mut out: HashMap<ScenarioId, Vec<ScenarioPoint>> = HashMap::new();
    for r in &rows {
        out.entry(ScenarioId {
            feature: r.get(0),
            scenario: r.get(1),
        })
        .or_default()
        .push(ScenarioPoint {
            run: r.get(2),
            status: Status::parse(r.get(3)).unwrap_or(Status::Skipped),
            finished_at: r.get(4),
            duration_ms: r.get(5),
            maintenance: r.get(6),
        });
    }
    Ok(out)
}

pub(super) fn feature_timings(
    c: &mut Client,
    environment: &str,
    runs: usize,
) -> Result<Vec<FeatureTiming>, postgres::Error> {
    let rows = c.query(
        "SELECT run, feature, requests, p50_ms, p95_ms FROM feature_timings
         WHERE environment = $1 AND run >= COALESCE((SELECT MIN(id) FROM
             (SELECT id FROM runs WHERE environment = $1 ORDER BY id DESC LIMIT $2) AS newest), 0)
         ORDER BY run",
        &[&environment, &count(runs)],
    )?;
    Ok(rows
        .iter()
        .map(|r| FeatureTiming {
            run: r.get(0),
            feature: r.get(1),
            requests: small(r.get(2)),
            p50_ms: r.get(3),
            p95_ms: r.get(4),
        })
        .collect())
}

pub(super) fn add_silence(c: &mut Client, s: &Silence) -> Result<i64, postgres::Error> {
    c.query_one(
        "INSERT INTO silences (environment, starts_at, ends_at, reason, created_by)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        &[
            &s.environment,
            &s.starts_at,
            &s.ends_at,
            &s.reason,
            &s.created_by,
        ],
    )
    .map(|r| r.get(0))
}

pub(super) fn silences(
    c: &mut Client,
    environment: Option<&str>,
    now: DateTime<Utc>,
    include_past: bool,
) -> Result<Vec<Silence>, postgres::Error> {
    let rows = c.query(
        "SELECT id, environment, starts_at, ends_at, reason, created_by, ended_at FROM silences
         WHERE ($1::TEXT IS NULL OR environment = $1)
         AND ($3 OR (ends_at > $2 AND (ended_at IS NULL OR ended_at > $2)))
         ORDER BY (ends_at > $2 AND ended_at IS NULL) DESC, ends_at, id DESC LIMIT 200",
        &[&environment, &now, &include_past],
    )?;
    Ok(rows.iter().map(silence_row).collect())
}

pub(super) fn end_silence(
    c: &mut Client,
    id: i64,
    at: DateTime<Utc>,
) -> Result<Option<Silence>, postgres::Error> {
    c.query_opt(
        "UPDATE silences SET ended_at = COALESCE(ended_at, $2) WHERE id = $1
         RETURNING id, environment, starts_at, ends_at, reason, created_by, ended_at",
        &[&id, &at],
    )
    .map(|r| r.as_ref().map(silence_row))
}
