//! The connection to PostgreSQL that the Postgres history uses: the URL
//! read (libpq's TLS options rust-postgres does not parse, the password
//! kept out of every message), the synchronous `postgres` client on a
//! thread of its own, connected on first use and again after it broke, and
//! Postgres errors in words.
//!
//! - **Why a thread.** The [`super::history::History`] trait is synchronous
//!   (SQLite is called in place), and the `postgres` client drives a small
//!   runtime of its own, which cannot block inside the tokio runtime that
//!   calls the trait. One thread owning the connection serialises the calls
//!   as the SQLite store's mutex does.
//! - **TLS**: `sslmode=require` (as Supabase needs), `verify-ca` or
//!   `verify-full` connects over rustls with the probes' root store (webpki
//!   roots) plus `sslrootcert=FILE` when given (Supabase's own CA, say).
//!   The certificate is always verified, also under `require`, where libpq
//!   would not: a harness that reports the truth must not write it to an
//!   impostor. `disable` and the default `prefer` connect in plain.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use postgres::Client;

use super::history::HistoryError;

/// How long a connection may take, and a statement may run.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const STATEMENT_TIMEOUT: &str = "30s";

/// Whether `spec` names a Postgres database rather than a file.
pub fn is_url(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

/// `url` with its password (and any `password=` parameter) removed: what
/// messages and `/healthz` show.
pub fn redacted(url: &str) -> String {
    let Ok(mut u) = url::Url::parse(url) else {
        // Not a URL the parser takes: keep the scheme and what follows the
        // user information (`user:password@`), drop the rest of the query.
        let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
        let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
        let rest = rest.split_once('?').map_or(rest, |(before, _)| before);
        return format!("{scheme}://{rest}");
    };
    if u.password().is_some() {
        let _ = u.set_password(None);
    }
    let kept: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| k != "password")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    u.to_string()
}

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A connection to one PostgreSQL database, owned by a thread of its own.
#[derive(Debug)]
pub(crate) struct Link {
    location: PathBuf,
    jobs: Option<mpsc::Sender<Job>>,
    worker: Option<std::thread::JoinHandle<()>>,
}

/// How to reach the server: in plain, or over TLS verified against the
/// probes' roots and these extra CA certificates (`sslrootcert`).
#[derive(Clone, Debug)]
enum Transport {
    Plain,
    Tls { extra_ca_pem: Option<String> },
}

/// The libpq options rust-postgres does not read, taken out of `url`:
/// `sslrootcert=FILE` (read now) and the `sslmode`s `verify-ca` and
/// `verify-full` (TLS, verified, as `require` is here).
fn transport(url: &str) -> Result<(String, Transport), String> {
    let Ok(mut u) = url::Url::parse(url) else {
        return Ok((url.to_owned(), Transport::Plain));
    };
    let mut tls = false;
    let mut root_file = None;
    let mut kept = Vec::new();
    for (k, v) in u.query_pairs() {
        match (k.as_ref(), v.as_ref()) {
            ("sslmode", "require" | "verify-ca" | "verify-full") => {
                tls = true;
                kept.push(("sslmode".to_owned(), "require".to_owned()));
            }
            ("sslrootcert", file) => root_file = Some(file.to_owned()),
            _ => kept.push((k.into_owned(), v.into_owned())),
        }
    }
    let extra_ca_pem = match root_file {
        None => None,
        Some(f) => Some(
            std::fs::read_to_string(&f)
                .map_err(|e| format!("sslrootcert {f}: cannot read it: {e}"))?,
        ),
    };
    if kept.is_empty() {
        u.set_query(None);
    } else {
        u.query_pairs_mut().clear().extend_pairs(kept);
    }
    let transport = if tls {
        Transport::Tls { extra_ca_pem }
    } else {
        Transport::Plain
    };
    Ok((u.to_string(), transport))
}

/// What the worker thread owns: the connection (made again when it broke).
struct Connection {
    config: postgres::Config,
    transport: Transport,
    location: PathBuf,
    client: Option<Client>,
}

impl Connection {
    fn connect(&self) -> Result<Client, HistoryError> {
        let open = |message: String| HistoryError::Open {
            path: self.location.clone(),
            message,
        };
        let mut client = if let Transport::Tls { extra_ca_pem } = &self.transport {
            let config = probes::probe::tls::client_config(extra_ca_pem.as_deref())
                .map_err(|e| open(format!("TLS: {}", e.message)))?;
            let tls = tokio_postgres_rustls::MakeRustlsConnect::new(config);
            self.config.connect(tls)
        } else {
            self.config.connect(postgres::NoTls)
        }
        .map_err(|e| open(describe(&e)))?;
        client
            .batch_execute(&format!(
                "SET statement_timeout = '{STATEMENT_TIMEOUT}'; SET lock_timeout = '10s'"
            ))
            .map_err(|e| open(describe(&e)))?;
        Ok(client)
    }

