//! The `gherkinDocument` envelope of one feature file, parsed from its
//! source, and what each pickle of it refers to in it: Cucumber's HTML
//! report (and `@cucumber/query`) finds every scenario through it, so
//! without it the report is an empty page.
//!
//! Ids are stable and readable: `<uri>:<line>` for the feature, each
//! background, rule, scenario, step, examples block and table row (a line
//! holds one of them), `<uri>:<line>:<column>` for tags. An outline's
//! example is pickled from its row: its ids are the outline's and the
//! row's, as Gherkin's own pickle compiler gives them.
//!
//! A table's rows are taken to be on consecutive lines (a comment between
//! two rows would shift the later rows' ids by a line).

use std::collections::HashMap;

use probes::cucumber::gherkin::{self, GherkinEnv};
use serde_json::{Value, json};

/// What a pickle (a scenario of the report, by its line) names in the
/// document.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PickleIds {
    /// The scenario's id, and the example row's for an outline.
    pub ast_node_ids: Vec<String>,
    /// The example row's id, added to each step's astNodeIds (outlines).
    pub row: Option<String>,
    /// Every tag that applies, by name (`@gating`), with its id.
    pub tags: Vec<(String, String)>,
}

/// A parsed document and its pickles, by the report's scenario line.
#[derive(Clone, Debug)]
pub struct Document {
    pub envelope: Value,
    pub pickles: HashMap<usize, PickleIds>,
}

struct Builder<'a> {
    uri: &'a str,
    lines: Vec<&'a str>,
    pickles: HashMap<usize, PickleIds>,
}

fn location(line: usize, column: usize) -> Value {
    json!({"line": line, "column": column.max(1)})
}

