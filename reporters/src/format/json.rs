//! `report.json`: the run, whole. Its JSON Schema is
//! `reporters/schema/report.schema.json` ([`crate::REPORT_SCHEMA`]).

use std::io::{self, Write};

use crate::format::reporter::Reporter;
use crate::model::run::RunReport;

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
