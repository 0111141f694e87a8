//! What `adapt` may propose, as pure functions of a failing step and the
//! response it checked. Each rule moves where a check looks, never what it
//! expects: an edit is proposed only where the value the feature expects
//! (the same value, or one its `#marker` accepts) is found elsewhere in the
//! response, at one place. A value found nowhere, or in several places, is
//! left failing, with the reason.

use probes::core::jsonpath::{JsonPath, Segment};
use probes::core::matcher::{Mode, match_at};
use serde_json::Value;

/// A path inside a document, key by key (arrays by index).
pub type Path = Vec<Segment>;

/// Where a key the feature expects went, and by which rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    /// The expected key, by its path inside the expectation.
    pub from: Vec<String>,
    /// Where the response has it, relative to the same place.
    pub to: Vec<String>,
    pub rule: &'static str,
}

pub const RENAMED: &str = "renamed key: the same value, of the same type, under another name";
pub const MOVED: &str = "moved path: the same key and value one wrapper or nesting level away";
pub const RELOCATED: &str = "moved and renamed: the only unclaimed place the same value is";
pub const HEADER: &str = "renamed header: another header carries the same value";
pub const VOLATILE: &str = "volatile value: of the same shape but different in each of two runs, where the feature expects one of them";

/// The marker that names the shape `expected` (a literal) and `actual`
/// share, when they are a volatile kind of value and differ: `#uuid`,
/// `#iso8601`, `#number`. Only a candidate: a second observation must
/// differ too ([`volatile`]), or a wrong stable value would be loosened.
pub fn volatile_shape(expected: &Value, actual: &Value) -> Option<&'static str> {
    let uuid = |s: &str| uuid::Uuid::parse_str(s).is_ok() && s.len() == 36;
    match (expected, actual) {
        (Value::String(e), Value::String(a)) if e != a && !e.starts_with('#') => {
            if uuid(e) && uuid(a) {
                Some("#uuid")
            } else if probes::core::matcher::is_iso8601(e) && probes::core::matcher::is_iso8601(a) {
                Some("#iso8601")
            } else {
                None
            }
        }
        (Value::Number(e), Value::Number(a)) if e != a => Some("#number"),
        _ => None,
    }
}

/// [`volatile_shape`], confirmed by a second observation of the same
/// place (`earlier`) that has the same shape and differs from `actual`.
pub fn volatile(expected: &Value, actual: &Value, earlier: Option<&Value>) -> Option<&'static str> {
    let marker = volatile_shape(expected, actual)?;
    let earlier = earlier?;
    (earlier != actual && volatile_shape(expected, earlier) == Some(marker)).then_some(marker)
}

/// The path of `p`, segment by segment.
pub fn json_path(p: &[Segment]) -> JsonPath {
    let mut j = JsonPath::root();
    for s in p {
        j = match s {
            Segment::Key(k) => j.child_key(k),
            Segment::Index(i) => j.child_index(usize::try_from(*i).unwrap_or(0)),
        };
    }
    j
}

