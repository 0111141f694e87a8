//! The probes: what touches the network. An HTTP client with deadlines and
//! a body cap ([`http`]) that times each request's phases ([`phases`]), DNS lookups ([`dns`]), a TLS handshake and
//! certificate reader ([`tls`]),
//! read-only Postgres catalog queries ([`postgres`]), and the guards that
//! keep a run from harming or misreading an environment ([`guard`]: a rate
//! limit and a per-origin circuit). They take and return `core` values.

pub mod dns;
pub mod guard;
pub mod http;
pub mod phases;
pub mod postgres;
pub mod tls;