impl Builder<'_> {
    fn id(&self, line: usize) -> String {
        format!("{}:{line}", self.uri)
    }

    /// Tags written above `owner_line` (the lines before it that start
    /// with `@`), each with its place: (name with `@`, id, location).
    fn tags(&self, names: &[String], owner_line: usize) -> Vec<(String, String, Value)> {
        let mut found: Vec<(String, String, Value)> = Vec::new();
        let mut line = owner_line.saturating_sub(1);
        while line >= 1 {
            let text = self.lines.get(line - 1).copied().unwrap_or_default();
            let trimmed = text.trim_start();
            if trimmed.starts_with('#') || trimmed.is_empty() {
                line -= 1;
                continue;
            }
            if !trimmed.starts_with('@') {
                break;
            }
            for (col, _) in text.match_indices('@') {
                let name: String = text[col..]
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                found.push((
                    name,
                    format!("{}:{line}:{}", self.uri, col + 1),
                    location(line, col + 1),
                ));
            }
            line -= 1;
        }
        // Tags the parser saw that are not written above (cannot happen in
        // valid Gherkin, but never drop one): placed on the owner's line.
        for n in names {
            let name = format!("@{n}");
            if !found.iter().any(|(f, _, _)| *f == name) {
                let id = format!("{}:{owner_line}:@{n}", self.uri);
                found.push((name, id, location(owner_line, 1)));
            }
        }
        found
    }

    fn tag_values(tags: &[(String, String, Value)]) -> Vec<Value> {
        tags.iter()
            .map(|(name, id, loc)| json!({"location": loc, "name": name, "id": id}))
            .collect()
    }

    fn column(&self, line: usize) -> usize {
        let text = self
            .lines
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or_default();
        text.len() - text.trim_start().len() + 1
    }

    fn step(&self, s: &gherkin::Step) -> Value {
        let line = s.position.line;
        let mut v = json!({
            "location": location(line, self.column(line)),
            "keyword": format!("{} ", s.keyword.trim()),
            "text": s.value,
            "id": self.id(line),
        });
        if let Some(doc) = &s.docstring {
            v["docString"] = json!({
                "location": location(line + 1, self.column(line + 1)),
                "content": doc,
                "delimiter": "\"\"\"",
            });
        }
        if let Some(t) = &s.table {
            v["dataTable"] = json!({
                "location": location(t.position.line, self.column(t.position.line)),
                "rows": self.rows(t, 0),
            });
        }
        v
    }

    fn row(&self, line: usize, cells: &[String]) -> Value {
        let text = self
            .lines
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or_default();
        let mut from = 0;
        let cells: Vec<Value> = cells
            .iter()
            .map(|c| {
                let col = text[from..].find(c.as_str()).map_or(1, |i| {
                    from += i + c.len();
                    from - c.len() + 1
                });
                json!({"location": location(line, col), "value": c})
            })
            .collect();
        json!({"location": location(line, self.column(line)), "cells": cells, "id": self.id(line)})
    }

    fn rows(&self, t: &gherkin::Table, skip: usize) -> Vec<Value> {
        t.rows
            .iter()
            .enumerate()
            .skip(skip)
            .map(|(i, r)| self.row(t.position.line + i, r))
            .collect()
    }

    fn background(&self, b: &gherkin::Background) -> Value {
        json!({"background": {
            "location": location(b.position.line, self.column(b.position.line)),
            "keyword": b.keyword,
            "name": b.name,
            "description": b.description.clone().unwrap_or_default(),
            "steps": b.steps.iter().map(|s| self.step(s)).collect::<Vec<_>>(),
            "id": self.id(b.position.line),
        }})
    }

    /// A scenario (or outline) and its pickles, under `inherited` tags.
    fn scenario(&mut self, s: &gherkin::Scenario, inherited: &[(String, String)]) -> Value {
        let line = s.position.line;
        let own = self.tags(&s.tags, line);
        let mut tags: Vec<(String, String)> = inherited.to_vec();
        tags.extend(own.iter().map(|(n, i, _)| (n.clone(), i.clone())));
        let id = self.id(line);
        let mut examples = Vec::new();
        for ex in &s.examples {
            let ex_line = ex.position.line;
            let ex_tags = self.tags(&ex.tags, ex_line);
            let mut row_tags = tags.clone();
            row_tags.extend(ex_tags.iter().map(|(n, i, _)| (n.clone(), i.clone())));
            let (header, body) = match &ex.table {
                Some(t) if !t.rows.is_empty() => {
                    (Some(self.row(t.position.line, &t.rows[0])), self.rows(t, 1))
                }
                _ => (None, Vec::new()),
            };
            if let Some(t) = &ex.table {
                for i in 1..t.rows.len() {
                    let row_line = t.position.line + i;
                    let row_id = self.id(row_line);
                    self.pickles.insert(
                        row_line,
                        PickleIds {
                            ast_node_ids: vec![id.clone(), row_id.clone()],
                            row: Some(row_id),
                            tags: row_tags.clone(),
                        },
                    );
                }
            }
            let mut e = json!({
                "location": location(ex_line, self.column(ex_line)),
                "tags": Self::tag_values(&ex_tags),
                "keyword": ex.keyword,
                "name": ex.name.clone().unwrap_or_default(),
                "description": ex.description.clone().unwrap_or_default(),
                "tableBody": body,
                "id": self.id(ex_line),
            });
            if let Some(h) = header {
                e["tableHeader"] = h;
            }
            examples.push(e);
        }
        if s.examples.is_empty() {
            self.pickles.insert(
                line,
                PickleIds {
                    ast_node_ids: vec![id.clone()],
                    row: None,
                    tags,
                },
            );
        }
        json!({"scenario": {
            "location": location(line, self.column(line)),
            "tags": Self::tag_values(&own),
            "keyword": s.keyword,
            "name": s.name,
            "description": s.description.clone().unwrap_or_default(),
            "steps": s.steps.iter().map(|st| self.step(st)).collect::<Vec<_>>(),
            "examples": examples,
            "id": id,
        }})
    }
}

