//! The layout ARCHITECTURE.md describes, held against the code: no two
//! files of the workspace import each other (directly or through `super`),
//! and each crate's folders import only the folders below them in the
//! pipeline. Imports are read as text (`use` trees and `crate::…`/`super::…`
//! paths in code, tests left out) and resolved to the file of the deepest
//! module they name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::repo;

/// A crate's source root and its folders (or files) in pipeline order: one
/// may import those before it, never one after it.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "src",
        &[
            "input", "run", "baseline", "gate", "adapt", "record", "serve", "demo", "cli",
        ],
    ),
    ("probes/src", &["core", "probe", "world", "steps"]),
    ("reporters/src", &["model", "text", "format", "terminal"]),
];

const ROOTS: &[&str] = &["src", "probes/src", "reporters/src", "sandbox/src"];

/// The module path of a file under its crate root: `src/run/select.rs` → `run::select`.
fn module_of(root: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(root).expect("under its root");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The file of the deepest module `path` names (items after it are ignored).
fn file_of(root: &Path, path: &[String]) -> Option<PathBuf> {
    for n in (0..=path.len()).rev() {
        let dir: PathBuf = path[..n].iter().collect();
        let candidates = if n == 0 {
            vec![root.join("lib.rs"), root.join("main.rs")]
        } else {
            vec![
                root.join(&dir).with_extension("rs"),
                root.join(&dir).join("mod.rs"),
            ]
        };
        if let Some(f) = candidates.into_iter().find(|c| c.is_file()) {
            return Some(f);
        }
    }
    None
}

/// Code before the first `#[cfg(test)]`, without comments.
fn code(text: &str) -> String {
    let text = text.split("\n#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Expands a `use` tree (`a::{b, c::{d}}`) into paths.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![
            tree.split(" as ")
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned(),
        ];
    };
    let prefix = tree[..open].trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(expand)
        .map(|p| {
            if p == "self" {
                prefix.to_owned()
            } else {
                format!("{prefix}::{p}")
            }
        })
        .collect()
}

/// Every `crate::`/`super::`/`self::` path the file's code uses, as module
/// paths from the crate root.
fn imports(root: &Path, file: &Path) -> BTreeSet<PathBuf> {
    let text = code(&std::fs::read_to_string(file).expect("read"));
    let here = module_of(root, file);
    // A file's own module is `here`; `super` is its parent (for mod.rs and
    // lib.rs the module is the folder, so `super` is the folder's parent).
    let mut paths: Vec<String> = Vec::new();
    for stmt in text.split(';') {
        let s = stmt.trim();
        let s = s.strip_prefix("pub ").unwrap_or(s);
        let s = s
            .strip_prefix("pub(crate) ")
            .or_else(|| s.strip_prefix("pub(super) "))
            .unwrap_or(s);
        if let Some(tree) = s.strip_prefix("use ") {
            paths.extend(expand(tree));
        }
    }
    let inline =
        regex::Regex::new(r"\b(?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+").expect("regex");
    paths.extend(inline.find_iter(&text).map(|m| m.as_str().to_owned()));
    // `child::item` in code, where `mod child;` is declared here.
    let relative =
        regex::Regex::new(r"(?:^|[^:A-Za-z0-9_])([a-z_][a-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)+)")
            .expect("regex");
    paths.extend(relative.captures_iter(&text).map(|c| c[1].to_owned()));
    // `mod x;` here: `use x::…` names the child module x.
    let declared = regex::Regex::new(r"(?m)^\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+([a-z_0-9]+)\s*;")
        .expect("regex");
    let children: BTreeSet<String> = declared
        .captures_iter(&text)
        .map(|c| c[1].to_owned())
        .collect();
    let mut out = BTreeSet::new();
    for p in paths {
        let segs: Vec<&str> = p.split("::").map(str::trim).collect();
        let mut module: Vec<String> = match segs.first() {
            Some(&"crate") => Vec::new(),
            Some(&"super") => here[..here.len().saturating_sub(1)].to_vec(),
            Some(&"self") => here.clone(),
            Some(child) if children.contains(*child) => {
                let mut m = here.clone();
                m.push((*child).to_owned());
                m.extend(segs[1..].iter().map(|s| (*s).to_owned()));
                if let Some(f) = file_of(root, &m)
                    && f != file
                {
                    out.insert(f);
                }
                continue;
            }
            _ => continue,
        };
        let mut rest = &segs[1..];
        while let Some(&"super") = rest.first() {
            module.pop();
            rest = &rest[1..];
        }
        module.extend(rest.iter().map(|s| (*s).to_owned()));
        if let Some(f) = file_of(root, &module)
            && f != file
        {
            out.insert(f);
        }
    }
    out
}

