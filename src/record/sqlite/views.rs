//! The operators' view in the SQLite file: each scenario's recent results
//! and uptime, each feature's request times, silences. Free functions over
//! the connection; `SqliteHistory` maps their errors.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use reporters::Status;
use rusqlite::{Connection, OptionalExtension as _, params, params_from_iter};

use super::rows::{count, parse_ts, silence_row, small, ts};
use crate::record::history::{FeatureTiming, ScenarioId, ScenarioPoint, Silence};

pub(super) fn scenario_uptime(
    conn: &Connection,
    environment: &str,
    ids: &[ScenarioId],
    since: &[DateTime<Utc>],
) -> Result<HashMap<ScenarioId, Vec<(u64, u64)>>, rusqlite::Error> {
    let Some(oldest) = since.iter().min() else {
        return Ok(HashMap::new());
    };
    // One pass per scenario over its results since the oldest window,
    // a pair of counts per window.
    let mut cols = Vec::new();
    for i in 0..since.len() {
        let p = i + 5;
        cols.push(format!(
            "COUNT(*) FILTER (WHERE s.status IN ('passed', 'flaky', 'degraded') AND s.finished_at >= ?{p}),
             COUNT(*) FILTER (WHERE s.status IN ('passed', 'flaky', 'degraded', 'failed') AND s.finished_at >= ?{p})"
        ));
    }
    let mut stmt = conn.prepare(&format!(
        "SELECT {} FROM scenario_results s JOIN runs r ON r.id = s.run
             WHERE s.environment = ?1 AND s.feature = ?2 AND s.scenario = ?3 AND s.finished_at >= ?4
             AND r.result != 'maintenance'",
        cols.join(", ")
    ))?;
    let mut out = HashMap::new();
    for id in ids {
        let mut values: Vec<String> = vec![
            environment.to_owned(),
            id.feature.clone(),
            id.scenario.clone(),
            ts(*oldest),
        ];
        values.extend(since.iter().map(|t| ts(*t)));
        let counts = stmt.query_row(params_from_iter(values.iter()), |r| {
            (0..since.len())
                .map(|i| {
                    Ok((
                        r.get::<_, i64>(2 * i)?.unsigned_abs(),
                        r.get::<_, i64>(2 * i + 1)?.unsigned_abs(),
                    ))
                })
                .collect::<rusqlite::Result<Vec<_>>>()
        })?;
        out.insert(id.clone(), counts);
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
) -> Result<Vec<FeatureTiming>, rusqlite::Error> {
    let mut stmt = conn.prepare(
        "SELECT run, feature, requests, p50_ms, p95_ms FROM feature_timings
             WHERE environment = ?1 ORDER BY run",
    )?;
    stmt.query_map(params![environment], |r| {
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
