//! The Postgres access boundary: connect to a database the environment
//! names, then check row level security and read policies.

use std::sync::Arc;
use std::time::Instant;

use cucumber::step::Context;

use super::def::{arg, record};
use crate::core::error::{StepError, StepResult};
use crate::world::World;

/// Given the Postgres database "name"
pub(crate) async fn database(w: &mut World, ctx: &Context) -> StepResult {
    let name = arg(ctx, 1);
    let run = w.ctx()?;
    let env = &run.environment;
    let db = env.databases.get(name).ok_or_else(|| {
        StepError::config(format!(
            "environment '{}' names no database \"{name}\" ([environments.{}.databases])",
            env.name, env.name
        ))
    })?;
    let dsn = db.dsn.as_deref().ok_or_else(|| {
        StepError::config(format!(
            "database \"{name}\": the environment variable {} is not set",
            db.env_var
        ))
    })?;
    let timeout = env.request_timeout.min(w.time_left());
    let started = Instant::now();
    let result = match crate::probe::postgres::forbidden_host(dsn, &env.forbidden_hosts) {
        Some(host) => Err(StepError::config(format!(
            "database \"{name}\" is on {host}, a forbidden host (environments.toml forbidden_hosts): it is never contacted"
        ))),
        None => {
            crate::probe::postgres::Db::connect(name, dsn, env.extra_ca_pem.as_deref(), timeout)
                .await
        }
    };
    record(
        w,
        name,
        "CONNECT",
        format!("postgres:{name}"),
        None,
        started,
        result.as_ref().err().map(|e| e.kind),
    );
    w.db = Some(Arc::new(result?));
    Ok(())
}

fn db(w: &World) -> Result<crate::probe::postgres::SharedDb, StepError> {
    w.db.clone().ok_or_else(|| {
        StepError::config("no database selected: start with `Given the Postgres database \"…\"`")
    })
}

/// Then row level security is enabled on table "t"
pub(crate) async fn rls_enabled(w: &mut World, ctx: &Context) -> StepResult {
    let table = arg(ctx, 1);
    let db = db(w)?;
    let (enabled, _forced) = db.row_security(table).await?;
    if enabled {
        Ok(())
    } else {
        Err(StepError::assertion(format!(
            "database \"{}\": row level security is NOT enabled on {table}: every role with a SELECT grant reads every row",
            db.name
        )))
    }
}

/// Then no policy on table "t" lets "role" read
pub(crate) async fn no_read_policy(w: &mut World, ctx: &Context) -> StepResult {
    let (table, role) = (arg(ctx, 1), arg(ctx, 2));
    let db = db(w)?;
    let policies = db.read_policies(table, role).await?;
    if !policies.is_empty() {
        let list = policies
            .iter()
            .map(|(n, q)| format!("\"{n}\" (USING {q})"))
            .collect::<Vec<_>>()
            .join(", ");
        return Err(StepError::assertion(format!(
            "database \"{}\": {table} has read policies for {role}: {list}",
            db.name
        )));
    }
    let (rls, _) = db.row_security(table).await?;
    if !rls && db.can_select(table, role).await? {
        return Err(StepError::assertion(format!(
            "database \"{}\": {role} may SELECT from {table} and row level security is off, so {role} reads every row",
            db.name
        )));
    }
    Ok(())
}