/// Every place in `doc` (objects' members and arrays' items), depth first.
fn places(doc: &Value, at: &mut Path, out: &mut Vec<Path>) {
    match doc {
        Value::Object(m) => {
            for (k, v) in m {
                at.push(Segment::Key(k.clone()));
                out.push(at.clone());
                places(v, at, out);
                at.pop();
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                at.push(Segment::Index(i64::try_from(i).unwrap_or(0)));
                out.push(at.clone());
                places(v, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

fn get<'a>(doc: &'a Value, p: &[Segment]) -> Option<&'a Value> {
    json_path(p).get(doc)
}

fn accepts(expected: &Value, actual: &Value, mode: Mode) -> bool {
    match_at("$", expected, Some(actual), mode).is_ok()
}

/// A value that names itself (not a `#marker`, not a bare `true`/`null`):
/// found once, it is found for a reason.
fn literal(v: &Value) -> bool {
    match v {
        Value::String(s) => !s.starts_with('#'),
        Value::Number(_) => true,
        Value::Object(_) | Value::Array(_) => true,
        Value::Bool(_) | Value::Null => false,
    }
}

/// The words of a key: `uptime_seconds` → {uptime, seconds},
/// `renderService` → {render, service}.
fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut w = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            if !w.is_empty() {
                out.push(std::mem::take(&mut w));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !w.is_empty() {
            out.push(std::mem::take(&mut w));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        w.extend(c.to_lowercase());
    }
    if !w.is_empty() {
        out.push(w);
    }
    out
}

/// Whether two key names plausibly name the same thing: equal, one
/// containing the other, or sharing a word (`message_id` and `id`,
/// `uptime_seconds` and `uptime`). `durable_required` and `healthy` do
/// not: a value alone never makes a rename.
pub fn related(a: &str, b: &str) -> bool {
    let (la, lb) = (a.to_lowercase(), b.to_lowercase());
    let (short, long) = if la.len() <= lb.len() {
        (&la, &lb)
    } else {
        (&lb, &la)
    };
    if la == lb || (short.len() >= 3 && long.contains(short.as_str())) {
        return true;
    }
    let wb = words(b);
    words(a).iter().any(|w| w.len() >= 2 && wb.contains(w))
}

/// Whether `place` is near `parent`: under the same parent, one wrapper
/// below it (a key, or a key and the first item of an array), or one
/// level above it, never across an existing array index.
fn near(parent: &[Segment], place: &[Segment]) -> bool {
    let Some((_, at)) = place.split_last() else {
        return false;
    };
    if at == parent {
        return true;
    }
    if at.len() == parent.len() + 1 && at.starts_with(parent) {
        return matches!(at.last(), Some(Segment::Key(_)));
    }
    if at.len() == parent.len() + 2 && at.starts_with(parent) {
        return matches!(&at[parent.len()..], [Segment::Key(_), Segment::Index(0)]);
    }
    at.len() + 1 == parent.len()
        && parent.starts_with(at)
        && matches!(parent.last(), Some(Segment::Key(_)))
}

/// The one place for `expected`, missing as key `key` under `parent`,
/// among the places nothing else claims and [`near`] the parent: the only
/// place with the same key (a move), else the only place with a
/// [`related`] name (a rename, or a move and rename). Refused when a
/// place with the same key holds another value: the field is there, and
/// says otherwise (a violation, not a rename).
fn find(
    doc: &Value,
    parent: &[Segment],
    key: &str,
    expected: &Value,
    mode: Mode,
    claimed: &[Path],
) -> Result<(Path, &'static str), String> {
    let mut all = Vec::new();
    places(doc, &mut Vec::new(), &mut all);
    let free = |p: &Path| !claimed.iter().any(|c| p.starts_with(c) || c.starts_with(p));
    let candidates: Vec<Path> = all
        .into_iter()
        .filter(|p| free(p) && near(parent, p))
        .collect();
    let key_of = |p: &Path| match p.last() {
        Some(Segment::Key(k)) => Some(k.clone()),
        _ => None,
    };
    let accepted = |p: &Path| get(doc, p).is_some_and(|v| accepts(expected, v, mode));
    if let Some(other) = candidates
        .iter()
        .find(|p| key_of(p).as_deref() == Some(key) && !accepted(p))
    {
        return Err(format!(
            "{} is there with another value ({}): not moved elsewhere",
            json_path(other),
            get(doc, other).map_or_else(String::new, |v| {
                let t = v.to_string();
                t.chars().take(80).collect()
            })
        ));
    }
    let found: Vec<&Path> = candidates.iter().filter(|p| accepted(p)).collect();
    let same_key: Vec<&&Path> = found
        .iter()
        .filter(|p| key_of(p).as_deref() == Some(key))
        .collect();
    if let [one] = same_key.as_slice() {
        return Ok(((**one).clone(), MOVED));
    }
    let named: Vec<&&Path> = found
        .iter()
        .filter(|p| key_of(p).is_some_and(|k| related(key, &k)))
        .collect();
    match named.as_slice() {
        [one] if one.len() == parent.len() + 1 && one.starts_with(parent) => {
            Ok(((**one).clone(), RENAMED))
        }
        [one] => Ok(((**one).clone(), RELOCATED)),
        [] if found.is_empty() => Err(format!("{expected} is nowhere near in the response")),
        [] => Err(format!(
            "{expected} is only under unrelated names ({}): not a rename",
            found
                .iter()
                .take(4)
                .map(|p| json_path(p).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        many => Err(format!(
            "{expected} is in {} places ({}): which one is meant cannot be told",
            many.len(),
            many.iter()
                .take(4)
                .map(|p| json_path(p).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The moves that bring an expectation (`expected`, compared with `mode`
/// at `root` of the response `doc`) onto the keys the response has. The
/// expected keys the response lacks are looked for, literal values first
/// (they claim their place), then markers. Returns the moves and, for each
/// key that cannot be placed, why.
pub fn block_moves(
    expected: &Value,
    doc: &Value,
    root: &[Segment],
    mode: Mode,
) -> (Vec<Move>, Vec<String>) {
    let (moves, left, _) = block_moves_and_mismatches(expected, doc, root, mode);
    (moves, left)
}

/// An expected key the response has with another value: its path inside
/// the expectation, its place in the response, the expected value.
pub type Mismatched = (Vec<String>, Path, Value);

/// [`block_moves`], and the expected keys present with another value.
pub fn block_moves_and_mismatches(
    expected: &Value,
    doc: &Value,
    root: &[Segment],
    mode: Mode,
) -> (Vec<Move>, Vec<String>, Vec<Mismatched>) {
    let mut mismatched = Vec::new();
    // What the expectation already finds claims its place.
    let mut claimed: Vec<Path> = Vec::new();
    let mut missing: Vec<(Vec<String>, &Value)> = Vec::new();
    let mut stack: Vec<(Vec<String>, &Value)> = vec![(Vec::new(), expected)];
    while let Some((at, e)) = stack.pop() {
        let Value::Object(m) = e else { continue };
        for (k, v) in m {
            let mut p = at.clone();
            p.push(k.clone());
            let abs: Path = root
                .iter()
                .cloned()
                .chain(p.iter().cloned().map(Segment::Key))
                .collect();
            match get(doc, &abs) {
                Some(actual) => {
                    if v.is_object() && actual.is_object() {
                        stack.push((p, v));
                    } else {
                        if !accepts(v, actual, mode) {
                            mismatched.push((p.clone(), abs.clone(), v.clone()));
                        }
                        claimed.push(abs);
                    }
                }
                // Already satisfied when absent (`#notpresent`, `#ignore`).
                None if match_at("$", v, None, mode).is_ok() => {}
                None => missing.push((p, v)),
            }
        }
    }
    missing.sort_by_key(|(p, v)| (!literal(v), p.clone()));
    let mut moves = Vec::new();
    let mut left = Vec::new();
    for (p, v) in missing {
        let key = p.last().cloned().unwrap_or_default();
        let parent: Path = root
            .iter()
            .cloned()
            .chain(p[..p.len() - 1].iter().cloned().map(Segment::Key))
            .collect();
        match find(doc, &parent, &key, v, mode, &claimed) {
            Ok((to, rule)) => {
                // Only paths of keys below the step's root can be written
                // back into the expectation.
                let rel: Option<Vec<String>> = to.strip_prefix(root).and_then(|r| {
                    r.iter()
                        .map(|s| match s {
                            Segment::Key(k) => Some(k.clone()),
                            Segment::Index(_) => None,
                        })
                        .collect::<Option<Vec<_>>>()
                });
                match rel {
                    Some(rel) => {
                        claimed.push(to);
                        moves.push(Move {
                            from: p,
                            to: rel,
                            rule,
                        });
                    }
                    None => left.push(format!(
                        "\"{}\": found at {}, inside an array: not proposed",
                        p.join("."),
                        json_path(&to)
                    )),
                }
            }
            Err(why) => left.push(format!("\"{}\": {why}", p.join("."))),
        }
    }
    (moves, left, mismatched)
}

/// For `the JSON at "P" is V` where the response has nothing at `P`: the
/// one place it has `V`.
pub fn path_move(
    path: &JsonPath,
    expected: &Value,
    doc: &Value,
) -> Result<(JsonPath, &'static str), String> {
    if path.get(doc).is_some() {
        return Err("the path is there, with another value".into());
    }
    if !literal(expected) {
        return Err(format!(
            "{expected} names nothing by itself (a marker, true, false or null): not searched for"
        ));
    }
    let (parent, key) = match path.segments.split_last() {
        Some((Segment::Key(k), parent)) => (parent.to_vec(), k.clone()),
        _ => (Vec::new(), String::new()),
    };
    find(doc, &parent, &key, expected, Mode::Exact, &[]).map(|(p, rule)| (json_path(&p), rule))
}

/// For `the header "H" is|contains "V"` where the response has no `H`: the
/// one other header whose value satisfies it.
pub fn header_move(
    name: &str,
    how: &str,
    value: &str,
    headers: &[(String, String)],
) -> Result<String, String> {
    if headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
        return Err("the header is there, with another value".into());
    }
    // Headers every response has for their own reasons never stand in.
    const STANDARD: [&str; 12] = [
        "cache-control",
        "content-type",
        "content-length",
        "content-encoding",
        "date",
        "vary",
        "set-cookie",
        "location",
        "strict-transport-security",
        "etag",
        "expires",
        "connection",
    ];
    if how == "contains" && value.chars().count() < 4 {
        return Err(format!(
            "{value:?} is too short to tell one header from another"
        ));
    }
    let ok = |v: &str| match how {
        "is" => v == value,
        "contains" => v.contains(value),
        _ => false,
    };
    let found: Vec<&str> = headers
        .iter()
        .filter(|(n, v)| ok(v) && !STANDARD.contains(&n.to_ascii_lowercase().as_str()))
        .map(|(n, _)| n.as_str())
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Err(format!("no header {how} {value:?}")),
        many => Err(format!(
            "{} headers {how} {value:?}: {}",
            many.len(),
            many.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renamed_and_wrapped_keys_are_found_by_their_values() {
        let expected = json!({"status": "ok", "version": "v1", "uptime_seconds": "#number"});
        let doc = json!({"status": "ok", "build": {"version": "v1"}, "uptime": 4});
        let (moves, left) = block_moves(&expected, &doc, &[], Mode::Exact);
        assert!(left.is_empty(), "{left:?}");
        assert_eq!(
            moves,
            [
                Move {
                    from: vec!["version".into()],
                    to: vec!["build".into(), "version".into()],
                    rule: MOVED
                },
                Move {
                    from: vec!["uptime_seconds".into()],
                    to: vec!["uptime".into()],
                    rule: RENAMED
                },
            ]
        );
    }

    #[test]
    fn a_shared_value_under_an_unrelated_name_or_far_away_is_never_a_rename() {
        // A boolean, a marker, the right value in the wrong field.
        let cases = [
            (
                json!({"mode": "dual", "durable_required": true}),
                json!({"mode": "dual", "durable": {"required": false}, "healthy": true}),
            ),
            (
                json!({"ok": true, "message_id": "#string"}),
                json!({"ok": true, "send_status": "queued", "error": "resend down"}),
            ),
            (
                json!({"version": "v1"}),
                json!({"build": {"version": "v9"}, "previous_version": "v1"}),
            ),
            (
                json!({"status": "ok"}),
                json!({"state": "degraded", "checks": {"db": {"status": "ok"}}}),
            ),
        ];
        for (expected, doc) in cases {
            let (moves, left) = block_moves(&expected, &doc, &[], Mode::Contains);
            assert!(moves.is_empty(), "{expected} in {doc}: {moves:?}");
            assert!(!left.is_empty(), "{expected} in {doc}: listed");
        }
        let doc =
            json!({"data": [{"url": "u"}, {"status": "disabled"}, {}, {"status": "enabled"}]});
        let p: JsonPath = "$.data[0].status".parse().expect("path");
        assert!(
            path_move(&p, &json!("enabled"), &doc).is_err(),
            "another array item is another thing"
        );
        let h = vec![("cache-control".to_owned(), "max-age=60".to_owned())];
        assert!(header_move("strict-transport-security", "contains", "max-age", &h).is_err());
        assert!(related("uptime_seconds", "uptime") && related("message_id", "id"));
        assert!(!related("durable_required", "healthy"));
    }

    #[test]
    fn a_marker_needs_a_volatile_shape_seen_twice_and_different() {
        let u1 = json!("1b4e28ba-2fa1-11d2-883f-0016d3cca427");
        let u2 = json!("6fa459ea-ee8a-3ca4-894e-db77e160355e");
        let u3 = json!("16fd2706-8baf-433b-82eb-8c7fada847da");
        assert_eq!(volatile(&u1, &u2, Some(&u3)), Some("#uuid"));
        assert_eq!(
            volatile(&u1, &u2, None),
            None,
            "one observation is not enough"
        );
        assert_eq!(
            volatile(&u1, &u2, Some(&u2)),
            None,
            "the same twice is stable"
        );
        assert_eq!(
            volatile(&json!(12500), &json!(9999), Some(&json!(9999))),
            None,
            "a stable wrong amount stays wrong"
        );
        assert_eq!(
            volatile(&json!(1), &json!(5), Some(&json!(7))),
            Some("#number")
        );
        assert_eq!(
            volatile(
                &json!("2026-11-25T09:00:00Z"),
                &json!("2026-12-02T10:00:00Z"),
                Some(&json!("2026-12-02T10:00:05Z"))
            ),
            Some("#iso8601")
        );
        assert_eq!(
            volatile(
                &json!("engine-v1"),
                &json!("engine-v2"),
                Some(&json!("engine-v3"))
            ),
            None
        );
        assert_eq!(
            volatile(&json!("#uuid"), &u2, Some(&u3)),
            None,
            "a marker is not replaced"
        );
    }

    #[test]
    fn a_value_found_nowhere_or_twice_is_left_failing() {
        let expected = json!({"version": "v1", "flag": "#string"});
        let doc = json!({"build": {"v": "v9"}, "flag_a": "x", "flag_b": "y"});
        let (moves, left) = block_moves(&expected, &doc, &[], Mode::Contains);
        assert!(moves.is_empty(), "{moves:?}");
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left[0].contains("nowhere"), "{left:?}");
        assert!(left[1].contains("places"), "{left:?}");
    }

    #[test]
    fn a_path_moves_only_to_where_its_value_is_and_a_header_is_renamed() {
        let doc = json!({"items": [{"service": "engine"}]});
        let p: JsonPath = "$.service".parse().expect("path");
        let (to, _) = path_move(&p, &json!("engine"), &doc).expect("found");
        assert_eq!(to.to_string(), "$.items[0].service");
        assert!(path_move(&"$.items".parse().expect("p"), &json!("x"), &doc).is_err());
        let h = vec![("x-served-by".to_owned(), "Netlify".to_owned())];
        assert_eq!(
            header_move("server", "contains", "Netlify", &h),
            Ok("x-served-by".into())
        );
        assert!(header_move("x-served-by", "is", "Other", &h).is_err());
    }
}
