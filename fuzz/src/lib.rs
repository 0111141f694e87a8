//! Input generation shared by the fuzz targets.
//!
//! Every target reads its input in one of two shapes, chosen by the first
//! byte, so that it can be seeded from the repository's real files and still
//! reach deep code from structured input:
//!
//! - `T` then text: the documents themselves, separated by NUL bytes
//!   (`T{"a": "#string"}\0{"a": "x"}`). Seeds are written this way.
//! - anything else: the rest drives [`arbitrary::Unstructured`], which builds
//!   well-formed documents from pools of the strings the code reacts to
//!   (markers, personal keys, timestamps, …) mixed with arbitrary ones.

use std::sync::LazyLock;

use arbitrary::{Arbitrary, Result, Unstructured};
use serde_json::{Map, Number, Value};

/// The input of one run, split by its first byte.
#[derive(Debug)]
pub enum Input<'a> {
    /// The NUL-separated parts of a UTF-8 text (invalid UTF-8 gives none).
    Text(Vec<&'a str>),
    Structured(Unstructured<'a>),
}

impl<'a> Input<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        match data.split_first() {
            Some((b'T', rest)) => Self::Text(
                std::str::from_utf8(rest)
                    .map(|s| s.split('\0').collect())
                    .unwrap_or_default(),
            ),
            Some((_, rest)) => Self::Structured(Unstructured::new(rest)),
            None => Self::Structured(Unstructured::new(&[])),
        }
    }
}

/// `#` markers of the JSON matcher: every one the matcher lists, and more,
/// good and bad, nested and in pieces.
pub static MARKERS: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
    probes::core::matcher::MARKERS
        .iter()
        .copied()
        .chain([
            "#regex [a-z]+",
            "#regex engine-v\\d+\\.\\d+",
            "#regex (",
            "#regex a)|(b",
            "#regex ",
            "#[]",
            "#[2]",
            "#[0]",
            "#[] #string",
            "#[1] ##number",
            "#[x]",
            "#[",
            "##string",
            "##[] #uuid",
            "###",
            "#strng",
            "\\#lucia",
            "#",
            "##",
        ])
        .collect()
});

/// Scalars that markers and normalising rules recognise.
pub const SCALARS: &[&str] = &[
    "7f1b3c2e-9d4a-4e8b-a1c3-5d6e7f809a1b",
    "2026-11-25T19:38:54.123Z",
    "2026-11-25 20:07:32+01:00",
    "2026-11-25",
    "engine-v0.1.3.6",
    "harper.quinn@example.com",
    "+15005550006",
    "+44 20 7946 0958",
    "(500) 555-0006",
    "500-555-0006",
    "Harper Quinn",
    "#lucia",
    "ok",
    "",
    "[email]",
    "[timestamp]",
    "${LUCIA_OPERATOR_TOKEN}",
];

/// Object keys the normaliser treats specially, and plain ones.
pub const KEYS: &[&str] = &[
    "status",
    "version",
    "guest_name",
    "guest_email",
    "guest_phone",
    "mobile",
    "address",
    "request_id",
    "trace_id",
    "uptime_seconds",
    "created_at",
    "time",
    "ts",
    "body",
    "content_type",
    "items",
    "odd key",
    "a.b",
    "it's",
    "",
    "[email]",
    "harper.quinn@example.com",
];

/// A string: from `pool`, from `pool` with arbitrary text around it, or
/// arbitrary.
pub fn string(u: &mut Unstructured, pool: &[&str]) -> Result<String> {
    Ok(match u.int_in_range(0u8..=4)? {
        0 | 1 => (*u.choose(pool)?).to_owned(),
        2 => {
            let mut s = String::arbitrary(u)?;
            s.push_str(u.choose(pool)?);
            s.push_str(&String::arbitrary(u)?);
            s
        }
        3 => format!("{} {}", u.choose(pool)?, u.choose(pool)?),
        _ => String::arbitrary(u)?,
    })
}

/// A JSON number, integer or not, small or at the edges.
pub fn number(u: &mut Unstructured) -> Result<Value> {
    Ok(match u.int_in_range(0u8..=5)? {
        0 => Value::from(u.int_in_range(-3i64..=3)?),
        1 => Value::from(i64::arbitrary(u)?),
        2 => Value::from(u64::arbitrary(u)?),
        3 => Number::from_f64(f64::arbitrary(u)?).map_or(Value::Null, Value::Number),
        4 => Value::from(*u.choose(&[0.5, 1.0, -0.0, 1e308, 1764100000.0])?),
        _ => Value::from(*u.choose(&[i64::MIN, i64::MAX, 1_764_100_000])?),
    })
}

/// A JSON document at most `depth` deep, strings drawn from `strings` and
/// keys from `keys`.
pub fn json(u: &mut Unstructured, depth: u32, strings: &[&str], keys: &[&str]) -> Result<Value> {
    let top = if depth == 0 { 3 } else { 5 };
    Ok(match u.int_in_range(0u8..=top)? {
        0 => Value::Null,
        1 => Value::Bool(bool::arbitrary(u)?),
        2 => number(u)?,
        3 => Value::String(string(u, strings)?),
        4 => {
            let n = u.int_in_range(0usize..=4)?;
            let mut items = Vec::with_capacity(n);
            for _ in 0..n {
                items.push(json(u, depth - 1, strings, keys)?);
            }
            Value::Array(items)
        }
        _ => {
            let n = u.int_in_range(0usize..=4)?;
            let mut map = Map::new();
            for _ in 0..n {
                let k = string(u, keys)?;
                map.insert(k, json(u, depth - 1, strings, keys)?);
            }
            Value::Object(map)
        }
    })
}

/// A document shaped like `expected` (the same keys and items, give or take
/// one) with its marker strings replaced by values, so that matching goes
/// deep instead of failing at the root.
pub fn instance_of(u: &mut Unstructured, expected: &Value) -> Result<Value> {
    Ok(match expected {
        Value::String(s) if s.starts_with('#') || u.ratio(1, 8)? => json(u, 1, SCALARS, KEYS)?,
        Value::String(s) if s.starts_with("\\#") => Value::String(s[1..].to_owned()),
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len() + 1);
            for item in items {
                if !u.ratio(1, 10)? {
                    out.push(instance_of(u, item)?);
                }
            }
            if u.ratio(1, 10)? {
                out.push(json(u, 1, SCALARS, KEYS)?);
            }
            if u.ratio(1, 4)? {
                out.reverse();
            }
            Value::Array(out)
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                if !u.ratio(1, 10)? {
                    out.insert(k.clone(), instance_of(u, v)?);
                }
            }
            if u.ratio(1, 10)? {
                out.insert(string(u, KEYS)?, json(u, 1, SCALARS, KEYS)?);
            }
            Value::Object(out)
        }
        other if u.ratio(1, 8)? => json(u, 1, SCALARS, KEYS).unwrap_or_else(|_| other.clone()),
        other => other.clone(),
    })
}

/// Two documents from structured input: the first at most `depth` deep with
/// strings from `strings`; the second, mostly, shaped like the first.
pub fn document_pair(u: &mut Unstructured, depth: u32, strings: &[&str]) -> Result<(Value, Value)> {
    let a = json(u, depth, strings, KEYS)?;
    let b = if u.ratio(3, 4)? {
        instance_of(u, &a)?
    } else {
        json(u, depth, SCALARS, KEYS)?
    };
    Ok((a, b))
}
