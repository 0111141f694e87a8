//! Trace context: every request of a scenario carries one trace, as W3C
//! Trace Context (`traceparent`) and as Sentry's own headers
//! (`sentry-trace`, `baggage`), so the backend's Sentry links its
//! transaction and errors to the check that caused them, and the harness's
//! alert event (its `contexts.trace`) leads there.
//!
//! Formats: `traceparent: 00-{trace_id}-{span_id}-01` (W3C Trace Context
//! level 1, version 00, flags "sampled"); `sentry-trace:
//! {trace_id}-{span_id}-1`; `baggage: sentry-trace_id=…,sentry-environment=…,
//! sentry-sampled=true,sentry-sample_rate=1` (Sentry's dynamic sampling
//! context, W3C Baggage syntax). Ids are lowercase hex: 32 digits for a
//! trace, 16 for a span, never all zeros.

/// The headers a request's trace context travels in.
pub const HEADERS: [&str; 3] = ["traceparent", "sentry-trace", "baggage"];

/// A new trace id: 32 lowercase hex digits, random (a v4 UUID's bits).
pub fn new_trace_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A new span id: 16 lowercase hex digits, random.
pub fn new_span_id() -> String {
    let mut s = uuid::Uuid::new_v4().simple().to_string();
    s.truncate(16);
    s
}

/// Whether `id` is a valid trace (32) or span (16) id of `len` digits.
pub fn is_id(id: &str, len: usize) -> bool {
    id.len() == len
        && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && id.bytes().any(|b| b != b'0')
}

/// The headers one request of trace `trace_id` carries, as span `span_id`,
/// in environment `environment` (a baggage value: letters, digits, `-`, `_`).
pub fn headers(trace_id: &str, span_id: &str, environment: &str) -> [(&'static str, String); 3] {
    let [traceparent, sentry_trace, baggage] = HEADERS;
    [
        (traceparent, format!("00-{trace_id}-{span_id}-01")),
        (sentry_trace, format!("{trace_id}-{span_id}-1")),
        (
            baggage,
            format!(
                "sentry-trace_id={trace_id},sentry-environment={environment},sentry-sampled=true,sentry-sample_rate=1"
            ),
        ),
    ]
}

/// The trace id of a `traceparent` value, if it is a valid one.
pub fn trace_of_traceparent(value: &str) -> Option<&str> {
    let mut parts = value.trim().split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (version == "00"
        && is_id(trace, 32)
        && is_id(span, 16)
        && flags.len() == 2
        && parts.next().is_none())
    .then_some(trace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_lowercase_hex_of_their_length_and_differ() {
        let (a, b) = (new_trace_id(), new_trace_id());
        assert!(is_id(&a, 32) && is_id(&b, 32) && a != b, "{a} {b}");
        assert!(is_id(&new_span_id(), 16));
        assert!(!is_id(&"0".repeat(32), 32), "all zeros is invalid");
        assert!(!is_id(&"A".repeat(32), 32), "uppercase is invalid");
    }

    #[test]
    fn the_three_headers_carry_the_same_trace() {
        let t = "4bf92f3577b34da6a3ce929d0e0e4736";
        let s = "00f067aa0ba902b7";
        let h = headers(t, s, "dev");
        assert_eq!(h[0].1, format!("00-{t}-{s}-01"));
        assert_eq!(trace_of_traceparent(&h[0].1), Some(t));
        assert_eq!(h[1].1, format!("{t}-{s}-1"));
        assert!(
            h[2].1
                .starts_with(&format!("sentry-trace_id={t},sentry-environment=dev,"))
        );
        assert_eq!(trace_of_traceparent("00-xyz-00f067aa0ba902b7-01"), None);
        assert_eq!(trace_of_traceparent(&format!("01-{t}-{s}-01")), None);
    }
}
