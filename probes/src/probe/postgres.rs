//! The Postgres probe: read-only catalog queries against a database the
//! environment names (the Supabase project is Postgres), to hold the
//! Canon's access boundary: row level security on the ledger tables, and no
//! policy letting `anon` or `authenticated` read them.

use std::sync::Arc;
use std::time::Duration;

use crate::core::error::{ErrorKind, StepError};

/// A read-only session on one database.
#[derive(Debug)]
pub struct Db {
    pub name: String,
    client: tokio_postgres::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Db {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn probe_err(db: &str, e: &tokio_postgres::Error) -> StepError {
    // The server's message (SQLSTATE and text) without the DSN.
    let detail = e.as_db_error().map_or_else(
        || e.to_string(),
        |d| format!("{}: {}", d.code().code(), d.message()),
    );
    StepError::new(ErrorKind::Probe, format!("database \"{db}\": {detail}"))
}

/// Splits `schema.table` (default schema `public`).
pub fn qualified(table: &str) -> (&str, &str) {
    table.split_once('.').unwrap_or(("public", table))
}

impl Db {
    /// Connects with TLS when the DSN asks for it (`sslmode=require`, as
    /// Supabase does), plain otherwise; then makes the session read-only.
    pub async fn connect(
        name: &str,
        dsn: &str,
        extra_ca_pem: Option<&str>,
        timeout: Duration,
    ) -> Result<Self, StepError> {
        let mut config: tokio_postgres::Config = dsn.parse().map_err(|_| {
            StepError::config(format!(
                "the DSN of database \"{name}\" is not a valid Postgres connection string"
            ))
        })?;
        config.connect_timeout(timeout);
        config.application_name("lucia-harness");
        let wants_tls = !matches!(
            config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Disable
        ) && dsn.contains("sslmode=require");
        let connect = async {
            if wants_tls {
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new(
                    crate::probe::tls::client_config(extra_ca_pem)?,
                );
                let (client, conn) = config
                    .connect(tls)
                    .await
                    .map_err(|e| connect_err(name, &e))?;
                let task = tokio::spawn(async move {
                    let _ = conn.await;
                });
                Ok::<_, StepError>((client, task))
            } else {
                let (client, conn) = config
                    .connect(tokio_postgres::NoTls)
                    .await
                    .map_err(|e| connect_err(name, &e))?;
                let task = tokio::spawn(async move {
                    let _ = conn.await;
                });
                Ok((client, task))
            }
        };
        let (client, task) = tokio::time::timeout(timeout, connect).await.map_err(|_| {
            StepError::new(
                ErrorKind::Timeout,
                format!(
                    "database \"{name}\": no connection within {}",
                    crate::core::duration::human(timeout)
                ),
            )
        })??;
        let db = Self {
            name: name.to_owned(),
            client,
            task,
        };
        db.client
            .batch_execute("SET default_transaction_read_only = on; SET statement_timeout = '10s'")
            .await
            .map_err(|e| probe_err(name, &e))?;
        Ok(db)
    }

    /// (relrowsecurity, relforcerowsecurity) of a table, or an error if it does not exist.
    pub async fn row_security(&self, table: &str) -> Result<(bool, bool), StepError> {
        let (schema, rel) = qualified(table);
        let rows = self
            .client
            .query(
                "SELECT c.relrowsecurity, c.relforcerowsecurity FROM pg_catalog.pg_class c \
                 JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')",
                &[&schema, &rel],
            )
            .await
            .map_err(|e| probe_err(&self.name, &e))?;
        let row = rows.first().ok_or_else(|| {
            StepError::assertion(format!(
                "database \"{}\": there is no table {schema}.{rel}",
                self.name
            ))
        })?;
        Ok((row.get(0), row.get(1)))
    }

    /// Policies on `table` that let `role` (or everyone, `public`) read.
    pub async fn read_policies(
        &self,
        table: &str,
        role: &str,
    ) -> Result<Vec<(String, String)>, StepError> {
        let (schema, rel) = qualified(table);
        let rows = self
            .client
            .query(
                "SELECT policyname::text, COALESCE(qual, 'true') FROM pg_catalog.pg_policies \
                 WHERE schemaname = $1 AND tablename = $2 AND cmd IN ('SELECT', 'ALL') \
                 AND roles::text[] && ARRAY[$3::text, 'public'] AND permissive = 'PERMISSIVE'",
                &[&schema, &rel, &role],
            )
            .await
            .map_err(|e| probe_err(&self.name, &e))?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Whether `role` holds the SELECT privilege on `table` (false if the role does not exist).
    pub async fn can_select(&self, table: &str, role: &str) -> Result<bool, StepError> {
        let (schema, rel) = qualified(table);
        let qualified = format!("{}.{}", quote_ident(schema), quote_ident(rel));
        let rows = self
            .client
            .query(
                "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) \
                 THEN has_table_privilege($1, $2, 'SELECT') ELSE false END",
                &[&role, &qualified],
            )
            .await
            .map_err(|e| probe_err(&self.name, &e))?;
        Ok(rows.first().is_some_and(|r| r.get::<_, bool>(0)))
    }
}

/// The forbidden host `dsn` names, if it names one (before connecting).
pub fn forbidden_host(dsn: &str, forbidden: &[String]) -> Option<String> {
    let config: tokio_postgres::Config = dsn.parse().ok()?;
    config.get_hosts().iter().find_map(|h| match h {
        tokio_postgres::config::Host::Tcp(name)
            if crate::core::env::is_forbidden(name, forbidden) =>
        {
            Some(name.clone())
        }
        _ => None,
    })
}

fn connect_err(name: &str, e: &tokio_postgres::Error) -> StepError {
    let text = e.to_string();
    let kind = if text.contains("tls") || text.contains("certificate") {
        ErrorKind::Tls
    } else if e.as_db_error().is_some() {
        ErrorKind::Probe
    } else {
        ErrorKind::Connect
    };
    let detail = e.as_db_error().map_or_else(
        || {
            use std::error::Error as _;
            e.source().map_or(text.clone(), ToString::to_string)
        },
        |d| d.message().to_owned(),
    );
    StepError::new(
        kind,
        format!("database \"{name}\": cannot connect: {detail}"),
    )
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Shared so one connection serves a scenario's steps.
pub type SharedDb = Arc<Db>;
