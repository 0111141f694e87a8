//! lucia-harness: tells the truth about Lucia's live environments.
//!
//! The library half of the binary: configuration, feature loading and
//! checking, runs, baselines. `main.rs` parses the command line, prints and exits.

pub mod baseline;
pub mod config;
pub mod features;
pub mod gate;
pub mod run;
