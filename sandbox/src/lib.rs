//! A faithful local stand-in for Lucia's surfaces (the README's "The
//! sandbox") and the provider APIs the Canon's claims need, one port, a
//! path prefix per surface:
//!
//! | prefix       | stands for                                                   |
//! |--------------|--------------------------------------------------------------|
//! | `/engine`    | Engine (api-dev.hellolucia.ai): health, version, operator focus, ledger, webhooks |
//! | `/admin`     | Admin UI (dev.hellolucia.ai): version, payment page behind Clerk, CSP |
//! | `/marketing` | marketing and waitlist (hellolucia.ai)                       |
//! | `/guest`     | guest lab (guest.hellolucia.ai)                              |
//! | `/netlify`   | guest lab on Netlify (lucia-guest-agent.netlify.app)         |
//! | `/render`    | Render's API (services, their auto-deploy, restart)          |
//! | `/github`    | GitHub's API (branch protection of `stage` and Admin's `dev`) |
//! | `/supabase`  | Supabase REST (what the anon key can read)                   |
//! | `/sentry`    | Sentry's API (the project exists)                            |
//! | `/twilio`    | Twilio's REST API (api.twilio.com: incoming phone numbers)   |
//! | `/twilio-messaging` | Twilio's Messaging API (messaging.twilio.com: WhatsApp senders) |
//! | `/stripe`    | Stripe's API (webhook endpoints)                             |
//! | `/postmark`  | Postmark's API (the server and its inbound hook)             |
//! | `/resend`    | Resend's API (sending domains and their DNS records)         |
//!
//! The same port number on UDP answers DNS for `hellolucia.ai` (`dns.rs`):
//! the zone's delegation to Cloudflare, its public hosts, and the records
//! Resend verifies for `send.hellolucia.ai`.
//!
//! The providers' configuration points at Development's Engine
//! ([`SandboxConfig::dev_engine_url`]), as the seed says: "Development is
//! currently the live intake surface for external providers."
//!
//! The port speaks HTTPS (a certificate from the committed loopback test CA)
//! and plain HTTP, which it redirects to HTTPS as Cloudflare's edge does.
//! Signatures are checked for real; the payment ledger lives in a file, so
//! a restart through the Render-shaped API really drops memory and reloads.
//! Drift, faults and broken claims are injected per route by one middleware.
//! This crate depends on nothing of the harness: it is what the harness is
//! tested against.

mod admin;
pub mod config;
pub mod dialect;
mod dns;
mod engine;
pub mod inject;
mod layers;
pub mod ledger;
mod providers;
pub mod signatures;
mod site;
mod state;
pub mod tls;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::json;
use tokio::net::TcpListener;
use tower::Service as _;

pub use config::*;
pub use inject::{Break, DnsFault, DnsFaultKind, Drift, Fault, FaultKind, Injections, SpecError};
pub use state::Received;
use state::{AppState, Scheme, Shared};

/// The sandbox as an axum app, with its ledger opened.
pub fn app(config: SandboxConfig) -> std::io::Result<Router> {
    Ok(router(state(config)?))
}

fn state(config: SandboxConfig) -> std::io::Result<AppState> {
    let injections = Injections {
        drifts: Arc::new(config.drifts.clone()),
        faults: Arc::new(config.faults.clone()),
    };
    let ledger = ledger::Ledger::open(config.ledger_file.as_deref())?;
    Ok(Arc::new(Shared {
        config,
        injections,
        ledger,
        engine_started: Mutex::new(Instant::now()),
        engine_restarting_until: Mutex::new(None),
        sequence: std::sync::atomic::AtomicU64::new(0),
        log: Mutex::new(Vec::new()),
    }))
}

fn router(state: AppState) -> Router {
    Router::new()
        .nest("/engine", engine::routes(state.clone()))
        .nest("/admin", admin::routes())
        .merge(site::routes())
        .merge(providers::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), layers::edge))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            layers::inject,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            layers::record,
        ))
        .with_state(state)
}

/// A sandbox serving on a bound listener (HTTP and HTTPS on TCP, DNS on
/// UDP, one port number).
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    dns: tokio::task::JoinHandle<()>,
    state: AppState,
}

