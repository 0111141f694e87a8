//! How commands answer: the documented exit codes, stdout that survives a
//! closed pipe, errors on stderr, the problems of a feature file, the
//! progress line, report files written atomically, GitHub annotations.

// The binary is the one place that prints: libraries return values.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::{IsTerminal as _, Write};
use std::path::Path;
use std::process::ExitCode;

use lucia_harness::input::config::Config;
use lucia_harness::input::features::{Problem, Suite};
use lucia_harness::run::{Progress, ProgressFn, RunError};
use reporters::RunReport;

use super::args::Globals;

pub const EXIT_OK: u8 = 0;
pub const EXIT_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub fn emit(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes).and_then(|()| out.flush());
}

/// `error: …` on stderr, exit 2.
pub fn error(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::from(EXIT_USAGE)
}

/// A warning on stderr.
pub fn warn(msg: impl std::fmt::Display) {
    eprintln!("warning: {msg}");
}

/// A note for the person at the terminal, on stderr.
pub fn note(msg: impl std::fmt::Display) {
    eprintln!("{msg}");
}

/// Every problem of the features, each with its file and line, exit 2.
/// `what` ends the count line ("nothing was run"); none: no count line.
pub fn problems(problems: &[Problem], what: Option<&str>) -> ExitCode {
    for p in problems {
        eprintln!("error: {p}");
    }
    if let Some(what) = what {
        eprintln!("{} problem(s); {what}", problems.len());
    }
    ExitCode::from(EXIT_USAGE)
}

/// Why a run could not start, as an exit code.
pub fn run_error(e: RunError, what: Option<&str>) -> ExitCode {
    match e {
        RunError::Features(p) => problems(&p, what),
        other => error(other),
    }
}

/// The config and the features, or the exit code saying why not.
pub fn load(g: &Globals) -> Result<(Config, Suite), ExitCode> {
    let config = Config::load(&g.config).map_err(error)?;
    let suite = Suite::load(&g.features).map_err(|p| problems(&p, None))?;
    Ok((config, suite))
}

/// A progress line on a terminal's stderr, cleared at the end.
pub fn progress_printer() -> Option<ProgressFn> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    Some(Box::new(|p: &Progress| {
        let mut err = std::io::stderr().lock();
        let mut last = p.last.clone();
        if last.chars().count() > 60 {
            last = last.chars().take(59).collect::<String>() + "…";
        }
        let _ = write!(
            err,
            "\r\x1b[2K[{:>4}/{}] ✓ {} ✗ {}  {last}",
            p.done, p.total, p.passed, p.failed
        );
        if p.done == p.total {
            let _ = write!(err, "\r\x1b[2K");
        }
        let _ = err.flush();
    }))
}

/// Writes every format of `reporters` for `value` into `dir`, each file
/// written then renamed: a reader never sees half a report.
pub fn write_all<T: ?Sized>(
    dir: &Path,
    reporters: &[Box<dyn reporters::Reporter<T>>],
    value: &T,
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for r in reporters {
        let path = dir.join(r.file_name());
        let mut bytes = Vec::new();
        r.write(value, &mut bytes)
            .map_err(|e| format!("cannot render {}: {e}", path.display()))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, &bytes)
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

/// The feature files the report names, for formats that embed them.
fn sources(report: &RunReport) -> reporters::Sources {
    let mut sources = reporters::Sources::new();
    for s in &report.scenarios {
        if !sources.contains_key(&s.feature_file)
            && let Ok(text) = std::fs::read_to_string(&s.feature_file)
        {
            sources.insert(s.feature_file.clone(), text);
        }
    }
    sources
}

/// Every run format into `dir`.
pub fn write_reports(dir: &Path, report: &RunReport) -> Result<(), String> {
    write_all(dir, &reporters::all_with_sources(sources(report)), report)
}

/// The run's summary on stdout, its reports, the GitHub annotations; exit 1
/// when it failed.
pub fn finish(
    g: &Globals,
    list_all: bool,
    report_dir: Option<&Path>,
    report: &RunReport,
) -> ExitCode {
    let style = reporters::terminal::Style {
        color: g.color(),
        list_all: list_all || report.scenarios.len() <= 40,
    };
    let mut buf = Vec::new();
    let _ = reporters::terminal::summary::write_summary(report, style, &mut buf);
    emit(&buf);
    if let Some(dir) = report_dir
        && let Err(e) = write_reports(dir, report)
    {
        return error(e);
    }
    github(report);
    ExitCode::from(if report.passed() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// On GitHub Actions: an annotation per failure, and the Markdown report
/// appended to the job summary. Neither may fail the run.
fn github(report: &RunReport) {
    use reporters::Reporter as _;
    if std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        let mut lines = reporters::format::annotations::github(report).join("\n");
        if !lines.is_empty() {
            lines.push('\n');
            emit(lines.as_bytes());
        }
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let mut md = Vec::new();
        let _ = reporters::Markdown.write(report, &mut md);
        let appended = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
            .and_then(|mut f| f.write_all(&md));
        if let Err(e) = appended {
            warn(format!(
                "cannot append to GITHUB_STEP_SUMMARY ({}): {e}",
                Path::new(&path).display()
            ));
        }
    }
}