    /// Runs `f` on the connection, connecting first when there is none; a
    /// connection that closed under `f` is dropped, to be made again.
    fn with<T>(
        &mut self,
        f: impl FnOnce(&mut Client, &Path) -> Result<T, HistoryError>,
    ) -> Result<T, HistoryError> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.client = Some(self.connect()?);
        }
        let Some(client) = self.client.as_mut() else {
            return Err(HistoryError::Open {
                path: self.location.clone(),
                message: "no connection".into(),
            });
        };
        let r = f(client, &self.location);
        if client.is_closed() {
            self.client = None;
        }
        r
    }
}

/// A Postgres error in words: the server's message, detail and hint for a
/// database error, the cause for a connection error. Never the password:
/// rust-postgres does not print its configuration.
pub(crate) fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut s = format!("{} ({})", db.message(), db.code().code());
        if let Some(d) = db.detail() {
            s.push_str(&format!("; {d}"));
        }
        if let Some(h) = db.hint() {
            s.push_str(&format!("; hint: {h}"));
        }
        return s;
    }
    let mut s = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(&format!(": {c}"));
        }
        source = cause.source();
    }
    s
}

pub(crate) fn pg(path: &Path, e: &postgres::Error) -> HistoryError {
    HistoryError::Database {
        path: path.to_owned(),
        message: describe(e),
    }
}

impl Link {
    /// Starts the thread that owns the connection to `url`; connecting
    /// happens on the first call.
    pub(crate) fn open(url: &str) -> Result<Self, HistoryError> {
        let location = PathBuf::from(redacted(url));
        let open = |message: String| HistoryError::Open {
            path: location.clone(),
            message,
        };
        let (url, transport) = transport(url).map_err(open)?;
        let mut config: postgres::Config = url
            .parse()
            .map_err(|e: postgres::Error| open(format!("not a Postgres URL: {}", describe(&e))))?;
        if config.get_hosts().is_empty() {
            return Err(open("the URL names no host".into()));
        }
        config.connect_timeout(CONNECT_TIMEOUT);
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        config.application_name("lucia-harness");
        let mut conn = Connection {
            config,
            transport,
            location: location.clone(),
            client: None,
        };
        // Everything, connecting first, happens on the worker: the caller
        // may be a tokio runtime's thread, where the client cannot block.
        let (jobs, queue) = mpsc::channel::<Job>();
        let worker = std::thread::Builder::new()
            .name("history-postgres".into())
            .spawn(move || {
                for job in queue {
                    job(&mut conn);
                }
            })
            .map_err(|e| open(format!("cannot start its thread: {e}")))?;
        Ok(Self {
            location,
            jobs: Some(jobs),
            worker: Some(worker),
        })
    }

    /// Where it is, the password left out.
    pub(crate) fn location(&self) -> &Path {
        &self.location
    }

    /// Runs `f` on the worker's connection and waits for its answer.
    pub(crate) fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client, &Path) -> Result<T, HistoryError> + Send + 'static,
    ) -> Result<T, HistoryError> {
        let stopped = || HistoryError::Open {
            path: self.location.clone(),
            message: "the connection's thread stopped".into(),
        };
        let (tx, rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |conn| {
            // A library that panics on what it reads (refinery on a
            // malformed history table, say) fails this call, not the thread.
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| conn.with(f)))
                .unwrap_or_else(|panic| {
                    conn.client = None;
                    let what = panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("a panic");
                    Err(HistoryError::Database {
                        path: conn.location.clone(),
                        message: format!(
                            "the database holds what this harness cannot read ({what}): is it another program's, or written by a newer lucia-harness?"
                        ),
                    })
                });
            let _ = tx.send(r);
        });
        self.jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        rx.recv().map_err(|_| stopped())?
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_is_shown_without_its_password() {
        assert_eq!(
            redacted("postgres://lucia:s3cret@db.example:6543/h?sslmode=require&password=x"),
            "postgres://lucia@db.example:6543/h?sslmode=require"
        );
        assert_eq!(
            redacted("postgres://lucia:s3cret@db.example:port/h?password=x"),
            "postgres://db.example:port/h"
        );
        assert!(is_url("postgresql://h/db") && is_url("postgres://h/db"));
        assert!(!is_url("state/harness.db"));
    }
}
