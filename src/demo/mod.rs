//! What `lucia-harness demo` sets up around the built-in sandbox: a
//! throwaway ledger database on the local PostgreSQL ([`database`]), so the
//! access-boundary scenarios run rather than skip, and the sandbox's own
//! baseline ([`baseline`]), so its baseline steps compare with something.

pub mod baseline;
pub mod database;
