//! The structural diff (`diff`, `diff_responses`, `noise_between`) and the
//! line diff (`text_diff`).
//!
//! Asserts: no panic; a document has no difference from itself; two
//! documents differ exactly when they are unequal; diffing the other way
//! round gives the same paths with added and removed swapped; every change's
//! path, parsed back, names its old and new values in the two documents (so
//! `mask_noise` can find what `noise_between` reports); a text has no line
//! difference from itself, and hunk lengths agree with their lines.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lucia_harness_fuzz::{Input, SCALARS, document_pair};
use probes::core::diff::{
    ChangeKind, Class, Counts, LineTag, diff, diff_responses, noise_between, text_diff,
};
use probes::core::jsonpath::JsonPath;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    match Input::new(data) {
        Input::Text(parts) => {
            let [a, b, ..] = parts[..] else {
                return;
            };
            check_text(a, b);
            if let (Ok(a), Ok(b)) = (
                serde_json::from_str::<Value>(a),
                serde_json::from_str::<Value>(b),
            ) {
                check_json(&a, &b);
            }
        }
        Input::Structured(mut u) => {
            let Ok((a, b)) = document_pair(&mut u, 5, SCALARS) else {
                return;
            };
            check_json(&a, &b);
            let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
            check_text(&pretty(&a), &pretty(&b));
        }
    }
});

fn check_json(a: &Value, b: &Value) {
    assert!(diff(a, a).is_empty(), "diff(a, a) of {a}");
    assert!(noise_between(a, a).is_empty());

    let forward = diff(a, b);
    assert_eq!(forward.is_empty(), a == b, "{a} vs {b}: {forward:?}");
    let backward = diff(b, a);
    assert_eq!(forward.len(), backward.len());
    for f in &forward {
        let _ = (f.kind.as_str(), f.class.as_str());
        assert_eq!(f.class, Class::of(f.kind));
        let swapped = match f.kind {
            ChangeKind::Added => ChangeKind::Removed,
            ChangeKind::Removed => ChangeKind::Added,
            k => k,
        };
        // Object keys come in the order of the first document, so match by path.
        let r = backward
            .iter()
            .find(|c| c.path == f.path)
            .unwrap_or_else(|| panic!("{} in diff(a, b) but not diff(b, a)", f.path));
        assert_eq!((r.kind, &r.old, &r.new), (swapped, &f.new, &f.old));
        let path: JsonPath = f
            .path
            .parse()
            .unwrap_or_else(|e| panic!("path {:?} of a change does not parse: {e}", f.path));
        assert_eq!(path.to_string(), f.path, "path is not canonical");
        assert_eq!(path.get(a), f.old.as_ref(), "old value at {}", f.path);
        assert_eq!(path.get(b), f.new.as_ref(), "new value at {}", f.path);
    }
    assert_eq!(Counts::of(&forward).total(), forward.len());

    let noise = noise_between(a, b);
    let mut masked = serde_json::json!({"body": a.clone()});
    probes::core::snapshot::mask_noise(&mut masked, &noise);

    // As response documents: the noise paths leave the body out of it.
    let doc = |body: &Value| serde_json::json!({"status": 200, "content_type": "application/json", "body": body});
    let (da, db) = (doc(a), doc(b));
    assert!(diff_responses(&da, &da, &[]).is_empty());
    assert!(
        diff_responses(&da, &db, &noise).is_empty(),
        "noise_between covers every difference"
    );
    assert_eq!(diff_responses(&da, &db, &[]).len(), forward.len());
    let _ = diff_responses(a, b, &noise);
}

fn check_text(a: &str, b: &str) {
    assert!(text_diff(a, a, 3).is_empty(), "text_diff(a, a)");
    for context in [0, 3] {
        for h in text_diff(a, b, context) {
            let count =
                |tags: [LineTag; 2]| h.lines.iter().filter(|l| tags.contains(&l.tag)).count();
            assert_eq!(h.old_len, count([LineTag::Equal, LineTag::Delete]), "{h:?}");
            assert_eq!(h.new_len, count([LineTag::Equal, LineTag::Insert]), "{h:?}");
            assert!(h.lines.iter().any(|l| l.tag != LineTag::Equal), "{h:?}");
        }
    }
}
