//! The `lucia-harness` command line: parse, start the runtime, dispatch.
//! Every command lives in `cli/`; the library does the work and never
//! prints or exits.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::parse();
    let rt = if cli.threaded() {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    match rt {
        Ok(rt) => rt.block_on(cli::dispatch(cli)),
        Err(e) => cli::error(format!("cannot start the async runtime: {e}")),
    }
}
