//! lucia-harness: tells the truth about Lucia's live environments.
//!
//! The library half of the binary, one folder per stage of the pipeline
//! (`ARCHITECTURE.md` draws it):
//!
//! - [`input`]: `environments.toml` and the features: load, lint, check;
//! - [`run`]: select the scenarios of an environment, execute them with
//!   cucumber against the probes, collect a `RunReport`;
//! - [`baseline`]: observe responses, capture, diff and review baselines,
//!   and the snapshot store on disk;
//! - [`gate`]: the promotion rule's seven checks over the evidence;
//! - [`record`]: a finished run into the history (behind a trait), alert
//!   transitions and Sentry;
//! - [`serve`]: the scheduler, the HTTP API, metrics and the dashboard;
//! - [`demo`]: what the demo sets up around the sandbox.
//!
//! A folder imports only the folders listed before it (and the `probes`
//! and `reporters` crates). Nothing here prints or exits: the binary's
//! `cli` does.

pub mod adapt;
pub mod baseline;
pub mod demo;
pub mod gate;
pub mod input;
pub mod record;
pub mod run;
pub mod serve;
