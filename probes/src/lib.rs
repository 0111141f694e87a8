//! The step library of lucia-harness and the probes it drives.
//!
//! The core (JSON paths, matching, templates, redaction, normalising,
//! structural diff, the `.snap` format) takes values and
//! returns values: no sockets, no printing. The World and the step functions
//! drive the probes; the binary decides what to print and how to exit.

pub mod baseline;
pub mod core;
pub mod csp;
pub mod diff;
pub mod env;
pub mod error;
pub mod guard;
pub mod http;
pub mod jsonpath;
pub mod matcher;
pub mod normalise;
pub mod postgres;
pub mod provider_steps;
pub mod redact;
pub mod signing;
pub mod snapshot;
pub mod steps;
pub mod suggest;
pub mod template;
pub mod tls;
pub mod world;

pub use baseline::{Baselines, Observed};
pub use cucumber;
pub use env::{EnvStatus, Environment, Secret};
pub use error::{ErrorKind, StepError};
pub use world::{Exchange, RunContext, World};
