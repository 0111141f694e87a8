//! A run: [`select`] the scenarios that apply to an environment, execute
//! them with cucumber against the probes ([`execute`]), and [`collect`] a
//! `RunReport`. [`options`] holds what a run is asked and why it may fail.

pub mod collect;
mod evidence;
pub mod execute;
pub mod options;
pub mod select;

pub use execute::{backoff, new_run_id, run};
pub use options::{HARNESS_VERSION, Progress, ProgressFn, RunError, RunOptions, Shard};
pub use select::{Selection, effective_env, parse_tags, select};
