//! Report writers of lucia-harness. Every format implements [`Reporter`]
//! over `io::Write`, so a format is tested by writing into a `Vec<u8>` and
//! the binary decides where bytes go. Writers wrap each other ([`Masked`]
//! rewrites what the inner writer sees), as cucumber-rs's writers do.
//! Nothing here prints or exits.
//!
//! What each folder owns:
//! - `model/`: the data every rendering reads — the run and its scenarios
//!   (`model::run`), the Canon's claim and the one rule that holds a
//!   scenario to it (`model::claim`), a baseline comparison
//!   (`model::drift`), a gate's verdict (`model::readiness`).
//! - `format/`: one file per file format. A run is written as
//!   `report.json` ([`Json`]), `junit.xml` ([`JUnit`]), `cucumber.json`
//!   ([`CucumberJson`]), `messages.ndjson` ([`Messages`]), `report.md`
//!   ([`Markdown`]) and `report.html` ([`Html`]), and as GitHub annotations;
//!   a gate's verdict as `readiness.json`, `readiness.md` and
//!   `readiness.html` ([`format::readiness::all`]); a baseline comparison
//!   as Markdown or JSON.
//! - `terminal/`: what a person reads on the terminal, drawn with the one
//!   `Paint`.
//! - `text/`: what several renderings share — escaping, and outcomes told
//!   in words.
//! - `mask.rs`: [`Masked`], a writer over any [`Reporter`] that hides what
//!   changes from run to run.

pub mod format;
pub mod mask;
pub mod model;
pub mod terminal;
pub mod text;

pub use format::cucumber_json::CucumberJson;
pub use format::har::Har;
pub use format::html::Html;
pub use format::json::Json;
pub use format::junit::JUnit;
pub use format::markdown::Markdown;
pub use format::messages::Messages;
pub use format::reporter::{Reporter, Sources};
pub use mask::{Mask, Masked};
pub use model::claim::{Claim, ClaimReport, ClaimVerdict, held_to_budget, reported_status};
pub use model::run::{
    ErrorReport, ExchangeEvidence, HarnessStats, HttpExchangeReport, RunReport, ScenarioReport,
    StepReport, StepStatus, Summary, Timings,
};
pub use model::status::Status;

/// The JSON Schema (draft 2020-12) `report.json` conforms to.
pub const REPORT_SCHEMA: &str = include_str!("../schema/report.schema.json");

/// Every run format, in the order they are written.
pub fn all() -> Vec<Box<dyn Reporter>> {
    all_with_sources(Sources::new())
}

/// Every run format; those that embed feature sources get `sources`.
pub fn all_with_sources(sources: Sources) -> Vec<Box<dyn Reporter>> {
    vec![
        Box::new(Json),
        Box::new(JUnit),
        Box::new(CucumberJson::with_sources(sources.clone())),
        Box::new(Messages::with_sources(sources)),
        Box::new(Markdown),
        Box::new(Html),
        Box::new(Har),
    ]
}
