//! The demo's ledger database. The access-boundary scenarios read
//! PostgreSQL's catalog; the sandbox has no database of its own, so the demo
//! uses `LUCIA_CORE_DATABASE_URL` when it is set and otherwise, when a
//! PostgreSQL answers on 127.0.0.1:5432 as `postgres` without a password (a
//! developer's or CI's local server), a fresh database loaded with
//! `sandbox/sql/ledger.sql`, dropped when the demo ends. With neither, those
//! scenarios are skipped and say why. Only 127.0.0.1 is ever contacted.

use std::time::Duration;

use tokio_postgres::NoTls;

const ADMIN: &str = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=2";
/// Serialises the cluster-wide role creation of ledger.sql across concurrent loads.
pub const ROLE_LOCK: i64 = 7403;

/// Where the demo's ledger is, and what to clean up.
#[derive(Debug)]
pub enum DemoDatabase {
    /// `LUCIA_CORE_DATABASE_URL` was set: used as it is, never changed.
    Given(String),
    /// Created for this demo on the local PostgreSQL; dropped by [`DemoDatabase::drop_created`].
    Created { name: String, dsn: String },
    /// No database: why, for the terminal.
    None(String),
}

impl DemoDatabase {
    pub async fn prepare() -> Self {
        if let Ok(dsn) = std::env::var("LUCIA_CORE_DATABASE_URL")
            && !dsn.is_empty()
        {
            return Self::Given(dsn);
        }
        let name = format!("lucia_demo_{}", std::process::id());
        match tokio::time::timeout(Duration::from_secs(10), create_ledger_database(&name)).await {
            Ok(Ok(dsn)) => Self::Created { name, dsn },
            Ok(Err(e)) => Self::None(e),
            Err(_) => Self::None("PostgreSQL on 127.0.0.1:5432 did not answer in 10 s".into()),
        }
    }

    /// The DSN the run's `LUCIA_CORE_DATABASE_URL` resolves to.
    pub fn dsn(&self) -> Option<&str> {
        match self {
            Self::Given(dsn) | Self::Created { dsn, .. } => Some(dsn),
            Self::None(_) => None,
        }
    }

    /// One line for the terminal: where the ledger is, or why there is none.
    pub fn describe(&self) -> String {
        match self {
            Self::Given(_) => "ledger database: LUCIA_CORE_DATABASE_URL (as set)".into(),
            Self::Created { name, .. } => format!(
                "ledger database: {name} on 127.0.0.1:5432, loaded with sandbox/sql/ledger.sql (dropped at the end)"
            ),
            Self::None(why) => format!(
                "no ledger database ({why}): the access-boundary scenarios are skipped; \
set LUCIA_CORE_DATABASE_URL to a PostgreSQL database loaded with sandbox/sql/ledger.sql"
            ),
        }
    }

    /// Drops the database this demo created; an error is only reported.
    pub async fn drop_created(&self) -> Result<(), String> {
        match self {
            Self::Created { name, .. } => drop_database(name).await,
            _ => Ok(()),
        }
    }
}

/// Drops `name` from the local PostgreSQL, closing its sessions.
pub async fn drop_database(name: &str) -> Result<(), String> {
    admin()
        .await?
        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .map_err(|e| format!("cannot drop {name}: {}", pg(&e)))
}

/// The server's own message where there is one ("db error" says nothing).
fn pg(e: &tokio_postgres::Error) -> String {
    e.as_db_error()
        .map_or_else(|| e.to_string(), |d| d.message().to_owned())
}

async fn admin() -> Result<tokio_postgres::Client, String> {
    let (client, conn) = tokio_postgres::connect(ADMIN, NoTls).await.map_err(|e| {
        format!(
            "no PostgreSQL for user postgres on 127.0.0.1:5432: {}",
            pg(&e)
        )
    })?;
    tokio::spawn(conn);
    Ok(client)
}

/// A fresh database `name` on the local PostgreSQL (replacing one of that
/// name) loaded with sandbox/sql/ledger.sql; its DSN. The demo's ledger, and
/// the tests'.
pub async fn create_ledger_database(name: &str) -> Result<String, String> {
    let admin = admin().await?;
    // Two statements: CREATE DATABASE cannot share a transaction.
    for sql in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        admin
            .batch_execute(&sql)
            .await
            .map_err(|e| format!("cannot create {name}: {}", pg(&e)))?;
    }
    let dsn = format!("host=127.0.0.1 port=5432 user=postgres dbname={name}");
    let (db, conn) = tokio_postgres::connect(&dsn, NoTls)
        .await
        .map_err(|e| format!("cannot connect to {name}: {}", pg(&e)))?;
    let conn = tokio::spawn(conn);
    let loaded = db
        .batch_execute(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({ROLE_LOCK}); {} COMMIT;",
            sandbox::LEDGER_SQL
        ))
        .await;
    drop(db);
    let _ = conn.await;
    if let Err(e) = loaded {
        let _ = drop_database(name).await;
        return Err(format!(
            "cannot load sandbox/sql/ledger.sql into {name}: {}",
            pg(&e)
        ));
    }
    Ok(dsn)
}
