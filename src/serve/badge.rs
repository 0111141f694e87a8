//! Badges, shields-style: a grey label and a coloured message, as SVG
//! (`/badge/{env}.svg`, `/badge/{env}/uptime/{24h|7d|30d}.svg`), for a
//! README or a wall screen. Pure: text in, SVG out, everything escaped.

use reporters::text::escape::html;

/// The colours shields.io uses for these meanings.
pub const GREEN: &str = "#4c1";
pub const YELLOW_GREEN: &str = "#97ca00";
pub const YELLOW: &str = "#dfb317";
pub const RED: &str = "#e05d44";
pub const GREY: &str = "#9f9f9f";

/// Roughly how wide Verdana 11 px text is: enough for the bar to hold it.
fn width(text: &str) -> usize {
    text.chars().count() * 7 + 10
}

/// One badge: `label` on grey, `message` on `color`.
pub fn svg(label: &str, message: &str, color: &str) -> String {
    let (lw, mw) = (width(label), width(message));
    let w = lw + mw;
    let (label, message) = (html(label), html(message));
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"20\" role=\"img\" aria-label=\"{label}: {message}\">\
<title>{label}: {message}</title>\
<linearGradient id=\"s\" x2=\"0\" y2=\"100%\"><stop offset=\"0\" stop-color=\"#bbb\" stop-opacity=\".1\"/><stop offset=\"1\" stop-opacity=\".1\"/></linearGradient>\
<clipPath id=\"r\"><rect width=\"{w}\" height=\"20\" rx=\"3\" fill=\"#fff\"/></clipPath>\
<g clip-path=\"url(#r)\"><rect width=\"{lw}\" height=\"20\" fill=\"#555\"/><rect x=\"{lw}\" width=\"{mw}\" height=\"20\" fill=\"{color}\"/><rect width=\"{w}\" height=\"20\" fill=\"url(#s)\"/></g>\
<g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,Geneva,DejaVu Sans,sans-serif\" font-size=\"11\">\
<text x=\"{}\" y=\"14\">{label}</text><text x=\"{}\" y=\"14\">{message}</text></g></svg>\n",
        lw / 2,
        lw + mw / 2
    )
}

/// The uptime message and colour: `99.2%`, or `no runs`.
pub fn uptime(passed: u64, counted: u64) -> (String, &'static str) {
    if counted == 0 {
        return ("no runs".to_owned(), GREY);
    }
    #[allow(clippy::cast_precision_loss)] // run counts are far below 2^52
    let pct = passed as f64 * 100.0 / counted as f64;
    let color = match pct {
        p if p >= 99.9 => GREEN,
        p if p >= 99.0 => YELLOW_GREEN,
        p if p >= 95.0 => YELLOW,
        _ => RED,
    };
    // Never round a failure up to 100%.
    let shown = if passed < counted && pct > 99.9 {
        "99.9".to_owned()
    } else {
        format!("{:.1}", (pct * 10.0).floor() / 10.0)
    };
    (format!("{}%", shown.trim_end_matches(".0")), color)
}

/// The windows uptime badges are offered for.
pub fn window(name: &str) -> Option<chrono::Duration> {
    match name {
        "24h" => Some(chrono::Duration::hours(24)),
        "7d" => Some(chrono::Duration::days(7)),
        "30d" => Some(chrono::Duration::days(30)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime_reads_as_a_percentage_never_rounded_up_to_perfect() {
        assert_eq!(uptime(0, 0), ("no runs".to_owned(), GREY));
        assert_eq!(uptime(10, 10), ("100%".to_owned(), GREEN));
        assert_eq!(uptime(9999, 10000).0, "99.9%");
        assert_eq!(
            uptime(99_999, 100_000).0,
            "99.9%",
            "one failure is never 100%"
        );
        assert_eq!(uptime(199, 200), ("99.5%".to_owned(), YELLOW_GREEN));
        assert_eq!(uptime(1, 2), ("50%".to_owned(), RED));
        assert_eq!(window("7d"), Some(chrono::Duration::days(7)));
        assert_eq!(window("1y"), None);
    }

    #[test]
    fn a_badge_escapes_what_it_shows() {
        let s = svg("lucia <dev>", "a & b", RED);
        assert!(s.contains("lucia &lt;dev&gt;: a &amp; b"), "{s}");
        assert!(!s.contains("<dev>"));
        assert!(s.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    }
}
