//! Content-Security-Policy: does a policy let the browser connect to a host?
//! (The Canon: "Admin never talks directly to Supabase".)

/// Why a policy lets the browser reach the host, or `None` if it does not.
pub fn connect_allowed(policy: Option<&str>, host: &str) -> Option<String> {
    let Some(policy) = policy else {
        return Some(
            "there is no Content-Security-Policy: the browser may connect anywhere".to_owned(),
        );
    };
    let directives: Vec<(String, Vec<&str>)> = policy
        .split(';')
        .filter_map(|d| {
            let mut parts = d.split_whitespace();
            let name = parts.next()?.to_ascii_lowercase();
            Some((name, parts.collect()))
        })
        .collect();
    let find = |name: &str| directives.iter().find(|(n, _)| n == name);
    let (directive, sources) = match find("connect-src").or_else(|| find("default-src")) {
        Some((n, s)) => (n.as_str(), s),
        None => return Some(
            "the policy has neither connect-src nor default-src: the browser may connect anywhere"
                .to_owned(),
        ),
    };
    let host = host.to_ascii_lowercase();
    for src in sources {
        let s = src.to_ascii_lowercase();
        if s.starts_with('\'') {
            // 'self', 'none', nonces and hashes never name another host.
            continue;
        }
        if s == "*" || matches!(s.as_str(), "https:" | "wss:" | "http:" | "ws:") {
            return Some(format!("{directive} allows `{src}`, which includes {host}"));
        }
        let rest = s.split_once("://").map_or(s.as_str(), |(_, r)| r);
        let pattern = rest.split(['/', ':']).next().unwrap_or_default();
        let matches = match pattern.strip_prefix("*.") {
            Some(suffix) => host.ends_with(&format!(".{suffix}")),
            None => pattern == host,
        };
        if matches {
            return Some(format!("{directive} allows `{src}`, which includes {host}"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::connect_allowed;

    const HOST: &str = "jgnxomyzqotnqsmlxlsz.supabase.co";

    #[test]
    fn decides_like_a_browser() {
        let strict = "default-src 'self'; connect-src 'self' https://api-dev.hellolucia.ai https://*.clerk.accounts.dev";
        assert_eq!(connect_allowed(Some(strict), HOST), None);
        for open in [
            "connect-src 'self' https://*.supabase.co",
            "connect-src https://jgnxomyzqotnqsmlxlsz.supabase.co/rest/v1/",
            "connect-src *",
            "connect-src https:",
            "default-src 'self' wss://*.supabase.co",
            "script-src 'self'",
        ] {
            assert!(connect_allowed(Some(open), HOST).is_some(), "{open}");
        }
        assert!(connect_allowed(None, HOST).is_some());
        // default-src does not apply when connect-src is present.
        assert_eq!(
            connect_allowed(Some("default-src *; connect-src 'self'"), HOST),
            None
        );
        // A lookalike does not match a wildcard.
        assert_eq!(
            connect_allowed(Some("connect-src https://*.supabase.co.evil.test"), HOST),
            None
        );
    }
}
