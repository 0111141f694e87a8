//! The structural diff of two ~1 MB JSON documents (the goal: under
//! 20 ms on the 2-core CI machine), and normalising one of them.
//! `cargo bench -p probes --bench diff`.

#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use probes::core::diff::diff;
use probes::core::normalise::Rules;
use probes::core::redact::Redactor;
use serde_json::{Value, json};

/// A document shaped like a large operator answer: reservations with
/// nested guests, payments and tags, about 1 MB serialised.
fn document(drift: bool) -> Value {
    let items: Vec<Value> = (0..2_200)
        .map(|i| {
            let mut item = json!({
                "reservation_id": 29_110_000 + i,
                "property": format!("Lucia Demo Residences #{}", i % 40),
                "check_in": "2026-12-04",
                "nights": i % 7 + 1,
                "payment": {"status": "succeeded", "amount_cents": 64_200 + i, "currency": "usd", "provider": "stripe"},
                "guest": {"name": "Guest Name", "email": "guest@example.com", "phone": "+15005550006"},
                "tags": ["direct", "returning", "sms"],
                "ledger": {"mode": "dual", "durable_required": true, "records": [i, i + 1, i + 2]},
                "notes": "a note long enough to look like the free text operators leave on a booking",
            });
            if drift && i % 100 == 0 {
                item["payment"]["status"] = json!("refunded");
                item["nights"] = json!(format!("{}", i % 7 + 1));
                item["loyalty"] = json!({"tier": "gold"});
                if let Some(o) = item.as_object_mut() {
                    o.remove("notes");
                }
            }
            item
        })
        .collect();
    json!({"generated_at": "2026-11-25T20:00:00Z", "reservations": items})
}

fn bench(c: &mut Criterion) {
    let old = document(false);
    let new = document(true);
    let size = serde_json::to_vec(&old).map(|v| v.len()).unwrap_or(0);
    assert!(
        (1_000_000..1_100_000).contains(&size),
        "the document is {size} bytes"
    );
    assert_eq!(diff(&old, &new).len(), 22 * 4);
    c.bench_function("structural diff, two 1 MB documents", |b| {
        b.iter(|| diff(black_box(&old), black_box(&new)));
    });
    let rules = Rules::builtin();
    let secrets = Redactor::new();
    c.bench_function("normalise one 1 MB document", |b| {
        b.iter(|| rules.json(black_box(&old), &secrets));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
