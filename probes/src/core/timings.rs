//! Where one request's time went, phase by phase: measured by the HTTP
//! probe, written into report.json, told in failure details, counted by the
//! `lucia_probe_phase_seconds` histogram.

use serde::{Deserialize, Serialize};

/// Where one request's time went, in milliseconds from sending it (after
/// blackbox_exporter's phases). `dns`, `connect` and `tls` are absent when
/// a pooled connection was reused (`tls` also for plain HTTP): nothing was
/// spent on them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Timings {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dns_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub connect_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tls_ms: Option<f64>,
    /// To the first byte of the answer (its status line and headers);
    /// absent when none came (a timeout, a refused connection).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ttfb_ms: Option<f64>,
    /// To the last byte of the body.
    pub total_ms: f64,
}

impl Timings {
    /// The phases that add up to the total, as the metrics label them:
    /// `dns`, `connect`, `tls`, `processing` (from the connection being
    /// ready to the first byte) and `transfer` (the body). Absent phases
    /// are left out.
    pub fn phases(&self) -> Vec<(&'static str, f64)> {
        let setup = self.dns_ms.unwrap_or(0.0)
            + self.connect_ms.unwrap_or(0.0)
            + self.tls_ms.unwrap_or(0.0);
        let mut out = Vec::with_capacity(5);
        for (name, v) in [
            ("dns", self.dns_ms),
            ("connect", self.connect_ms),
            ("tls", self.tls_ms),
        ] {
            if let Some(v) = v {
                out.push((name, v));
            }
        }
        match self.ttfb_ms {
            Some(ttfb) => {
                out.push(("processing", (ttfb - setup).max(0.0)));
                out.push(("transfer", (self.total_ms - ttfb).max(0.0)));
            }
            // No answer: all the time after the set-up went on waiting.
            None => out.push(("processing", (self.total_ms - setup).max(0.0))),
        }
        out
    }

    /// `dns 2 ms · connect 1 ms · tls 14 ms · first byte 803 ms · total 812 ms`.
    pub fn describe(&self) -> String {
        let ms = |v: f64| format!("{v:.0} ms");
        let mut parts = Vec::with_capacity(5);
        match (self.dns_ms, self.connect_ms) {
            (None, None) => parts.push("reused connection".to_owned()),
            (dns, connect) => {
                if let Some(d) = dns {
                    parts.push(format!("dns {}", ms(d)));
                }
                if let Some(c) = connect {
                    parts.push(format!("connect {}", ms(c)));
                }
            }
        }
        if let Some(t) = self.tls_ms {
            parts.push(format!("tls {}", ms(t)));
        }
        parts.push(match self.ttfb_ms {
            Some(t) => format!("first byte {}", ms(t)),
            None => "no first byte".to_owned(),
        });
        parts.push(format!("total {}", ms(self.total_ms)));
        parts.join(" · ")
    }
}