impl Running {
    /// Base URL of the sandbox, e.g. `http://127.0.0.1:8700`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The same, over TLS.
    pub fn https_origin(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Where the sandbox answers DNS (UDP): the same address as [`Self::addr`].
    pub fn dns_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in order (DNS queries too, as
    /// method `DNS` and path `TYPE name`).
    pub fn received(&self) -> Vec<Received> {
        self.state
            .log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Stops serving now, dropping open connections (hanging requests
    /// included: there is nothing graceful to wait for in a fault).
    pub fn stop(self) {
        self.task.abort();
        self.dns.abort();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
        self.dns.abort();
    }
}

/// Binds `addr` (use port 0 for a free port) and serves in the background
/// on the current tokio runtime.
pub async fn start(addr: &str, config: SandboxConfig) -> std::io::Result<Running> {
    let (listener, udp) = bind_both(addr).await?;
    let addr = listener.local_addr()?;
    let prepared = Prepared::new(config)?;
    let state = prepared.state.clone();
    let dns = tokio::spawn(dns::serve(udp, state.clone()));
    let task = tokio::spawn(async move {
        // Serving ends only when the task is aborted.
        let _ = prepared.serve(listener).await;
    });
    Ok(Running {
        addr,
        task,
        dns,
        state,
    })
}

/// A TCP listener and a UDP socket on one address. With port 0 the UDP
/// port the kernel gave TCP may be taken: then both are bound again.
async fn bind_both(addr: &str) -> std::io::Result<(TcpListener, tokio::net::UdpSocket)> {
    let mut last = None;
    for _ in 0..16 {
        let listener = TcpListener::bind(addr).await?;
        match tokio::net::UdpSocket::bind(listener.local_addr()?).await {
            Ok(udp) => return Ok((listener, udp)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no port for both TCP and UDP")))
}

/// Serves until the process is stopped (for `lucia-harness sandbox`): HTTP
/// on `listener`, DNS on UDP at the same address.
pub async fn serve(listener: TcpListener, config: SandboxConfig) -> std::io::Result<()> {
    let udp = tokio::net::UdpSocket::bind(listener.local_addr()?).await?;
    let prepared = Prepared::new(config)?;
    let dns = tokio::spawn(dns::serve(udp, prepared.state.clone()));
    let served = prepared.serve(listener).await;
    dns.abort();
    served
}

/// The router, its state and the TLS acceptor, ready to accept connections.
struct Prepared {
    router: Router,
    tls: tokio_rustls::TlsAcceptor,
    // Kept alive for as long as the server runs (the ledger file's owner, the request log).
    state: AppState,
}

impl Prepared {
    fn new(config: SandboxConfig) -> std::io::Result<Self> {
        let days = if config.broken(Break::ExpiredCertificate) {
            -1
        } else if config.broken(Break::ExpiringCertificate) {
            3
        } else {
            tls::LEAF_DAYS
        };
        let tls = tls::acceptor(days)?;
        let state = state(config)?;
        Ok(Self {
            router: router(state.clone()),
            tls,
            state,
        })
    }

    /// Accepts connections; each speaks TLS or plain HTTP, told apart by its
    /// first byte (0x16 opens a TLS handshake).
    async fn serve(self, listener: TcpListener) -> std::io::Result<()> {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(c) => c,
                // Out of file descriptors or a connection reset before accept: keep serving.
                Err(_) => continue,
            };
            let router = self.router.clone();
            let tls = self.tls.clone();
            tokio::spawn(async move {
                let mut first = [0u8; 1];
                let is_tls = matches!(stream.peek(&mut first).await, Ok(1) if first[0] == 0x16);
                if is_tls {
                    if let Ok(s) = tls.accept(stream).await {
                        serve_connection(s, router, Scheme::Https).await;
                    }
                } else {
                    serve_connection(stream, router, Scheme::Http).await;
                }
            });
        }
    }
}

async fn serve_connection<S>(stream: S, router: Router, scheme: Scheme)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(scheme);
        router.clone().call(req)
    });
    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

async fn not_found(req: Request) -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(json!({"error": "not found", "path": req.uri().path()})),
    )
        .into_response()
}
