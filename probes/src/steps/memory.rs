//! What a scenario remembers and compares later: a JSON value of one
//! response against another's, and the JSON a page embeds.

use cucumber::step::Context;
use serde_json::Value;

use super::def::arg;
use super::json::parse_path;
use crate::core::error::{StepError, StepResult};
use crate::core::matcher;
use crate::world::World;

pub(crate) async fn when_remember(w: &mut World, ctx: &Context) -> StepResult {
    let path = parse_path(arg(ctx, 1))?;
    let value = path
        .get(w.json()?)
        .cloned()
        .ok_or_else(|| StepError::assertion(format!("{path}: nothing there to remember")))?;
    w.remembered.insert(arg(ctx, 2).to_owned(), value);
    Ok(())
}

pub(crate) async fn then_equals_remembered(w: &mut World, ctx: &Context) -> StepResult {
    let path = parse_path(arg(ctx, 1))?;
    let name = arg(ctx, 2);
    let remembered = w.remembered.get(name).ok_or_else(|| {
        StepError::config(format!(
            "nothing was remembered as \"{name}\" in this scenario"
        ))
    })?;
    let r = w.response()?;
    let run = w.ctx()?;
    let (at, key) = (path.to_string(), matcher::last_key(&path.to_string()));
    // Both sides are answers: quoted redacted, before `describe` cuts them.
    let shown = |v: &Value| matcher::describe(&run.redactor.value(v, &key, &at));
    match path.get(r.json()?) {
        Some(v) if v == remembered => Ok(()),
        other => Err(StepError::assertion(format!(
            "{path}: expected the remembered \"{name}\" = {}, actual {}",
            shown(remembered),
            other.map_or_else(|| "nothing (absent)".to_owned(), shown)
        ))),
    }
}

/// The JSON inside `<script type="application/json" id="…">` of an HTML page.
pub fn embedded_json(html: &str, id: &str) -> Result<Value, String> {
    let id = id.trim_start_matches('#');
    let marker = [format!("id=\"{id}\""), format!("id='{id}'")];
    let at = marker
        .iter()
        .find_map(|m| html.find(m.as_str()))
        .ok_or_else(|| format!("the page has no element with id \"{id}\""))?;
    let open_end = html[at..]
        .find('>')
        .map(|i| at + i + 1)
        .ok_or("unterminated tag")?;
    let close = html[open_end..]
        .find("</script>")
        .map(|i| open_end + i)
        .ok_or("no </script> after the element")?;
    serde_json::from_str(html[open_end..close].trim())
        .map_err(|e| format!("the element \"{id}\" does not hold JSON: {e}"))
}

/// Then the JSON embedded in the page as "#id" equals the remembered "name"
pub(crate) async fn embedded_equals(w: &mut World, ctx: &Context) -> StepResult {
    let (id, name) = (arg(ctx, 1), arg(ctx, 2));
    let remembered = w.remembered.get(name).cloned().ok_or_else(|| {
        StepError::config(format!(
            "nothing was remembered as \"{name}\" in this scenario"
        ))
    })?;
    let r = w.response()?;
    let page = embedded_json(r.text_strict()?, id)
        .map_err(|m| StepError::assertion(format!("{} {}: {m}", r.method, r.url)))?;
    if page == remembered {
        return Ok(());
    }
    let run = w.ctx()?;
    let redact = |path: &str, key: &str, v: &Value| run.redactor.value(v, key, path);
    let diff =
        matcher::match_redacted("$", &remembered, Some(&page), matcher::Mode::Exact, &redact)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
    Err(StepError::assertion(format!(
        "{} {}: the page's \"{id}\" differs from the remembered \"{name}\" (the page must render exactly that):\n{diff}",
        r.method, r.url
    )))
}
