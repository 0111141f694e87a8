//! One file per file format. Each writes a model of `crate::model` into an
//! `io::Write`; most implement [`crate::format::reporter::Reporter`].

pub mod annotations;
pub mod cucumber_json;
pub mod drift;
pub mod gherkin_document;
pub mod har;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod messages;
pub mod readiness;
pub mod reporter;
