//! Durations as people write and read them: the one parser of settings
//! (`10s`, `500ms`, `2m`), the one formatter of settings (timeouts, budgets,
//! intervals) and the one formatter of measurements (how long a step took).

use std::time::Duration;

/// Parses `10s`, `500ms`, `2m`, `1.5s`.
pub fn parse(s: &str) -> Option<Duration> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| c.is_ascii_alphabetic())
        .map_or((s, "s"), |i| (&s[..i], &s[i..]));
    let n: f64 = num
        .trim()
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n >= 0.0)?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        _ => return None,
    };
    // `from_secs_f64` panics past Duration::MAX (`1e300s`): too long is not a duration.
    Duration::try_from_secs_f64(secs).ok()
}

/// A setting (a timeout, a budget, an interval) as people write it: `500 ms`,
/// `2 h`, `5 min`, `10 s`, `1.5 s`.
pub fn human(d: Duration) -> String {
    let (s, whole) = (d.as_secs(), d.subsec_millis() == 0);
    if d.as_millis() < 1000 {
        format!("{} ms", d.as_millis())
    } else if whole && s.is_multiple_of(3600) {
        format!("{} h", s / 3600)
    } else if whole && s.is_multiple_of(60) {
        format!("{} min", s / 60)
    } else if whole {
        format!("{s} s")
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A measurement, in milliseconds, for people: `<1 ms`, `19 ms`, `2.31 s`.
pub fn measured(ms: f64) -> String {
    if ms < 1.0 {
        "<1 ms".to_owned()
    } else if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse("2m"), Some(Duration::from_secs(120)));
        assert_eq!(parse("3min"), Some(Duration::from_secs(180)));
        assert_eq!(parse("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse("x"), None);
        assert_eq!(parse("-1s"), None);
    }

    /// Found by fuzzing (fuzz target `config`): a duration past
    /// `Duration::MAX` panicked instead of being refused.
    #[test]
    fn durations_too_long_are_none_not_panics() {
        for huge in ["1e300s", "1e308h", "18446744073709551616s", "1e20m"] {
            assert_eq!(parse(huge), None, "{huge}");
        }
    }

    #[test]
    fn settings_read_in_their_largest_whole_unit() {
        assert_eq!(human(Duration::ZERO), "0 ms");
        assert_eq!(human(Duration::from_millis(700)), "700 ms");
        assert_eq!(human(Duration::from_secs(10)), "10 s");
        assert_eq!(human(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(human(Duration::from_secs(60)), "1 min");
        assert_eq!(human(Duration::from_secs(300)), "5 min");
        assert_eq!(human(Duration::from_secs(90)), "90 s");
        assert_eq!(human(Duration::from_secs(7200)), "2 h");
        assert_eq!(human(Duration::from_secs(5400)), "90 min");
        assert_eq!(human(Duration::from_millis(60_500)), "60.5 s");
    }

    #[test]
    fn measurements_read_well() {
        assert_eq!(measured(0.2), "<1 ms");
        assert_eq!(measured(19.4), "19 ms");
        assert_eq!(measured(2313.0), "2.31 s");
    }
}
