//! Baselines: what Eval Labs captures from an environment, reviews and
//! compares later environments and versions with. `lucia-harness baseline
//! capture | diff | approve | accept | reject | status`, and the store the
//! run-time step `Then the response matches the baseline "…"` compares with.
//!
//! - [`observe`]: what a baseline step does with a response (record or compare);
//! - [`plan`]: the scenarios with a baseline step, and one observed run of them;
//! - [`capture`], [`diff`], [`review`]: the commands;
//! - [`store`]: the snapshots on disk (imports nothing above it).

pub mod capture;
pub mod diff;
pub mod error;
pub mod observe;
pub mod plan;
pub mod review;
pub mod store;

pub use error::BaselineError;
pub use observe::{for_run, for_version};
pub use store::{Manifest, ReviewState, SnapshotStore, StoreError};
