//! How values are written to and read from the SQLite file: timestamps as
//! RFC 3339 text, counts, statuses, rows of the tables both the history and
//! the operators' view read.

use chrono::{DateTime, Utc};

use crate::record::history::{ScenarioId, Silence};

pub(super) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub(super) fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub(super) fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(super) fn small(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// Columns 0 and 1 of a row: feature and scenario.
pub(super) fn scenario_id(r: &rusqlite::Row<'_>) -> rusqlite::Result<ScenarioId> {
    Ok(ScenarioId {
        feature: r.get(0)?,
        scenario: r.get(1)?,
    })
}

pub(super) fn silence_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Silence> {
    Ok(Silence {
        id: r.get(0)?,
        environment: r.get(1)?,
        starts_at: parse_ts(&r.get::<_, String>(2)?).unwrap_or_default(),
        ends_at: parse_ts(&r.get::<_, String>(3)?).unwrap_or_default(),
        reason: r.get(4)?,
        created_by: r.get(5)?,
        ended_at: r.get::<_, Option<String>>(6)?.as_deref().and_then(parse_ts),
    })
}
