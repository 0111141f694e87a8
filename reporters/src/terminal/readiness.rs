//! The gate's verdict on the terminal: `Promotion of … from … to …: VERDICT`,
//! then one line per check with its status and what was found.

use std::io::{self, Write};

use super::Paint;
use crate::model::readiness::{CheckStatus, Readiness, ReadinessVerdict};

/// The verdict, then each check: status, id, detail.
pub fn write_readiness(r: &Readiness, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint(color);
    let code = match r.verdict {
        ReadinessVerdict::Ready => "1;32",
        ReadinessVerdict::NotReady => "1;31",
        ReadinessVerdict::Inconclusive => "1;33",
    };
    writeln!(
        out,
        "Promotion of {} from {} to {}: {}\n",
        r.version,
        r.from,
        r.to,
        p.wrap(code, r.verdict.label())
    )?;
    for c in &r.checks {
        let status = match c.status {
            CheckStatus::Pass => p.wrap("32", "pass   "),
            CheckStatus::Fail => p.wrap("31", "FAIL   "),
            CheckStatus::Warn => p.wrap("33", "warn   "),
            CheckStatus::Unknown => p.wrap("33", "unknown"),
        };
        writeln!(out, "  {status} {:<18} {}", c.id.as_str(), c.detail)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::readiness::{Check, CheckId};
    use chrono::{DateTime, Utc};

    fn render(r: &Readiness, color: bool) -> String {
        let mut buf = Vec::new();
        write_readiness(r, color, &mut buf).expect("render");
        String::from_utf8(buf).expect("utf8")
    }

    #[test]
    fn the_verdict_then_one_line_per_check() {
        let checks = vec![
            Check::new(CheckId::SourceVersion, CheckStatus::Pass, "v1 runs"),
            Check::new(CheckId::Claims, CheckStatus::Fail, "1 claim violated"),
        ];
        let r = Readiness::new(
            "dev",
            "prod",
            "v1",
            checks,
            DateTime::<Utc>::UNIX_EPOCH,
            "t",
        );
        assert_eq!(
            render(&r, false),
            "Promotion of v1 from dev to prod: NOT READY\n\n  \
             pass    source-version     v1 runs\n  \
             FAIL    claims             1 claim violated\n"
        );
        let colored = render(&r, true);
        assert!(colored.contains("\x1b[1;31mNOT READY\x1b[0m"), "{colored}");
        assert!(colored.contains("\x1b[31mFAIL   \x1b[0m"), "{colored}");
    }
}
