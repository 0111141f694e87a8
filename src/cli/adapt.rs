//! `lucia-harness adapt`: proposes the feature edits a live environment's
//! real contracts ask for (renamed keys, moved paths, renamed headers),
//! as a reviewed diff; `--write` makes them, then runs again until nothing
//! more is proposed, and says what still fails and why.

use std::fmt::Write as _;
use std::process::ExitCode;

use lucia_harness::adapt::{self, Adaptation};
use lucia_harness::run;

use super::args::{Globals, RunArgs};
use super::output::{EXIT_FAILED, EXIT_OK, emit, error, load, note, progress_printer, run_error};

/// At most this many write-and-run rounds (a step that fails only once the
/// one before it passes is seen the round after).
const ROUNDS: usize = 5;

// `adapt`'s flags.
#[derive(Debug, clap::Args)]
pub struct AdaptCommand {
    /// The environment whose answers the features should follow (e.g. dev).
    #[arg(long, short = 'e', value_name = "NAME")]
    pub env: String,
    /// Move every surface of the environment to this origin (a sandbox:
    /// `lucia-harness sandbox --dialect renamed`).
    #[arg(long, value_name = "URL")]
    pub origin: Option<String>,
    /// Make the edits in the feature files (formatting, comments and tags kept), then run
    /// again until nothing more is proposed. Without it nothing is written.
    #[arg(long)]
    pub write: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

fn remaining(a: &Adaptation, out: &mut String) {
    for r in &a.remaining {
        let _ = writeln!(
            out,
            "  still failing: {} ({}): {}",
            r.scenario, r.location, r.why
        );
    }
}

pub async fn adapt(g: &Globals, cmd: &AdaptCommand) -> ExitCode {
    let mut edits_made = 0;
    let mut adapted = std::collections::BTreeSet::new();
    let mut earlier: Option<reporters::RunReport> = None;
    for round in 1..=ROUNDS {
        let (config, suite) = match load(g) {
            Ok(x) => x,
            Err(code) => return code,
        };
        let mut opts = cmd.run.options(&cmd.env, cmd.origin.clone());
        // Every exchange is kept, redacted, for the rules to read.
        opts.evidence = true;
        match lucia_harness::baseline::for_run(&g.snapshots, &config, &opts.environment) {
            Ok((store, privacy)) => {
                opts.baselines = Some(store);
                opts.privacy = Some(privacy);
            }
            Err(e) => return error(e),
        }
        let expected = match config.environment(&cmd.env) {
            Ok(e) => e.expected.clone(),
            Err(e) => return error(e),
        };
        let lookup = |name: &str| std::env::var(name).ok();
        let report = match run::run(&config, &suite, &opts, &lookup, progress_printer()).await {
            Ok(r) => r,
            Err(e) => return run_error(e, Some("nothing was run")),
        };
        let a = adapt::propose(&report, &expected, &read, earlier.as_ref());
        // A value that may be volatile needs a second look: run again.
        if a.volatile_pending > 0 && earlier.is_none() {
            note(format!(
                "{} value(s) may be volatile: running again to see whether they change",
                a.volatile_pending
            ));
            earlier = Some(report);
            continue;
        }
        earlier = Some(report.clone());
        let mut out = String::new();
        if round == 1 || !a.edits.is_empty() {
            out.push_str(&adapt::render(&a, &read));
        }
        if !cmd.write || a.edits.is_empty() {
            let passed = report.scenarios.len() - a.failing;
            let _ = writeln!(
                out,
                "adapt: {} of {} scenario(s) pass · {}",
                passed,
                report.scenarios.len(),
                adapt::summary(&a)
            );
            if cmd.write {
                let _ = writeln!(
                    out,
                    "adapt: wrote {edits_made} edit(s) in {} scenario(s) over {} round(s)",
                    adapted.len(),
                    round - 1
                );
            }
            remaining(&a, &mut out);
            emit(out.as_bytes());
            if !cmd.write && !a.edits.is_empty() {
                note("nothing written: review the diff above, then run again with --write");
            }
            return ExitCode::from(if report.passed() {
                EXIT_OK
            } else {
                EXIT_FAILED
            });
        }
        for (file, edits) in a.edits.iter().fold(
            std::collections::BTreeMap::<&str, Vec<&adapt::Edit>>::new(),
            |mut m, e| {
                m.entry(e.file.as_str()).or_default().push(e);
                m
            },
        ) {
            let Some(source) = read(file) else {
                return error(format!("{file}: cannot be read again to write the edits"));
            };
            let tmp = format!("{file}.adapt.tmp");
            if let Err(e) = std::fs::write(&tmp, adapt::edited(&source, &edits))
                .and_then(|()| std::fs::rename(&tmp, file))
            {
                return error(format!("{file}: {e}"));
            }
            edits_made += edits.iter().map(|e| e.rules.len()).sum::<usize>();
            adapted.extend(edits.iter().map(|e| e.scenario.clone()));
        }
        emit(out.as_bytes());
        note(format!(
            "round {round}: wrote {} edit(s); running again",
            a.edits.len()
        ));
    }
    note(format!(
        "adapt: still proposing edits after {ROUNDS} rounds; review the features and run again"
    ));
    ExitCode::from(EXIT_FAILED)
}