type Graph = BTreeMap<PathBuf, BTreeSet<PathBuf>>;

fn graph() -> Graph {
    let repo = repo();
    let mut g = BTreeMap::new();
    for root in ROOTS {
        read_crate(&repo.join(root), &mut g);
    }
    g
}

fn read_crate(root: &Path, g: &mut Graph) {
    {
        let root = root.to_path_buf();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).expect("dir").flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    g.insert(p.clone(), imports(&root, &p));
                }
            }
        }
    }
}

/// Pairs of files that import each other.
fn circles(g: &Graph) -> Vec<String> {
    let mut circles = Vec::new();
    for (a, targets) in g {
        for b in targets {
            if a < b && g.get(b).is_some_and(|t| t.contains(a)) {
                circles.push(format!("{} <-> {}", rel(a), rel(b)));
            }
        }
    }
    circles
}

fn rel(p: &Path) -> String {
    p.strip_prefix(repo()).unwrap_or(p).display().to_string()
}

#[test]
fn no_two_files_import_each_other() {
    let g = graph();
    assert!(g.len() > 50, "the workspace's files are read: {}", g.len());
    let found = circles(&g);
    assert!(
        found.is_empty(),
        "files importing each other:\n{}",
        found.join("\n")
    );
}

#[test]
fn each_folder_imports_only_the_folders_below_it() {
    let g = graph();
    let repo = repo();
    let mut upward = Vec::new();
    for (root, layers) in LAYERS {
        let root = repo.join(root);
        for l in *layers {
            let dir = root.join(l);
            assert!(
                dir.is_dir() || dir.with_extension("rs").is_file(),
                "{} is a folder (or file) of the layout",
                rel(&dir)
            );
        }
        let layer = |f: &Path| {
            let first = f
                .strip_prefix(&root)
                .ok()?
                .iter()
                .next()?
                .to_string_lossy()
                .into_owned();
            layers.iter().position(|l| *l == first)
        };
        for (from, targets) in g.iter().filter(|(f, _)| f.starts_with(&root)) {
            let Some(a) = layer(from) else { continue };
            for to in targets {
                if let Some(b) = layer(to)
                    && b > a
                {
                    upward.push(format!("{} -> {}", rel(from), rel(to)));
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports that run back up the pipeline:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_import_reader_sees_a_circle_when_there_is_one() {
    // The check above must be able to fail: two files of a scratch crate
    // that import each other, one through a grouped `super` import.
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    std::fs::create_dir_all(root.join("a")).expect("dir");
    std::fs::write(root.join("lib.rs"), "pub mod a;\n").expect("write");
    std::fs::write(root.join("a/mod.rs"), "mod b;\nuse b::X;\npub struct Y;\n").expect("write");
    std::fs::write(
        root.join("a/b.rs"),
        "use super::{Y, c as _};\npub struct X;\n",
    )
    .expect("write");
    std::fs::write(root.join("a/c.rs"), "use crate::a::b::X;\n").expect("write");
    let b = imports(root, &root.join("a/b.rs"));
    assert!(b.contains(&root.join("a/mod.rs")), "{b:?}");
    let c = imports(root, &root.join("a/c.rs"));
    assert!(c.contains(&root.join("a/b.rs")), "{c:?}");
    let mut g = Graph::new();
    read_crate(root, &mut g);
    // a/mod.rs <-> a/b.rs (a child module and a grouped `super` import),
    // a/b.rs <-> a/c.rs (`super::c` one way, `crate::a::b` the other).
    assert_eq!(circles(&g).len(), 2, "{g:?}");
}
