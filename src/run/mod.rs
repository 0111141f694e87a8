//! A run: [`select`] the scenarios that apply to an environment, execute
//! them with cucumber against the probes ([`execute`]), and [`collect`] a
//! `RunReport`. [`options`] holds what a run is asked and why it may fail.

pub mod collect;
pub mod execute;
pub mod options;
pub mod select;

pub use execute::{backoff, new_run_id, run};
pub use options::{HARNESS_VERSION, Progress, ProgressFn, RunError, RunOptions};
pub use select::{Selection, effective_env, parse_tags, select};

#[cfg(test)]
mod tests {
    use reporters::Status;

    use super::collect::classify;

    #[test]
    fn claims_are_held_to_their_status() {
        assert_eq!(classify(Some(true), 1, Some("implemented")), Status::Passed);
        assert_eq!(classify(Some(false), 1, Some("tested")), Status::Failed);
        assert_eq!(classify(Some(false), 1, Some("deferred")), Status::KnownGap);
        assert_eq!(
            classify(Some(true), 1, Some("future")),
            Status::ClaimOutdated
        );
        assert_eq!(classify(Some(true), 2, None), Status::Flaky);
        assert_eq!(classify(None, 1, None), Status::Skipped);
    }
}
