//! What keeps a run from harming or misreading an environment: a request
//! rate limit (the harness must never load-test a live environment by
//! accident) and a per-origin circuit (an unreachable environment is one
//! finding, not two hundred failures).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::core::error::{ErrorKind, StepError};

/// Spaces requests at least `interval` apart (no bursts).
#[derive(Debug)]
pub struct RateLimit {
    interval: Duration,
    next: Mutex<Option<tokio::time::Instant>>,
}

impl RateLimit {
    /// `None` for no limit.
    pub fn per_second(rate: Option<f64>) -> Option<Self> {
        let rate = rate.filter(|r| r.is_finite() && *r > 0.0)?;
        Some(Self {
            interval: Duration::from_secs_f64(1.0 / rate),
            next: Mutex::new(None),
        })
    }

    /// Waits for this request's slot.
    pub async fn wait(&self) {
        let slot = {
            let mut next = self
                .next
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = tokio::time::Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[derive(Debug, Default)]
struct OriginState {
    consecutive: u32,
    open: Option<String>,
}

/// Opens for an origin after `threshold` consecutive requests got nothing
/// back (connect, DNS, TLS, timeout); then every request to it fails at
/// once with [`ErrorKind::Unreachable`], reported as skipped.
#[derive(Debug)]
pub struct Circuit {
    threshold: u32,
    origins: Mutex<HashMap<String, OriginState>>,
}

impl Circuit {
    /// `threshold` 0 disables the circuit.
    pub fn new(threshold: u32) -> Self {
        Self {
            threshold,
            origins: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, OriginState>> {
        self.origins
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Refuses a request to an origin already found unreachable.
    pub fn check(&self, env: &str, origin: &str) -> Result<(), StepError> {
        match self.lock().get(origin).and_then(|s| s.open.clone()) {
            Some(why) => Err(StepError::new(
                ErrorKind::Unreachable,
                format!("environment unreachable: '{env}' at {origin} ({why}); not attempted"),
            )),
            None => Ok(()),
        }
    }

    /// Records an outcome: `None` for an answer, the error otherwise.
    pub fn record(&self, origin: &str, outcome: Option<&StepError>) {
        if self.threshold == 0 {
            return;
        }
        let mut origins = self.lock();
        let state = origins.entry(origin.to_owned()).or_default();
        match outcome {
            Some(e) if e.kind.opens_circuit() => {
                state.consecutive += 1;
                if state.consecutive >= self.threshold && state.open.is_none() {
                    state.open = Some(format!(
                        "{} requests in a row got no answer, the last: {}",
                        state.consecutive, e.kind
                    ));
                }
            }
            _ => state.consecutive = 0,
        }
    }
}

/// The host and port a URL reaches, for the circuit: plain HTTP and HTTPS
/// to one host are one place to reach.
pub fn origin_of(url: &str) -> String {
    url::Url::parse(url).map_or_else(
        |_| url.to_owned(),
        |u| {
            format!(
                "{}:{}",
                u.host_str().unwrap_or_default(),
                u.port_or_known_default().unwrap_or(0)
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_consecutive_failures_and_an_answer_resets() {
        let c = Circuit::new(3);
        let refused = StepError::new(ErrorKind::Connect, "refused");
        let wrong = StepError::assertion("wrong");
        c.record("https://a", Some(&refused));
        c.record("https://a", Some(&refused));
        c.record("https://a", None);
        c.record("https://a", Some(&refused));
        c.record("https://a", Some(&wrong));
        assert!(
            c.check("dev", "https://a").is_ok(),
            "an answer (even a wrong one) resets the count"
        );
        for _ in 0..3 {
            c.record("https://a", Some(&refused));
        }
        let e = c.check("dev", "https://a").expect_err("open");
        assert_eq!(e.kind, ErrorKind::Unreachable);
        assert!(e.message.contains("environment unreachable"));
        assert!(c.check("dev", "https://b").is_ok(), "per origin");
        let off = Circuit::new(0);
        for _ in 0..10 {
            off.record("https://a", Some(&refused));
        }
        assert!(off.check("dev", "https://a").is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn spaces_requests() {
        let r = RateLimit::per_second(Some(10.0)).expect("limit");
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            r.wait().await;
        }
        // Five slots 100 ms apart: the fifth is at 400 ms (paused clock: exact).
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        assert!(RateLimit::per_second(None).is_none());
        assert!(RateLimit::per_second(Some(0.0)).is_none());
    }
}
