//! [`Masked`]: a writer that wraps another and hands it a copy of the report
//! with everything that changes from run to run replaced by a fixed value
//! (timestamps, durations, the run id, loopback ports). Golden tests write
//! through it; so can anyone who wants two runs' reports to diff cleanly.

use std::io::{self, Write};

use chrono::{DateTime, TimeZone as _, Utc};

use crate::format::reporter::Reporter;
use crate::model::readiness::Readiness;
use crate::model::run::RunReport;

/// The instant every masked timestamp becomes.
pub fn masked_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// The trace id every masked scenario carries (a span: its first 16 digits).
pub const MASKED_TRACE: &str = "0123456789abcdef0123456789abcdef";

/// A report that can drop its volatile parts.
pub trait Mask: Clone {
    fn mask(&mut self);
}

impl Mask for RunReport {
    fn mask(&mut self) {
        self.run_id = "RUN_ID".to_owned();
        self.harness = None;
        self.started_at = masked_time();
        self.finished_at = masked_time();
        self.duration_ms = 0.0;
        for s in &mut self.scenarios {
            s.duration_ms = 0.0;
            // New each run: a trace per scenario, a span per request.
            if s.trace_id.is_some() {
                s.trace_id = Some(MASKED_TRACE.to_owned());
            }
            for st in &mut s.steps {
                st.duration_ms = 0.0;
            }
            for x in &mut s.http {
                x.duration_ms = 0.0;
                if x.span_id.is_some() {
                    x.span_id = Some(MASKED_TRACE[..16].to_owned());
                }
                if let Some(e) = &mut x.evidence {
                    e.started_at = masked_time();
                    for (n, v) in &mut e.request_headers {
                        if probes::core::trace::HEADERS.contains(&n.as_str()) {
                            *v = "MASKED".to_owned();
                        }
                    }
                }
                x.url = mask_ports(&x.url);
                // The figures vary, and so does whether a connection was
                // new or reused (pooling): only whether an answer came stays.
                if let Some(t) = &mut x.timings {
                    *t = crate::model::run::Timings {
                        ttfb_ms: t.ttfb_ms.map(|_| 0.0),
                        ..crate::model::run::Timings::default()
                    };
                }
            }
            if let Some(e) = &mut s.error {
                e.message = mask_ports(&e.message);
            }
        }
        for c in &mut self.claims {
            c.evidence = mask_ports(&c.evidence);
            if c.last_passed.is_some() {
                c.last_passed = Some(masked_time());
            }
        }
    }
}

impl Mask for Readiness {
    fn mask(&mut self) {
        self.generated_at = masked_time();
        for c in &mut self.checks {
            c.detail = mask_ports(&c.detail);
        }
    }
}

/// Writes what `R` writes, from the masked report.
#[derive(Clone, Copy, Debug, Default)]
pub struct Masked<R>(pub R);

impl<T: Mask, R: Reporter<T>> Reporter<T> for Masked<R> {
    fn file_name(&self) -> &'static str {
        self.0.file_name()
    }

    fn write(&self, report: &T, out: &mut dyn Write) -> io::Result<()> {
        let mut masked = report.clone();
        masked.mask();
        self.0.write(&masked, out)
    }
}

/// Replaces the port of every loopback address (`127.0.0.1:39703`,
/// `localhost:8700`, `[::1]:9000`) with `PORT`: tests start servers on port 0.
pub fn mask_ports(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    'outer: while !rest.is_empty() {
        for host in ["127.0.0.1:", "localhost:", "[::1]:"] {
            if let Some(after) = rest.strip_prefix(host) {
                let digits = after.bytes().take_while(u8::is_ascii_digit).count();
                out.push_str(host);
                if digits > 0 {
                    out.push_str("PORT");
                }
                rest = &after[digits..];
                continue 'outer;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push(c);
        }
        rest = chars.as_str();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_ports_are_masked() {
        assert_eq!(
            mask_ports("GET http://127.0.0.1:39703/engine/health refused by localhost:8700"),
            "GET http://127.0.0.1:PORT/engine/health refused by localhost:PORT"
        );
        assert_eq!(
            mask_ports("https://api-dev.hellolucia.ai:443/x"),
            "https://api-dev.hellolucia.ai:443/x"
        );
        assert_eq!(
            mask_ports("[::1]:9000 and 127.0.0.1:"),
            "[::1]:PORT and 127.0.0.1:"
        );
    }
}
