//! `lucia-harness demo`: the built-in sandbox on a free loopback port, a
//! throwaway ledger database, the sandbox's own baseline, then every
//! feature against `local`. The README's first command.

use std::process::ExitCode;

use lucia_harness::demo::baseline::sandbox_baseline;
use lucia_harness::demo::database::DemoDatabase;
use lucia_harness::run::{self, RunOptions};

use super::args::{Globals, RunArgs};
use super::output::{error, finish, load, note, progress_printer, run_error, warn};

pub async fn demo(g: &Globals, args: &RunArgs) -> ExitCode {
    let sb = match sandbox::start("127.0.0.1:0", sandbox::SandboxConfig::default()).await {
        Ok(s) => s,
        Err(e) => return error(format!("cannot start the sandbox: {e}")),
    };
    note(format!(
        "sandbox started on {} — running every feature against `local`",
        sb.origin()
    ));
    let (config, suite) = match load(g) {
        Ok(x) => x,
        Err(code) => return code,
    };
    // The sandbox's own credentials and the demo's ledger database: the
    // demo never reads the operator's secrets.
    let database = DemoDatabase::prepare().await;
    note(database.describe());
    let lookup = |name: &str| {
        sandbox::Credentials::default_for(name).or_else(|| {
            (name == "LUCIA_CORE_DATABASE_URL")
                .then(|| database.dsn().map(str::to_owned))
                .flatten()
        })
    };
    // The sandbox's own baseline, captured into a temporary directory: the
    // real v0.1.3.6 baseline is Eval Labs' capture from dev, never this one.
    let origin = sb.origin();
    let (_scratch, captured, store, privacy) =
        match sandbox_baseline(&config, &suite, &origin, &g.snapshots, &lookup).await {
            Ok(x) => x,
            Err(e) => return error(e),
        };
    note(format!(
        "captured the sandbox's own baseline ({} responses, {} not captured) into a temporary directory; \
the baseline steps below compare with it (the real baseline: `lucia-harness baseline capture --env dev`)",
        captured.entries.len() - captured.failed(),
        captured.failed()
    ));
    let opts = RunOptions {
        baselines: Some(store),
        privacy: Some(privacy),
        ..args.options("local", Some(origin))
    };
    let report = run::run(&config, &suite, &opts, &lookup, progress_printer()).await;
    if let Err(e) = database.drop_created().await {
        warn(e);
    }
    let report = match report {
        Ok(r) => r,
        Err(e) => return run_error(e, None),
    };
    sb.stop();
    finish(g, true, args.report_dir.as_deref(), &report)
}
