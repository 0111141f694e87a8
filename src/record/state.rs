//! Which history `--state` names: a `postgres://` (or `postgresql://`) URL
//! is the shared Postgres store, anything else a SQLite file.

use std::path::Path;

use super::history::{History, HistoryError};
pub use super::pg_link::is_url;
use super::postgres::PostgresHistory;
use super::sqlite::SqliteHistory;

/// Opens the history `spec` names (a SQLite file is created when missing).
pub fn open(spec: &str) -> Result<Box<dyn History>, HistoryError> {
    if is_url(spec) {
        Ok(Box::new(PostgresHistory::open(spec)?))
    } else {
        Ok(Box::new(SqliteHistory::open(Path::new(spec))?))
    }
}
