//! Report writers. Every format implements [`Reporter`] over `io::Write`, so
//! a format is tested by writing into a `Vec<u8>` and the binary decides
//! where bytes go. Nothing here prints or exits.

pub mod drift;
pub mod model;
pub mod terminal;

use std::io::{self, Write};

pub use model::{ErrorReport, RunReport, ScenarioReport, Status, StepReport, StepStatus, Summary};

/// One report format.
pub trait Reporter {
    /// The file name the format is written to inside `--report-dir`.
    fn file_name(&self) -> &'static str;
    fn write(&self, report: &RunReport, out: &mut dyn Write) -> io::Result<()>;
}

/// `report.json`: the run, whole.
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

/// Every format, in the order they are written.
pub fn all() -> Vec<Box<dyn Reporter>> {
    vec![Box::new(Json)]
}
