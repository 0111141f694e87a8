//! What the reports say, as data: the run and its scenarios (`run`), the
//! status each scenario is reported with (`status`), the Canon's claim and
//! the one rule that holds a scenario to it (`claim`), a baseline
//! comparison (`drift`), a gate's verdict (`readiness`), the shards of a
//! run joined (`merge`). The formats and
//! the terminal only render these; nothing here writes.

pub mod claim;
pub mod drift;
pub mod merge;
pub mod readiness;
pub mod run;
pub mod status;
