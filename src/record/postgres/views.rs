//! The operators' view in PostgreSQL: each scenario's recent results and
//! uptime (one statement for all the scenarios asked, arrays unnested),
//! each feature's request times, silences. Free functions over the client;
//! `PostgresHistory` runs them on its connection's thread.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use postgres::Client;
use reporters::Status;

use crate::record::history::{FeatureTiming, ScenarioId, ScenarioPoint, Silence};

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

pub(super) fn scenario_uptime(
    c: &mut Client,
    environment: &str,
    ids: &[ScenarioId],
    since: &[DateTime<Utc>],
) -> Result<HashMap<ScenarioId, Vec<(u64, u64)>>, postgres::Error> {
    let (features, names) = id_arrays(ids);
    let rows = c.query(
        "SELECT u.f, u.sc, w.i,
                COUNT(*) FILTER (WHERE s.status IN ('passed', 'flaky', 'degraded')),
                COUNT(*) FILTER (WHERE s.status IN ('passed', 'flaky', 'degraded', 'failed'))
         FROM UNNEST($2::TEXT[], $3::TEXT[]) AS u(f, sc)
         CROSS JOIN UNNEST($4::TIMESTAMPTZ[]) WITH ORDINALITY AS w(t, i)
         LEFT JOIN scenario_results s ON s.environment = $1 AND s.feature = u.f
              AND s.scenario = u.sc AND s.finished_at >= w.t
         LEFT JOIN runs r ON r.id = s.run
         WHERE r.result IS DISTINCT FROM 'maintenance'
         GROUP BY u.f, u.sc, w.i",
        &[&environment, &features, &names, &since],
    )?;
    let mut out: HashMap<ScenarioId, Vec<(u64, u64)>> = ids
        .iter()
        .map(|id| (id.clone(), vec![(0, 0); since.len()]))
        .collect();
    for r in &rows {
        let id = ScenarioId {
            feature: r.get(0),
            scenario: r.get(1),
        };
        let i = usize::try_from(r.get::<_, i64>(2) - 1).unwrap_or(0);
        if let Some(slot) = out.get_mut(&id).and_then(|v| v.get_mut(i)) {
            *slot = (
                r.get::<_, i64>(3).unsigned_abs(),
                r.get::<_, i64>(4).unsigned_abs(),
            );
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
) -> Result<Vec<FeatureTiming>, postgres::Error> {
    let rows = c.query(
        "SELECT run, feature, requests, p50_ms, p95_ms FROM feature_timings
         WHERE environment = $1 ORDER BY run",
        &[&environment],
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
