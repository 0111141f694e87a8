//! What the reports say, as data: the run and its scenarios, the Canon's
//! claims and the one rule that holds a scenario to its claim, a baseline
//! comparison, a gate's verdict. The formats and the terminal only render
//! these; nothing here writes.

pub mod drift;
pub mod readiness;
pub mod run;
