//! What the tests share: running the built binary and the sandbox
//! ([`harness`], re-exported here), and serving with its log, readiness
//! waits and a Sentry envelope receiver ([`serve`]).

pub mod harness;
pub mod serve;

pub use harness::*;
