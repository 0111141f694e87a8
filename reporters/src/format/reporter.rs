//! The one interface every format implements: a file name and a writer of
//! the value into any `io::Write`, so a format is tested by writing into a
//! `Vec<u8>` and the binary decides where the bytes go.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::model::run::RunReport;

/// One report format of `T` (a run by default, or a [`crate::model::readiness::Readiness`]).
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

/// The text of the feature files a run read, by the path reports name them
/// with (`ScenarioReport::feature_file`). Formats that can embed the source
/// (Cucumber Messages) do when they have it.
pub type Sources = BTreeMap<String, String>;
