//! `lucia-harness check` (the config and every feature parsed, every step
//! defined; no network) and `lucia-harness steps` (the step vocabulary).

use std::process::ExitCode;

use super::args::Globals;
use super::output::{EXIT_OK, emit, load, problems};

pub fn check(g: &Globals) -> ExitCode {
    let (config, suite) = match load(g) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let found = suite.check(&config);
    if !found.is_empty() {
        return problems(&found, Some("nothing was run"));
    }
    emit(
        format!(
            "ok: {} environments, {} features, {} scenarios, {} steps, every step defined\n",
            config.environments.len(),
            suite.features.len(),
            suite.scenarios().count(),
            suite.step_count()
        )
        .as_bytes(),
    );
    ExitCode::from(EXIT_OK)
}

pub fn steps() -> ExitCode {
    let mut out = String::new();
    for d in probes::steps::vocabulary() {
        let kw = probes::steps::keyword(d.ty);
        let block = match d.block {
            probes::steps::Block::None => "",
            probes::steps::Block::JsonBody => "   + \"\"\" JSON body \"\"\"",
            probes::steps::Block::JsonExpectation => "   + \"\"\" JSON with #markers \"\"\"",
            probes::steps::Block::Table => "   + | name | value | table",
        };
        out.push_str(&format!("{kw:<5} {}{block}\n", d.template));
    }
    out.push_str(
        "\n${NAME}: a secret of the environment (environments.toml [environments.<env>.secrets]); never printed.\n\
{{expected.KEY}}, {{run_id}}, {{environment}}, {{uuid}}, {{now}}, {{remembered.NAME}}: values.\n\
Markers: #string #number #boolean #array #object #null #notnull #present #notpresent #ignore #uuid #iso8601 #regex RE #[N] ##optional\n",
    );
    emit(out.as_bytes());
    ExitCode::from(EXIT_OK)
}
