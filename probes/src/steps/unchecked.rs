//! A claim written down before the harness can check it: the scenario is
//! reported as unchecked, not passed.

use cucumber::step::Context;

use super::def::arg;
use crate::core::error::{ErrorKind, StepError, StepResult};
use crate::world::World;

/// Then the claim cannot be checked yet: "reason"
pub(crate) async fn unchecked(_w: &mut World, ctx: &Context) -> StepResult {
    Err(StepError::new(
        ErrorKind::Unchecked,
        format!("cannot be checked yet: {}", arg(ctx, 1)),
    ))
}
