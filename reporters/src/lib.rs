//! Report writers. Every format implements [`Reporter`] over `io::Write`, so
//! a format is tested by writing into a `Vec<u8>` and the binary decides
//! where bytes go. Writers wrap each other ([`Masked`] rewrites what the
//! inner writer sees), as cucumber-rs's writers do. Nothing here prints or
//! exits.
//!
//! A run is written as `report.json` ([`Json`]), `junit.xml` ([`JUnit`]),
//! `cucumber.json` ([`CucumberJson`]), `messages.ndjson` ([`Messages`]),
//! `report.md` ([`Markdown`]) and `report.html` ([`Html`]); a gate's verdict
//! as `readiness.json`, `readiness.md` and `readiness.html`
//! ([`readiness::all`]).

pub mod annotations;
pub mod cucumber_json;
mod describe;
pub mod drift;
pub mod escape;
pub mod html;
pub mod junit;
pub mod markdown;
pub mod mask;
pub mod messages;
pub mod model;
pub mod readiness;
pub mod terminal;

use std::collections::BTreeMap;
use std::io::{self, Write};

pub use cucumber_json::CucumberJson;
pub use html::Html;
pub use junit::JUnit;
pub use markdown::Markdown;
pub use mask::{Mask, Masked};
pub use messages::Messages;
pub use model::{ErrorReport, RunReport, ScenarioReport, Status, StepReport, StepStatus, Summary};

/// One report format of `T` (a run by default, or a [`readiness::Readiness`]).
pub trait Reporter<T: ?Sized = RunReport> {
    /// The file name the format is written to inside `--report-dir`.
    fn file_name(&self) -> &'static str;
    fn write(&self, report: &T, out: &mut dyn Write) -> io::Result<()>;
}

impl<T: ?Sized, R: Reporter<T> + ?Sized> Reporter<T> for Box<R> {
    fn file_name(&self) -> &'static str {
        (**self).file_name()
    }

    fn write(&self, report: &T, out: &mut dyn Write) -> io::Result<()> {
        (**self).write(report, out)
    }
}

/// `report.json`: the run, whole. Its JSON Schema is
/// `reporters/schema/report.schema.json` ([`REPORT_SCHEMA`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Json;

impl Reporter for Json {
    fn file_name(&self) -> &'static str {
        "report.json"
    }

    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        out.write_all(b"\n")
    }
}

/// The JSON Schema (draft 2020-12) `report.json` conforms to.
pub const REPORT_SCHEMA: &str = include_str!("../schema/report.schema.json");

/// The text of the feature files a run read, by the path reports name them
/// with (`ScenarioReport::feature_file`). Formats that can embed the source
/// (Cucumber Messages) do when they have it.
pub type Sources = BTreeMap<String, String>;

/// Every run format, in the order they are written.
pub fn all() -> Vec<Box<dyn Reporter>> {
    all_with_sources(Sources::new())
}

/// Every run format; those that embed feature sources get `sources`.
pub fn all_with_sources(sources: Sources) -> Vec<Box<dyn Reporter>> {
    vec![
        Box::new(Json),
        Box::new(JUnit),
        Box::new(CucumberJson),
        Box::new(Messages::with_sources(sources)),
        Box::new(Markdown),
        Box::new(Html),
    ]
}
