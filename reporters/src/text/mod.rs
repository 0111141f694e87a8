//! Text that several renderings share: escaping for each format, a
//! scenario's outcome in words, a baseline comparison in words.

pub mod describe;
pub mod drift;
pub mod escape;
