//! The JSON matcher and its `#` markers: an expectation document against an
//! actual one, both modes, and an absent actual value.
//!
//! Asserts: no panic; a marker, written back, parses to the same marker,
//! and a `#regex` pattern is a regular expression on its own (it cannot
//! escape the anchors that make it match the whole value); an expectation that `validate_expectation` accepts
//! never gives an "invalid expectation" error when matched; an exact match
//! is also a `contains` match; a document without markers matches itself.

#![no_main]

use libfuzzer_sys::fuzz_target;
use lucia_harness_fuzz::{Input, MARKERS, document_pair};
use probes::core::matcher::{Marker, MatchError, Mode, match_at, match_json, validate_expectation};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let (expected, actual) = match Input::new(data) {
        Input::Text(parts) => {
            let [e, a, ..] = parts[..] else {
                return;
            };
            // The marker parser on its own, on any text.
            check_marker(e);
            let (Ok(e), Ok(a)) = (
                serde_json::from_str::<Value>(e),
                serde_json::from_str::<Value>(a),
            ) else {
                return;
            };
            (e, a)
        }
        Input::Structured(mut u) => match document_pair(&mut u, 4, &MARKERS) {
            Ok(pair) => pair,
            Err(_) => return,
        },
    };
    check(&expected, &actual);
});

fn check(expected: &Value, actual: &Value) {
    let mut texts = Vec::new();
    strings(expected, &mut texts);
    texts.iter().for_each(|t| check_marker(t));
    let valid = validate_expectation(expected);
    let exact = match_json(expected, actual, Mode::Exact);
    let contains = match_json(expected, actual, Mode::Contains);
    for r in [&exact, &contains] {
        // Rendering a failure must not panic either.
        if let Err(e) = r {
            let _ = e.to_string();
        }
        if valid.is_ok() {
            assert!(
                !matches!(r, Err(MatchError::Expectation(_))),
                "validate_expectation accepted {expected}, matching rejected it: {r:?}"
            );
        }
    }
    if exact.is_ok() {
        assert!(
            contains.is_ok(),
            "exact match but no contains match: {expected} vs {actual}: {contains:?}"
        );
    }
    for mode in [Mode::Exact, Mode::Contains] {
        let _ = match_at("$.selected", expected, None, mode).map_err(|e| e.to_string());
    }
    if !has_marker_text(expected) {
        for mode in [Mode::Exact, Mode::Contains] {
            assert_eq!(
                match_json(expected, expected, mode),
                Ok(()),
                "a document without markers must match itself ({mode:?}): {expected}"
            );
        }
    }
}

/// Whether any string value starts with `#` or `\#` (markers and escapes
/// do not equal themselves as literal values).
fn has_marker_text(v: &Value) -> bool {
    match v {
        Value::String(s) => s.starts_with('#') || s.starts_with("\\#"),
        Value::Array(items) => items.iter().any(has_marker_text),
        Value::Object(map) => map.values().any(has_marker_text),
        _ => false,
    }
}

fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|i| strings(i, out)),
        Value::Object(map) => map.values().for_each(|i| strings(i, out)),
        _ => {}
    }
}

fn check_marker(text: &str) {
    let Ok(Some(marker)) = Marker::parse(text) else {
        return;
    };
    let shown = marker.to_string();
    match Marker::parse(&shown) {
        Ok(Some(again)) => assert_eq!(again.to_string(), shown, "from {text:?}"),
        other => panic!("{text:?} is shown as {shown:?}, which parses as {other:?}"),
    }
    let mut m = &marker;
    loop {
        match m {
            Marker::Optional(inner) => m = inner,
            Marker::Array(_, Some(each)) => m = each,
            Marker::Regex(re) => {
                let pattern = re
                    .as_str()
                    .strip_prefix("^(?:")
                    .and_then(|p| p.strip_suffix(")$"))
                    .unwrap_or_else(|| panic!("{text:?} compiled unanchored: {re:?}"));
                assert!(
                    regex::Regex::new(pattern).is_ok(),
                    "{text:?} compiled to {:?}, but {pattern:?} is not a regex on its own",
                    re.as_str()
                );
                break;
            }
            _ => break,
        }
    }
}
