//! Escaping and small formatting helpers shared by the text formats.

use std::borrow::Cow;

/// Whether `c` may appear in an XML 1.0 document at all.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn escape_with(
    s: &str,
    needs: impl Fn(char) -> bool,
    f: impl Fn(char, &mut String),
) -> Cow<'_, str> {
    if !s.chars().any(&needs) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        f(c, &mut out);
    }
    Cow::Owned(out)
}

/// Text content of an XML element. Characters XML 1.0 cannot carry (most
/// control characters) become U+FFFD rather than an invalid document.
pub fn xml_text(s: &str) -> Cow<'_, str> {
    escape_with(
        s,
        |c| matches!(c, '&' | '<' | '>') || !xml_char(c),
        |c, out| match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if !xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        },
    )
}

/// An XML attribute value (double-quoted). Line breaks and tabs are kept as
/// character references: a parser would otherwise fold them into spaces.
pub fn xml_attr(s: &str) -> Cow<'_, str> {
    escape_with(
        s,
        |c| matches!(c, '&' | '<' | '>' | '"' | '\'' | '\n' | '\r' | '\t') || !xml_char(c),
        |c, out| match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if !xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        },
    )
}

/// HTML text or a double-quoted attribute value.
pub fn html(s: &str) -> Cow<'_, str> {
    escape_with(
        s,
        |c| matches!(c, '&' | '<' | '>' | '"' | '\''),
        |c, out| match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        },
    )
}

/// A cell of a GitHub-flavoured Markdown table: one line, no `|` that would
/// split the cell, no HTML that GitHub would render.
pub fn md_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' => {}
            '\n' => out.push_str("<br>"),
            '`' => out.push('\''),
            c => out.push(c),
        }
    }
    out
}

/// Inline Markdown text (a heading, a list item): markup characters are
/// backslash-escaped so a scenario name cannot inject links, emphasis or HTML.
pub fn md_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '|' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Inline code: a backtick inside gets a longer delimiter, as CommonMark allows.
pub fn md_code(s: &str) -> String {
    let s = s.replace(['\r', '\n'], " ");
    // A code span's fence is a backtick run no run inside matches: one
    // longer than the longest (CommonMark 6.1), padded when the text
    // starts or ends with a backtick.
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    if longest == 0 {
        return format!("`{s}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {s} {fence}")
}

/// A fenced code block whose fence is longer than any backtick run inside.
pub fn md_fence(lang: &str, body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest.max(2) + 1);
    format!("{fence}{lang}\n{}\n{fence}\n", body.trim_end_matches('\n'))
}

/// A measured duration for people: `<1 ms`, `19 ms`, `2.31 s` (the one
/// formatter, in `probes::core::duration`).
pub use probes::core::duration::measured as duration;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_invalid_characters() {
        assert_eq!(xml_text("a < b & c > d"), "a &lt; b &amp; c &gt; d");
        assert_eq!(xml_text("bell\u{7}"), "bell\u{FFFD}");
        assert_eq!(
            xml_attr("say \"hi\"\n'there'\t"),
            "say &quot;hi&quot;&#10;&apos;there&apos;&#9;"
        );
        assert!(matches!(xml_text("plain"), Cow::Borrowed("plain")));
    }

    #[test]
    fn a_code_span_outfences_every_backtick_run_inside() {
        assert_eq!(md_code("plain"), "`plain`");
        assert_eq!(md_code("a`b"), "`` a`b ``");
        assert_eq!(md_code("a``b"), "``` a``b ```");
        assert_eq!(md_code("`x`\nnext"), "`` `x` next ``");
    }

    #[test]
    fn html_escapes_script() {
        assert_eq!(
            html("<script>alert('x')</script>"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"
        );
    }

    #[test]
    fn markdown_cells_stay_in_their_cell() {
        assert_eq!(md_cell("a|b\nc <i>"), "a\\|b<br>c &lt;i&gt;");
        assert_eq!(md_inline("*bold* [x](y)"), "\\*bold\\* \\[x\\](y)");
    }

    #[test]
    fn fences_outgrow_backticks_inside() {
        assert_eq!(md_fence("text", "a ``` b"), "````text\na ``` b\n````\n");
        assert_eq!(md_fence("", "x\n"), "```\nx\n```\n");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(0.2), "<1 ms");
        assert_eq!(duration(19.4), "19 ms");
        assert_eq!(duration(2313.0), "2.31 s");
    }
}
