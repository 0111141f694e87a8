//! The promotion gate: may this version go from the source environment to
//! the target? [`gather`] collects the evidence, [`checks`] evaluates the
//! seven checks of the seed's promotion rule over it, [`evidence`] is what
//! they read.

pub mod checks;
pub mod evidence;
pub mod gather;

pub use checks::evaluate;
pub use evidence::{BaselineEvidence, FlakyPolicy, GateEvidence, baseline_evidence};
pub use gather::{GateOptions, GateOutcome, gate};
