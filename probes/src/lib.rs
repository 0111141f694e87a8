//! The step library of lucia-harness and the probes it drives.
//!
//! The crate is a pipeline, each folder importing only those before it:
//!
//! - [`core`]: pure. JSON paths, matching, templates, redaction,
//!   normalising, the structural diff, the `.snap` format, durations. Values
//!   in, values out: no tokio, no sockets, no printing, no cucumber.
//! - [`probe`]: I/O. The HTTP, TLS and Postgres probes and the guards (rate
//!   limit, circuit) around them. Imports `core`.
//! - [`world`]: the cucumber World of a scenario, what a run shares
//!   ([`RunContext`]), the evidence of each exchange ([`Exchange`]) and the
//!   seam to the baseline store ([`Baselines`]). Imports `core` and `probe`.
//! - [`steps`]: the step vocabulary and its functions, one file per family,
//!   and the registry that cucumber and `lucia-harness check` read. Imports
//!   all of the above.
//!
//! The binary decides what to print and how to exit.

pub mod core;
pub mod probe;
pub mod steps;
pub mod world;

pub use crate::core::env::{EnvStatus, Environment, Secret};
pub use crate::core::error::{ErrorKind, StepError};
pub use cucumber;
pub use world::{Baselines, EVIDENCE_BODY_LIMIT, Evidence, Exchange, Observed, RunContext, World};
