//! `lucia-harness serve`: scheduled runs of each environment's suite,
//! durable history, Prometheus metrics, Sentry alerts and the readiness
//! dashboard.
//!
//! [`Harness`] is the shared state; [`app`] builds the HTTP API over it (test
//! it with `tower::ServiceExt::oneshot`); [`serve`] runs the scheduler and
//! the server until a shutdown signal, then finishes (or, after the grace
//! period, abandons) the runs in progress and flushes the state.
//!
//! Runs execute in this process through [`crate::run::run`]. Its future is
//! not `Send` (cucumber's steps are local futures), so every run gets a
//! thread of its own with a current-thread runtime; the scheduler awaits
//! its result over a channel. One loop per environment runs its runs one
//! after the other, so two runs of one environment never overlap.

mod badge;
mod dashboard;
pub mod evidence;
mod harness;
mod http;
mod metrics;
mod scheduler;

pub use evidence::{BaselineView, Promotion};
use harness::Phase;
pub use harness::{
    DEFAULT_ADDR, DEFAULT_SCHEDULE, EnvHealth, EnvState, Harness, Health, InProgress, Lookup,
    LoopState, READ_TOKEN_VAR, RequestOutcome, Schedule, ServeError, Settings, TOKEN_VAR,
    is_loopback,
};
pub use http::app;
pub use metrics::Metrics;

/// Serves `harness` on `listener` and runs its scheduler until `shutdown`
/// resolves; then stops taking requests, lets runs in progress finish for
/// the grace period, abandons the rest and flushes the state.
pub async fn serve(
    listener: tokio::net::TcpListener,
    harness: Harness,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let loops = scheduler::start(&harness);
    let h = harness.clone();
    let server = axum::serve(listener, app(harness.clone())).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("shutting down: no new runs; waiting for runs in progress");
        h.0.phase.send_replace(Phase::Draining);
    });
    let served = server.await;
    // The server may also stop on its own (an accept error): stop the runs too.
    harness.0.phase.send_replace(Phase::Draining);
    scheduler::drain(&harness, loops).await;
    harness.flush();
    served
}
