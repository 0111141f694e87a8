//! The pure core: values in, values out. No tokio, no sockets, no printing,
//! no cucumber; nothing here imports `probe`, `world` or `steps`.
//!
//! Errors ([`error`]) and the environment as the steps see it ([`env`]);
//! JSON paths ([`jsonpath`]) and the `#`-marker matcher ([`matcher`]);
//! interpolation of step arguments ([`template`]); scrubbing secrets and
//! personal data ([`redact`]) and normalising responses ([`normalise`]);
//! the structural diff ([`diff`]) and the `.snap` format ([`snapshot`]);
//! provider signatures ([`signing`]), Content-Security-Policy ([`csp`]),
//! "did you mean" distances ([`suggest`]), durations ([`duration`]) and
//! where a request's time went ([`timings`]) and the trace context every
//! request carries ([`trace`]).

pub mod csp;
pub mod diff;
pub mod duration;
pub mod env;
pub mod error;
pub mod jsonpath;
pub mod matcher;
pub mod normalise;
pub mod redact;
pub mod signing;
pub mod snapshot;
pub mod suggest;
pub mod template;
pub mod timings;
pub mod trace;
