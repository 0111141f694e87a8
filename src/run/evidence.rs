//! Each exchange in full for `exchanges.har`, redacted exactly like every
//! other output: secrets and personal data out of every header and body
//! (JSON bodies value by value, so a `guest_name` goes whatever it says),
//! and the values of headers that carry credentials or signatures
//! replaced whole (a Basic token is base64: no secret appears in it as
//! written). Bodies are cut at [`BODY_LIMIT`] bytes.

use probes::core::redact::Redactor;
use reporters::ExchangeEvidence;

/// The most of a body the HAR keeps (all the run kept of it).
pub const BODY_LIMIT: usize = probes::EVIDENCE_BODY_LIMIT;

/// Headers whose values are credentials, session material or signatures
/// made with a secret: replaced whole. A name containing one of these
/// (case-insensitive) counts.
const SENSITIVE: [&str; 8] = [
    "authorization",
    "cookie",
    "token",
    "secret",
    "signature",
    "api-key",
    "apikey",
    "password",
];

pub fn sensitive(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    SENSITIVE.iter().any(|s| n.contains(s))
}

fn headers(pairs: &[(String, String)], redactor: &Redactor) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| {
            let value = if sensitive(n) {
                "[redacted]".to_owned()
            } else {
                redactor.scrub(v).into_owned()
            };
            (n.clone(), value)
        })
        .collect()
}

/// A body as the HAR shows it (of `size` bytes, the first of which are
/// `bytes`), and why it is not shown whole, if it is not.
fn body(bytes: &[u8], size: usize, redactor: &Redactor) -> (String, Option<String>) {
    let cut = &bytes[..bytes.len().min(BODY_LIMIT)];
    let whole = cut.len() == size;
    let text = match std::str::from_utf8(cut) {
        Ok(t) => t,
        // Cut inside a character: up to it.
        Err(e) if !whole && e.error_len().is_none() => {
            std::str::from_utf8(&cut[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => {
            return (
                String::new(),
                Some(format!("{size} bytes, not UTF-8 text: not kept")),
            );
        }
    };
    let shown = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) if whole => serde_json::to_string(&redactor.value(&v, "", "$")).unwrap_or_default(),
        _ => redactor.scrub(text).into_owned(),
    };
    let note = (!whole).then(|| format!("cut at {BODY_LIMIT} of {size} bytes"));
    (shown, note)
}

pub fn redacted(e: &probes::Evidence, redactor: &Redactor) -> ExchangeEvidence {
    let (request_body, request_note) = match &e.request_body {
        Some(b) => {
            let (text, note) = body(b, b.len(), redactor);
            (Some(text), note)
        }
        None => (None, None),
    };
    let (response_body, response_note) = body(&e.response_body, e.response_size, redactor);
    let comment = [
        request_note.map(|n| format!("request body {n}")),
        response_note.map(|n| format!("response body {n}")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>();
    ExchangeEvidence {
        started_at: e.started_at,
        request_headers: headers(&e.request_headers, redactor),
        request_body,
        response_headers: headers(&e.response_headers, redactor),
        response_body,
        response_size: e.response_size,
        comment: (!comment.is_empty()).then(|| comment.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_go_whole_and_bodies_are_scrubbed() {
        let mut r = Redactor::new();
        r.add("s3cret-token-value", "${TOKEN}");
        let e = probes::Evidence {
            started_at: chrono::Utc::now(),
            request_headers: vec![
                ("Authorization".into(), "Basic dXNlcjpwYXNz".into()),
                ("Stripe-Signature".into(), "t=1,v1=abc".into()),
                ("X-Trace".into(), "say s3cret-token-value".into()),
            ],
            request_body: Some(br#"{"token":"s3cret-token-value"}"#.to_vec()),
            response_headers: vec![("Set-Cookie".into(), "session=abc".into())],
            response_body: vec![0xff, 0xfe, 0x00],
            response_size: 3,
        };
        let h = redacted(&e, &r);
        assert_eq!(h.request_headers[0].1, "[redacted]");
        assert_eq!(h.request_headers[1].1, "[redacted]");
        assert_eq!(h.request_headers[2].1, "say ${TOKEN}");
        assert_eq!(h.response_headers[0].1, "[redacted]");
        assert_eq!(h.request_body.as_deref(), Some(r#"{"token":"${TOKEN}"}"#));
        assert_eq!(h.response_body, "");
        assert!(
            h.comment
                .as_deref()
                .is_some_and(|c| c.contains("not UTF-8")),
            "{:?}",
            h.comment
        );
    }

    #[test]
    fn a_large_body_is_kept_to_the_limit_and_says_so() {
        let big = "é".repeat(BODY_LIMIT);
        let kept = &big.as_bytes()[..BODY_LIMIT + 1];
        let (text, note) = body(kept, big.len(), &Redactor::new());
        assert!(
            text.len() <= BODY_LIMIT && text.chars().all(|c| c == 'é'),
            "cut on a character"
        );
        assert_eq!(
            note.as_deref(),
            Some(format!("cut at {BODY_LIMIT} of {} bytes", big.len()).as_str())
        );
    }
}
