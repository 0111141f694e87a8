//! lucia-harness: tells the truth about Lucia's live environments.
//!
//! The library half of the binary: configuration, feature loading and
//! checking, runs, baselines, the promotion gate, durable state, alerting
//! and serving. `main.rs` parses the command line, prints and exits.

pub mod alert;
pub mod baseline;
pub mod config;
pub mod demo_db;
pub mod features;
pub mod gate;
pub mod run;
pub mod serve;
pub mod state;
