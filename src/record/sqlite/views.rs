//! The operators' view in the SQLite file: uptime by the hour, each
//! scenario's recent results, each feature's request times, silences. Free functions over
//! the connection; `SqliteHistory` maps their errors.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use reporters::Status;
use rusqlite::{Connection, OptionalExtension as _, params};

use super::rows::{count, parse_ts, scenario_id, silence_row, small, ts};
use crate::record::history::{FeatureTiming, ScenarioId, ScenarioPoint, Silence};
use crate::record::uptime::{HourCounts, Window, blank, day_floor, plus, ranges};

/// Adds what a run counts to `uptime_hours` and `uptime_days` (see
/// [`crate::record::uptime`]).
pub(super) fn add_hours(
    conn: &Connection,
    environment: &str,
    c: &HourCounts,
) -> Result<(), rusqlite::Error> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    for (table, col, floor) in [
        ("uptime_hours", "hour", None),
        ("uptime_days", "day", Some(day_floor as fn(_) -> _)),
    ] {
        let mut add = conn.prepare(&format!(
            "INSERT INTO {table} (environment, feature, scenario, {col}, up, counted)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (environment, feature, scenario, {col}) DO UPDATE SET
                 up = up + excluded.up, counted = counted + excluded.counted"
        ))?;
        let at = |t| ts(floor.map_or(t, |f: fn(_) -> _| f(t)));
        let (up, counted) = c.run;
        add.execute(params![
            environment,
            "",
            "",
            at(c.run_hour),
            n(up),
            n(counted)
        ])?;
        let when = at(c.scenario_hour);
        for (feature, scenario, up, counted) in &c.scenarios {
            add.execute(params![
                environment,
                feature,
                scenario,
                when,
                n(*up),
                n(*counted)
            ])?;
        }
    }
    Ok(())
}

fn pair(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<(u64, u64)> {
    Ok((
        r.get::<_, i64>(i)?.unsigned_abs(),
        r.get::<_, i64>(i + 1)?.unsigned_abs(),
    ))
}

/// The environment's (feature and scenario `''`) or the scenarios'
/// (`scenarios`) whole hours and days in each window, one range at a time:
/// `each(window, row)` with rows of (feature, scenario, up, counted).
fn summed(
    conn: &Connection,
    environment: &str,
    windows: &[Window],
    scenarios: bool,
    mut each: impl FnMut(usize, &rusqlite::Row<'_>) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let whose = if scenarios {
        "NOT (feature = '' AND scenario = '')"
    } else {
        "feature = '' AND scenario = ''"
    };
    for (i, table, from, to) in ranges(windows) {
        let col = if table == "uptime_hours" {
            "hour"
        } else {
            "day"
        };
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT feature, scenario, COALESCE(SUM(up), 0), COALESCE(SUM(counted), 0) FROM {table}
                 WHERE environment = ?1 AND {col} >= ?2 AND {col} < ?3 AND {whose}
                 GROUP BY feature, scenario"
        ))?;
        let mut rows = stmt.query(params![environment, ts(from), ts(to)])?;
        while let Some(r) = rows.next()? {
            each(i, r)?;
        }
    }
    Ok(())
}

/// The environment's uptime since `since`: whole hours and days from the
/// counts, the partial first hour counted from the runs.
pub(super) fn uptime(
    conn: &Connection,
    environment: &str,
    since: DateTime<Utc>,
) -> Result<(u64, u64), rusqlite::Error> {
    let windows = Window::all(&[since]);
    let w = windows[0];
    let mut total = (0, 0);
    summed(conn, environment, &windows, false, |_, r| {
        total = plus(total, pair(r, 2)?);
        Ok(())
    })?;
    let partial = conn.query_row(
        "SELECT COUNT(*) FILTER (WHERE result IN ('passed', 'degraded')),
                COUNT(*) FILTER (WHERE result IN ('passed', 'degraded', 'failed'))
             FROM runs WHERE environment = ?1 AND started_at >= ?2 AND started_at < ?3
             AND passed + failed + flaky + degraded + claim_outdated > 0",
        params![environment, ts(w.since), ts(w.a)],
        |r| pair(r, 0),
    )?;
    Ok(plus(total, partial))
}

