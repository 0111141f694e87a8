//! Where a request's time goes: DNS, connect, TLS, first byte, total.
//!
//! reqwest has no per-request timing API, so three hooks report into a
//! clock the request carries in a task-local ([`CLOCK`], set by
//! [`HttpClient::send`](super::http::HttpClient::send)):
//! - the DNS resolver ([`TimedResolver`]) marks the lookup's start and end;
//! - a connector layer ([`TimedConnect`]) marks when a new connection was
//!   asked for and when it was ready (TCP, and TLS for `https`);
//! - the TLS session store ([`TimedSessions`], rustls's in-memory cache
//!   behind a thin wrapper) is asked for a resumption ticket when the
//!   ClientHello is built, right after the TCP connection is made: that is
//!   where TLS starts.
//!
//! A request that reuses a pooled connection marks none of them: its DNS,
//! connect and TLS are absent, as nothing was spent on them. The hooks read
//! the clock when they are called, inside the request's own task; a
//! connection hyper finishes in the background (another request took a
//! pooled one first) reports to no one.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::BoxFuture;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use rustls::client::{ClientSessionMemoryCache, ClientSessionStore, Tls12ClientSessionValue};
use rustls::pki_types::ServerName;

use crate::core::timings::Timings;

tokio::task_local! {
    /// The clock of the request being sent in this task.
    pub(crate) static CLOCK: Arc<Clock>;
}

/// The instants one request's hooks marked.
#[derive(Debug)]
pub(crate) struct Clock {
    start: Instant,
    marks: Mutex<Marks>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Marks {
    dns_start: Option<Instant>,
    dns_end: Option<Instant>,
    connect_start: Option<Instant>,
    tls_start: Option<Instant>,
    ready: Option<Instant>,
}

fn mark(f: impl FnOnce(&mut Marks)) {
    let _ = CLOCK.try_with(|c| c.mark(f));
}

/// The clock of this task's request, if one is being timed.
fn current() -> Option<Arc<Clock>> {
    CLOCK.try_with(Arc::clone).ok()
}

impl Clock {
    pub(crate) fn start() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            marks: Mutex::default(),
        })
    }

    fn mark(&self, f: impl FnOnce(&mut Marks)) {
        if let Ok(mut m) = self.marks.lock() {
            f(&mut m);
        }
    }

    /// The phases, given when the first byte came (if it did) and now as
    /// the end.
    pub(crate) fn timings(&self, first_byte: Option<Instant>) -> Timings {
        let m = self.marks.lock().map(|m| *m).unwrap_or_default();
        let ms = |a: Instant, b: Instant| b.saturating_duration_since(a).as_secs_f64() * 1000.0;
        let dns_ms = m.dns_start.zip(m.dns_end).map(|(a, b)| ms(a, b));
        // Connect: from the address being known (or the connection being
        // asked for, for an IP literal) to TLS starting, or to the
        // connection being ready for plain HTTP.
        let from = m.dns_end.or(m.connect_start);
        let connect_ms = from.and_then(|a| m.tls_start.or(m.ready).map(|b| ms(a, b)));
        let tls_ms = m.tls_start.zip(m.ready).map(|(a, b)| ms(a, b));
        Timings {
            dns_ms,
            connect_ms,
            tls_ms,
            ttfb_ms: first_byte.map(|t| ms(self.start, t)),
            total_ms: ms(self.start, Instant::now()),
        }
    }
}

/// The system resolver (`getaddrinfo`, as reqwest's default), timed.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TimedResolver;

impl Resolve for TimedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let clock = current();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let at = Instant::now();
            let result = tokio::net::lookup_host((host.as_str(), 0)).await;
            if let Some(c) = &clock {
                c.mark(|m| {
                    m.dns_start = Some(at);
                    m.dns_end = Some(Instant::now());
                });
            }
            let addrs: Vec<SocketAddr> = result?.collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The connector layer: marks when a new connection is asked for and when
/// it is ready.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TimedConnectLayer;

impl<S> tower::Layer<S> for TimedConnectLayer {
    type Service = TimedConnect<S>;

    fn layer(&self, inner: S) -> Self::Service {
        TimedConnect { inner }
    }
}

#[derive(Clone, Debug)]
pub(crate) struct TimedConnect<S> {
    inner: S,
}

impl<S, R> tower::Service<R> for TimedConnect<S>
where
    S: tower::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: R) -> Self::Future {
        let clock = current();
        if let Some(c) = &clock {
            c.mark(|m| m.connect_start = Some(Instant::now()));
        }
        let fut = self.inner.call(req);
        Box::pin(async move {
            let out = fut.await;
            if let Some(c) = &clock
                && out.is_ok()
            {
                c.mark(|m| m.ready = Some(Instant::now()));
            }
            out
        })
    }
}

/// rustls's session cache, reporting when a handshake starts: rustls asks
/// for a key-exchange hint and a ticket while it builds the ClientHello.
#[derive(Debug)]
pub(crate) struct TimedSessions(ClientSessionMemoryCache);

impl TimedSessions {
    pub(crate) fn new() -> Self {
        // rustls's default: 256 servers.
        Self(ClientSessionMemoryCache::new(256))
    }
}

impl ClientSessionStore for TimedSessions {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: rustls::NamedGroup) {
        self.0.set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<rustls::NamedGroup> {
        mark(|m| {
            m.tls_start.get_or_insert_with(Instant::now);
        });
        self.0.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.0.set_tls12_session(server_name, value);
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        self.0.tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.0.remove_tls12_session(server_name);
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: rustls::client::Tls13ClientSessionValue,
    ) {
        self.0.insert_tls13_ticket(server_name, value);
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<rustls::client::Tls13ClientSessionValue> {
        mark(|m| {
            m.tls_start.get_or_insert_with(Instant::now);
        });
        self.0.take_tls13_ticket(server_name)
    }
}

/// The future of one timed request: its clock in the task-local.
pub(crate) fn timed<F: Future>(clock: Arc<Clock>, fut: F) -> impl Future<Output = F::Output> {
    CLOCK.scope(clock, fut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_become_phases() {
        let c = Clock::start();
        let t0 = c.start;
        let at = |ms: u64| t0 + std::time::Duration::from_millis(ms);
        c.mark(|m| {
            m.connect_start = Some(at(0));
            m.dns_start = Some(at(1));
            m.dns_end = Some(at(11));
            m.tls_start = Some(at(31));
            m.ready = Some(at(71));
        });
        let t = c.timings(Some(at(171)));
        assert_eq!(t.dns_ms.map(f64::round), Some(10.0));
        assert_eq!(t.connect_ms.map(f64::round), Some(20.0));
        assert_eq!(t.tls_ms.map(f64::round), Some(40.0));
        assert_eq!(t.ttfb_ms.map(f64::round), Some(171.0));
        let phases: Vec<&str> = t.phases().iter().map(|p| p.0).collect();
        assert_eq!(phases, ["dns", "connect", "tls", "processing", "transfer"]);
        let processing = t.phases()[3].1.round();
        assert_eq!(processing, 101.0, "first byte less set-up: {t:?}");
    }

    #[test]
    fn a_reused_connection_has_no_set_up_phases() {
        let c = Clock::start();
        let t = c.timings(None);
        assert_eq!(
            (t.dns_ms, t.connect_ms, t.tls_ms, t.ttfb_ms),
            (None, None, None, None)
        );
        assert!(
            t.describe().starts_with("reused connection"),
            "{}",
            t.describe()
        );
        assert!(t.describe().contains("no first byte"), "{}", t.describe());
    }
}
