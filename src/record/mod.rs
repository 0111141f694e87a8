//! What happens to a finished run: it is recorded in the history (behind
//! the [`history::History`] trait; [`sqlite`] is the embedded
//! implementation, [`postgres`] the shared one, [`state::open`] picks),
//! folded into the alert states ([`alert`]: pure), and the
//! transitions are sent to Sentry ([`sentry`]); silences are made in
//! [`silences`]. [`recording::Recording`] is
//! the one path that does all of it, for `serve`'s scheduler and for
//! `run --state`/`--alert` alike.

pub mod alert;
pub mod history;
mod pg_link;
pub mod postgres;
pub mod recording;
pub mod sentry;
pub mod silences;
pub mod sqlite;
pub mod state;
#[cfg(test)]
mod suite;
pub mod uptime;
#[cfg(test)]
mod uptime_suite;