pub(super) fn scenario_uptime(
    conn: &Connection,
    environment: &str,
    ids: &[ScenarioId],
    since: &[DateTime<Utc>],
) -> Result<HashMap<ScenarioId, Vec<(u64, u64)>>, rusqlite::Error> {
    let mut out = blank(ids, since);
    if since.is_empty() {
        return Ok(out);
    }
    let windows = Window::all(since);
    summed(conn, environment, &windows, true, |i, r| {
        if let Some(slot) = out.get_mut(&scenario_id(r)?).and_then(|v| v.get_mut(i)) {
            *slot = plus(*slot, pair(r, 2)?);
        }
        Ok(())
    })?;
    // The partial hour before each window's whole hours, from the rows.
    let mut partial = conn.prepare_cached(
        "SELECT s.feature, s.scenario,
                COUNT(*) FILTER (WHERE s.status IN ('passed', 'flaky', 'degraded')),
                COUNT(*) FILTER (WHERE s.status IN ('passed', 'flaky', 'degraded', 'failed'))
             FROM scenario_results s JOIN runs r ON r.id = s.run
             WHERE s.environment = ?1 AND s.finished_at >= ?2 AND s.finished_at < ?3
             AND r.result != 'maintenance'
             GROUP BY s.feature, s.scenario",
    )?;
    for (i, w) in windows.iter().enumerate() {
        if w.since == w.a {
            continue;
        }
        let mut rows = partial.query(params![environment, ts(w.since), ts(w.a)])?;
        while let Some(r) = rows.next()? {
            if let Some(slot) = out.get_mut(&scenario_id(r)?).and_then(|v| v.get_mut(i)) {
                *slot = plus(*slot, pair(r, 2)?);
            }
        }
    }
    Ok(out)
}

pub(super) fn scenario_points(
    conn: &Connection,
    environment: &str,
    ids: &[ScenarioId],
    limit: usize,
) -> Result<HashMap<ScenarioId, Vec<ScenarioPoint>>, rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT s.run, s.status, s.finished_at, s.duration_ms, r.result = 'maintenance'
             FROM scenario_results s JOIN runs r ON r.id = s.run
             WHERE s.environment = ?1 AND s.feature = ?2 AND s.scenario = ?3
             ORDER BY s.run DESC LIMIT ?4",
    )?;
    let mut out = HashMap::new();
    for id in ids {
        let points = stmt
            .query_map(
                params![environment, id.feature, id.scenario, count(limit)],
                |r| {
                    Ok(ScenarioPoint {
                        run: r.get(0)?,
                        status: Status::parse(&r.get::<_, String>(1)?).unwrap_or(Status::Skipped),
                        finished_at: parse_ts(&r.get::<_, String>(2)?).unwrap_or_default(),
                        duration_ms: r.get(3)?,
                        maintenance: r.get(4)?,
                    })
                },
            )
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)?;
        out.insert(id.clone(), points);
    }
    Ok(out)
}

pub(super) fn feature_timings(
    conn: &Connection,
    environment: &str,
    runs: usize,
) -> Result<Vec<FeatureTiming>, rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT run, feature, requests, p50_ms, p95_ms FROM feature_timings
             WHERE environment = ?1 AND run >= COALESCE((SELECT MIN(id) FROM
                 (SELECT id FROM runs WHERE environment = ?1 ORDER BY id DESC LIMIT ?2)), 0)
             ORDER BY run",
    )?;
    stmt.query_map(params![environment, count(runs)], |r| {
        Ok(FeatureTiming {
            run: r.get(0)?,
            feature: r.get(1)?,
            requests: small(r.get(2)?),
            p50_ms: r.get(3)?,
            p95_ms: r.get(4)?,
        })
    })
    .and_then(Iterator::collect::<Result<Vec<_>, _>>)
}

pub(super) fn add_silence(conn: &Connection, s: &Silence) -> Result<i64, rusqlite::Error> {
    conn
        .execute(
            "INSERT INTO silences (environment, starts_at, ends_at, reason, created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![s.environment, ts(s.starts_at), ts(s.ends_at), s.reason, s.created_by],
        )
        ?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn silences(
    conn: &Connection,
    environment: Option<&str>,
    now: DateTime<Utc>,
    include_past: bool,
) -> Result<Vec<Silence>, rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT id, environment, starts_at, ends_at, reason, created_by, ended_at FROM silences
             WHERE (?1 IS NULL OR environment = ?1)
             AND (?3 OR (ends_at > ?2 AND (ended_at IS NULL OR ended_at > ?2)))
             ORDER BY (ends_at > ?2 AND ended_at IS NULL) DESC, ends_at, id DESC LIMIT 200",
    )?;
    stmt.query_map(params![environment, ts(now), include_past], silence_row)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
}

pub(super) fn end_silence(
    conn: &Connection,
    id: i64,
    at: DateTime<Utc>,
) -> Result<Option<Silence>, rusqlite::Error> {
    conn.query_row(
        "UPDATE silences SET ended_at = COALESCE(ended_at, ?2) WHERE id = ?1
             RETURNING id, environment, starts_at, ends_at, reason, created_by, ended_at",
        params![id, ts(at)],
        silence_row,
    )
    .optional()
}
