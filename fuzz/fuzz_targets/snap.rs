//! The `.snap` reader (`SnapFile::parse`, what `Store::read_snap` calls),
//! on any text and on files written by `SnapFile::render` from arbitrary
//! headers and contents.
//!
//! Asserts: no panic; what the reader accepts, written back and read again,
//! is what it read (the file format round-trips); a file rendered from a
//! header whose info keys are plain reads back as that header.

#![no_main]

use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use lucia_harness_fuzz::{Input, KEYS, SCALARS, json, string};
use probes::core::snapshot::{SnapFile, SnapHeader, contents_of};

const HEADER_TEXT: &[&str] = &[
    "features/engine/health.feature",
    "GET engine /health",
    "engine/health: \"v0.1.3.6\" from local",
    "---",
    "info:",
    "  baseline: x",
    "it's",
    "\"",
    "'",
    "\n",
    ": ",
];

fuzz_target!(|data: &[u8]| {
    match Input::new(data) {
        Input::Text(parts) => check_text(&parts.join("\0")),
        Input::Structured(mut u) => {
            if let Ok(file) = snap(&mut u) {
                check_file(&file);
            }
        }
    }
});

fn check_text(text: &str) {
    let Ok(first) = SnapFile::parse(text) else {
        return;
    };
    let _ = first.document().map_err(|e| e.to_string());
    let again = SnapFile::parse(&first.render())
        .unwrap_or_else(|e| panic!("a rendered file does not parse: {e}\n{:?}", first.render()));
    assert_eq!(again, first, "read, written and read again differs");
}

fn check_file(file: &SnapFile) {
    let text = file.render();
    let read = SnapFile::parse(&text).unwrap_or_else(|e| panic!("{e}: {text:?}"));
    let plain = |k: &String| !k.is_empty() && k.trim() == k && !k.contains([':', '\n', '\r']);
    let contents_plain = file.contents.trim_end_matches(['\n', '\r']) == file.contents
        && !file.contents.starts_with(['\n', '\r']);
    if file.header.info.iter().all(|(k, _)| plain(k)) && contents_plain {
        assert_eq!(&read, file, "rendered {text:?}");
    }
    check_text(&text);
}

fn opt(u: &mut Unstructured) -> Result<Option<String>> {
    Ok(if u.arbitrary()? {
        Some(string(u, HEADER_TEXT)?)
    } else {
        None
    })
}

fn snap(u: &mut Unstructured) -> Result<SnapFile> {
    let header = SnapHeader {
        source: opt(u)?,
        assertion_line: Option::<usize>::arbitrary(u)?,
        description: opt(u)?,
        expression: opt(u)?,
        info: (0..u.int_in_range(0usize..=3)?)
            .map(|_| {
                Ok((
                    string(u, &["baseline", "environment", "a b"])?,
                    string(u, HEADER_TEXT)?,
                ))
            })
            .collect::<Result<_>>()?,
    };
    let contents = if u.arbitrary()? {
        let doc = json(u, 4, SCALARS, KEYS)?;
        contents_of(
            &serde_json::json!({"status": 200, "content_type": "application/json", "body": doc}),
        )
    } else {
        string(u, HEADER_TEXT)?
    };
    Ok(SnapFile { header, contents })
}
