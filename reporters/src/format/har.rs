//! `exchanges.har`: every HTTP request and response of the run as HAR 1.2
//! (the HTTP Archive format browsers' developer tools and proxies read),
//! in the order each scenario made them. What it holds was redacted when
//! the run collected it ([`crate::ExchangeEvidence`]), exactly like every
//! other output; a run read back from report.json (a merge, the history)
//! has no evidence, and its entries say so in their comment.
//!
//! Timings follow HAR's rules: `connect` includes `ssl`; `send`, `wait`
//! and `receive` are never -1; `time` is the sum of the phases that are
//! not -1. Each entry names its scenario in `comment` and carries the
//! trace (`_trace_id`, `_span_id`: custom fields start with `_`).

use std::io::{self, Write};

use serde_json::{Value, json};

use crate::format::reporter::Reporter;
use crate::model::run::{HttpExchangeReport, RunReport, ScenarioReport};

/// `exchanges.har`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Har;

impl Reporter for Har {
    fn file_name(&self) -> &'static str {
        "exchanges.har"
    }

    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        let entries: Vec<Value> = report
            .scenarios
            .iter()
            .flat_map(|sc| sc.http.iter().map(move |x| entry(report, sc, x)))
            .collect();
        let har = json!({
            "log": {
                "version": "1.2",
                "creator": {"name": "lucia-harness", "version": report.harness_version},
                "comment": format!("run {} of {}", report.run_id, report.environment),
                "entries": entries,
            }
        });
        serde_json::to_writer_pretty(&mut *out, &har)?;
        out.write_all(b"\n")
    }
}

fn pairs(p: &[(String, String)]) -> Vec<Value> {
    p.iter()
        .map(|(n, v)| json!({"name": n, "value": v}))
        .collect()
}

fn header<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn round(ms: f64) -> f64 {
    (ms * 1000.0).round() / 1000.0
}

/// HAR's timings of `x`: the measured phases, the rest -1 or 0 as HAR asks.
fn timings(x: &HttpExchangeReport) -> Value {
    let Some(t) = x.timings else {
        return json!({"blocked": -1, "dns": -1, "connect": -1, "ssl": -1,
                      "send": 0, "wait": round(x.duration_ms), "receive": 0});
    };
    let opt = |v: Option<f64>| v.map_or(-1.0, round);
    let tls = t.tls_ms.unwrap_or(0.0);
    let connect = t.connect_ms.map(|c| c + tls);
    let setup = t.dns_ms.unwrap_or(0.0) + connect.unwrap_or(0.0);
    let (wait, receive) = match t.ttfb_ms {
        Some(first) => ((first - setup).max(0.0), (t.total_ms - first).max(0.0)),
        None => ((t.total_ms - setup).max(0.0), 0.0),
    };
    json!({
        "blocked": -1,
        "dns": opt(t.dns_ms),
        "connect": opt(connect),
        "ssl": opt(t.tls_ms),
        "send": 0,
        "wait": round(wait),
        "receive": round(receive),
    })
}

fn time_of(t: &Value) -> f64 {
    ["blocked", "dns", "connect", "send", "wait", "receive"]
        .iter()
        .filter_map(|k| t[*k].as_f64())
        .filter(|v| *v >= 0.0)
        .sum()
}

fn entry(report: &RunReport, sc: &ScenarioReport, x: &HttpExchangeReport) -> Value {
    let query: Vec<Value> = url::Url::parse(&x.url)
        .map(|u| {
            u.query_pairs()
                .map(|(n, v)| json!({"name": n, "value": v}))
                .collect()
        })
        .unwrap_or_default();
    let timings = timings(x);
    let mut comment = format!("{} › {}", sc.feature, sc.scenario);
    if let Some(e) = x.error {
        comment.push_str(&format!(" · no answer: {}", e.as_str()));
    }
    let ev = x.evidence.as_deref();
    if ev.is_none() {
        comment.push_str(" · headers and bodies not kept (read back from report.json)");
    } else if let Some(c) = ev.and_then(|e| e.comment.as_deref()) {
        comment.push_str(&format!(" · {c}"));
    }
    let empty: &[(String, String)] = &[];
    let req_headers = ev.map_or(empty, |e| e.request_headers.as_slice());
    let resp_headers = ev.map_or(empty, |e| e.response_headers.as_slice());
    let mut request = json!({
        "method": x.method,
        "url": x.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": pairs(req_headers),
        "queryString": query,
        "headersSize": -1,
        "bodySize": ev.and_then(|e| e.request_body.as_ref()).map_or(0, |b| b.len()),
    });
    if let Some(body) = ev.and_then(|e| e.request_body.as_ref()) {
        request["postData"] = json!({
            "mimeType": header(req_headers, "content-type").unwrap_or("application/octet-stream"),
            "params": [],
            "text": body,
        });
    }
    let started = ev.map_or(report.started_at, |e| e.started_at);
    let mut entry = json!({
        "startedDateTime": started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "time": round(time_of(&timings)),
        "request": request,
        "response": {
            "status": x.status.unwrap_or(0),
            "statusText": "",
            "httpVersion": "HTTP/1.1",
            "cookies": [],
            "headers": pairs(resp_headers),
            "content": {
                "size": ev.map_or(0, |e| e.response_size),
                "mimeType": header(resp_headers, "content-type").unwrap_or(""),
                "text": ev.map_or("", |e| e.response_body.as_str()),
            },
            "redirectURL": header(resp_headers, "location").unwrap_or(""),
            "headersSize": -1,
            "bodySize": ev.map_or(-1, |e| i64::try_from(e.response_size).unwrap_or(-1)),
        },
        "cache": {},
        "timings": timings,
        "comment": comment,
    });
    if let Some(t) = &sc.trace_id {
        entry["_trace_id"] = json!(t);
    }
    if let Some(s) = &x.span_id {
        entry["_span_id"] = json!(s);
    }
    entry
}
