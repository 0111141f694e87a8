//! The JSON matcher with its `#` markers and the normaliser, on a response
//! shaped like Engine's operator focus (~5 KB, 40 fields): the per-step work
//! a run repeats hundreds of times. `cargo bench -p probes --bench matcher`.

#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use probes::core::jsonpath::JsonPath;
use probes::core::matcher::{Mode, match_json};
use probes::core::normalise::Rules;
use probes::core::redact::Redactor;
use serde_json::{Value, json};

/// An operator-focus answer: 40 top-level fields, a reservation, a ledger
/// block and a list of recent events; about 5 KB serialised.
fn focus() -> Value {
    let mut doc = json!({
        "target": "eval-labs",
        "engine_version": "engine-v0.1.3.6",
        "generated_at": "2026-11-25T20:00:00Z",
        "request_id": "3f2b8c1e-9a41-4f0e-b7a2-1c9d5e6f7a80",
        "ledger": {"mode": "dual", "durable_required": true, "records": 1204, "events": 5310},
        "focus_reservation": {
            "reservation_id": 29110012,
            "guest": {"name": "Harper Quinn", "email": "harper.quinn@example.com", "phone": "+15005550006"},
            "payment_truth": {"status": "succeeded", "amount_cents": 64200, "currency": "usd"},
            "check_in": "2026-12-04",
            "nights": 3
        },
        "recent_events": (0..34).map(|i| json!({
            "id": format!("evt_{i:08}"),
            "type": "payment_intent.succeeded",
            "received_at": "2026-11-25T19:59:00Z",
            "amount_cents": 1000 + i
        })).collect::<Vec<_>>(),
    });
    if let Some(o) = doc.as_object_mut() {
        for i in 0..33 {
            o.insert(format!("setting_{i:02}"), json!(format!("value {i}")));
        }
    }
    doc
}

fn bench(c: &mut Criterion) {
    let actual = focus();
    let size = serde_json::to_vec(&actual).map(|v| v.len()).unwrap_or(0);
    assert!(
        (4_000..7_000).contains(&size),
        "the document is {size} bytes"
    );
    let text = serde_json::to_string(&actual).unwrap_or_default();
    let contains = json!({
        "target": "eval-labs",
        "ledger": {"mode": "dual", "durable_required": "#boolean", "records": "#number"},
        "focus_reservation": {
            "reservation_id": 29110012,
            "payment_truth": {"status": "#regex (succeeded|processing)", "amount_cents": "#number"},
            "check_in": "#regex \\d{4}-\\d{2}-\\d{2}"
        },
        "generated_at": "#iso8601",
        "request_id": "#uuid",
        "recent_events": "#array"
    });
    assert!(match_json(&contains, &actual, Mode::Contains).is_ok());
    c.bench_function("parse a 5 KB response", |b| {
        b.iter(|| serde_json::from_str::<Value>(black_box(&text)));
    });
    c.bench_function("JSON contains with # markers, 5 KB response", |b| {
        b.iter(|| match_json(black_box(&contains), black_box(&actual), Mode::Contains));
    });
    c.bench_function("three JSON-at-path checks, 5 KB response", |b| {
        b.iter(|| {
            for path in [
                "$.target",
                "$.ledger.mode",
                "$.focus_reservation.reservation_id",
            ] {
                let path: Result<JsonPath, _> = black_box(path).parse();
                black_box(path.ok().and_then(|p| p.get(&actual).cloned()));
            }
        });
    });
    let rules = Rules::builtin();
    let secrets = Redactor::new();
    c.bench_function("normalise and redact a 5 KB response", |b| {
        b.iter(|| rules.json(black_box(&actual), &secrets));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
