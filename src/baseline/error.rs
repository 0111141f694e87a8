//! Why a baseline command could not do its job. Always exit 2.

use super::store::StoreError;
use crate::run::RunError;

/// Why a baseline command could not do its job. Always exit 2.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Run(#[from] RunError),
    #[error("{0}")]
    Usage(String),
}