/// The document of `source` (the file at `uri`), or `None` when it does
/// not parse (a report read back without its features, a file changed since).
pub fn document(uri: &str, source: &str) -> Option<Document> {
    let feature = gherkin::Feature::parse(source, GherkinEnv::default()).ok()?;
    let mut b = Builder {
        uri,
        lines: source.lines().collect(),
        pickles: HashMap::new(),
    };
    let line = feature.position.line;
    let feature_tags = b.tags(&feature.tags, line);
    let inherited: Vec<(String, String)> = feature_tags
        .iter()
        .map(|(n, i, _)| (n.clone(), i.clone()))
        .collect();
    let mut children = Vec::new();
    if let Some(bg) = &feature.background {
        children.push(b.background(bg));
    }
    // Scenarios and rules in the order they are written.
    let mut items: Vec<(usize, Value)> = Vec::new();
    for s in &feature.scenarios {
        items.push((s.position.line, b.scenario(s, &inherited)));
    }
    for r in &feature.rules {
        let r_line = r.position.line;
        let r_tags = b.tags(&r.tags, r_line);
        let mut under = inherited.clone();
        under.extend(r_tags.iter().map(|(n, i, _)| (n.clone(), i.clone())));
        let mut rule_children = Vec::new();
        if let Some(bg) = &r.background {
            rule_children.push(b.background(bg));
        }
        for s in &r.scenarios {
            rule_children.push(b.scenario(s, &under));
        }
        let rule = json!({"rule": {
            "location": location(r_line, b.column(r_line)),
            "tags": Builder::tag_values(&r_tags),
            "keyword": r.keyword,
            "name": r.name,
            "description": r.description.clone().unwrap_or_default(),
            "children": rule_children,
            "id": b.id(r_line),
        }});
        items.push((r_line, rule));
    }
    items.sort_by_key(|(l, _)| *l);
    children.extend(items.into_iter().map(|(_, v)| v));
    let envelope = json!({
        "uri": uri,
        "feature": {
            "location": location(line, b.column(line)),
            "tags": Builder::tag_values(&feature_tags),
            "language": "en",
            "keyword": feature.keyword,
            "name": feature.name,
            "description": feature.description.clone().unwrap_or_default(),
            "children": children,
        },
        "comments": [],
    });
    Some(Document {
        envelope,
        pickles: b.pickles,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTLINE: &str = "@area\nFeature: DNS\n\n  Background:\n    Given the \"engine\" service\n\n  @gating @implemented\n  Scenario: one\n    When I GET \"/health\"\n\n  Scenario Outline: <host> resolves\n    When I look up \"<host>\"\n\n    @dev\n    Examples:\n      | host |\n      | a    |\n      | b    |\n";

    #[test]
    fn scenarios_and_outline_rows_are_found_with_their_tags() {
        let d = document("features/dns.feature", OUTLINE).expect("parses");
        let one = &d.pickles[&8];
        assert_eq!(one.ast_node_ids, ["features/dns.feature:8"]);
        let tags: Vec<&str> = one.tags.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(tags, ["@area", "@gating", "@implemented"]);
        assert_eq!(one.tags[1].1, "features/dns.feature:7:3");
        let b = &d.pickles[&18];
        assert_eq!(
            b.ast_node_ids,
            ["features/dns.feature:11", "features/dns.feature:18"]
        );
        assert!(b.tags.iter().any(|(n, _)| n == "@dev"));
        let children = d.envelope["feature"]["children"]
            .as_array()
            .expect("children");
        assert_eq!(children.len(), 3, "background, scenario, outline");
        assert_eq!(
            children[2]["scenario"]["examples"][0]["tableBody"][1]["id"],
            "features/dns.feature:18"
        );
        assert_eq!(children[0]["background"]["steps"][0]["keyword"], "Given ");
        assert!(document("x.feature", "not gherkin at all").is_none());
    }
}
