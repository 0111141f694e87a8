//! Loading and statically checking feature files: every file parses, every
//! step is defined, every service, secret and expected value a scenario
//! uses exists. Touches no network.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use probes::core::template::{self, Reference};
use probes::cucumber::feature::Ext as _;
use probes::cucumber::gherkin::{self, Feature, GherkinEnv, Rule, Scenario, Step};
use probes::steps::Requirement;
use regex::Regex;

use super::config::Config;

/// A problem in a feature file, located to file, line and column.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.col,
            self.message
        )
    }
}

/// The loaded features, outlines expanded, in path order.
#[derive(Clone, Debug)]
pub struct Suite {
    pub root: PathBuf,
    pub features: Vec<Feature>,
}

/// One scenario with everything selection and checks need.
#[derive(Debug)]
pub struct ScenarioInfo<'a> {
    pub feature: &'a Feature,
    pub rule: Option<&'a Rule>,
    pub scenario: &'a Scenario,
    /// Feature, rule and scenario tags, without `@`.
    pub tags: Vec<String>,
}

/// Identity of a scenario in a run: file, line, column.
pub type ScenarioKey = (PathBuf, usize, usize);

pub fn key_of(feature: &Feature, scenario: &Scenario) -> ScenarioKey {
    (
        feature.path.clone().unwrap_or_default(),
        scenario.position.line,
        scenario.position.col,
    )
}

static SERVICE_STEP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^the "([^"]+)" service$"#).unwrap_or_else(|e| unreachable!("{e}"))
});

impl<'a> ScenarioInfo<'a> {
    /// Background steps, then the scenario's own.
    pub fn steps(&self) -> impl Iterator<Item = &'a Step> + 'a {
        let bg = self.feature.background.iter().flat_map(|b| b.steps.iter());
        let rule_bg = self
            .rule
            .into_iter()
            .flat_map(|r| r.background.iter().flat_map(|b| b.steps.iter()));
        bg.chain(rule_bg).chain(self.scenario.steps.iter())
    }

    pub fn file(&self) -> PathBuf {
        self.feature.path.clone().unwrap_or_default()
    }

    pub fn location(&self) -> String {
        format!("{}:{}", self.file().display(), self.scenario.position.line)
    }

    /// The scenario's time budget, from its innermost `@slow(800ms)` tag
    /// (a scenario's own overrides its rule's and its feature's). A tag
    /// that does not name a duration is an error naming it.
    pub fn budget(&self) -> Result<Option<std::time::Duration>, String> {
        let Some(tag) = self.tags.iter().rev().find(|t| t.starts_with("slow(")) else {
            return Ok(None);
        };
        tag.strip_prefix("slow(")
            .and_then(|t| t.strip_suffix(')'))
            .and_then(probes::core::duration::parse)
            .filter(|d| !d.is_zero())
            .map(Some)
            .ok_or_else(|| {
                format!("@{tag}: a time budget is written @slow(800ms) or @slow(2s), a duration above zero")
            })
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    /// Services the scenario uses (`Given the "…" service`, and steps that
    /// name a service or use one implicitly).
    pub fn services(&self) -> BTreeSet<String> {
        self.steps().flat_map(probes::steps::services).collect()
    }

    /// Every template reference, with the step that makes it.
    pub fn references(&self) -> Vec<(Reference, &'a Step)> {
        let mut out = Vec::new();
        for step in self.steps() {
            let texts = std::iter::once(step.value.as_str())
                .chain(step.docstring.as_deref())
                .chain(
                    step.table
                        .iter()
                        .flat_map(|t| t.rows.iter().flatten().map(String::as_str)),
                );
            for t in texts {
                out.extend(template::references(t).into_iter().map(|r| (r, step)));
            }
        }
        out
    }

    /// Secrets the scenario needs (written as `${NAME}` or used by a step
    /// to sign), each with where it is first used.
    pub fn secrets(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let at = |step: &Step| format!("{}:{}", self.file().display(), step.position.line);
        for (r, step) in self.references() {
            if let Reference::Secret(name) = r {
                out.entry(name).or_insert_with(|| at(step));
            }
        }
        for step in self.steps() {
            for r in probes::steps::requirements(step) {
                if let Requirement::Secret(name) = r {
                    out.entry(name).or_insert_with(|| at(step));
                }
            }
        }
        out
    }

    /// What the scenario needs of an environment beyond its surfaces.
    pub fn requirements(&self) -> Vec<Requirement> {
        let mut out: Vec<Requirement> = Vec::new();
        for step in self.steps() {
            for r in probes::steps::requirements(step) {
                if !matches!(r, Requirement::Secret(_)) && !out.contains(&r) {
                    out.push(r);
                }
            }
        }
        out
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::path);
    for e in entries {
        let p = e.path();
        if e.file_type()?.is_dir() {
            walk(&p, out)?;
        } else if p.extension().is_some_and(|x| x == "feature") {
            out.push(p);
        }
    }
    Ok(())
}

static GHERKIN_ERROR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"Error at (\d+):(\d+): (.*)").unwrap_or_else(|e| unreachable!("{e}"))
});

/// The Gherkin parser reports where it gave up, often the end of the file.
/// When it fails, this finds the first line a person would call wrong.
fn lint(text: &str) -> Option<(usize, usize, String)> {
    const STEP: [&str; 6] = ["Given ", "When ", "Then ", "And ", "But ", "* "];
    const SECTION: [&str; 8] = [
        "Feature:",
        "Rule:",
        "Background:",
        "Scenario:",
        "Scenario Outline:",
        "Scenario Template:",
        "Example:",
        "Examples:",
    ];
    let mut in_doc: Option<(usize, &str)> = None;
    let mut after_step = false;
    let mut table_width: Option<usize> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let col = raw.len() - raw.trim_start().len() + 1;
        if let Some((_, fence)) = in_doc {
            if line.starts_with(fence) {
                in_doc = None;
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') || line.starts_with('@') {
            continue;
        }
        if line.starts_with("\"\"\"") || line.starts_with("```") {
            in_doc = Some((
                i + 1,
                if line.starts_with("```") {
                    "```"
                } else {
                    "\"\"\""
                },
            ));
            continue;
        }
        if line.starts_with('|') {
            let width = line.matches('|').count();
            if !line.ends_with('|') {
                return Some((i + 1, col, "a table row must end with `|`".to_owned()));
            }
            if let Some(w) = table_width
                && w != width
            {
                return Some((
                    i + 1,
                    col,
                    format!(
                        "this table row has {} cells, the first row has {}",
                        width - 1,
                        w - 1
                    ),
                ));
            }
            table_width = Some(width);
            continue;
        }
        table_width = None;
        if SECTION.iter().any(|s| line.starts_with(s)) {
            after_step = false;
            continue;
        }
        if STEP.iter().any(|s| line.starts_with(s)) {
            after_step = true;
            continue;
        }
        if after_step {
            return Some((
                i + 1,
                col,
                format!(
                    "expected a step (Given/When/Then/And/But), a table row, a docstring or a new section, found `{line}`"
                ),
            ));
        }
    }
    in_doc.map(|(l, fence)| {
        (
            l,
            1,
            format!("the docstring opened here is never closed (`{fence}`)"),
        )
    })
}

fn parse_problem(path: &Path, e: &gherkin::ParseFileError) -> Problem {
    use std::error::Error as _;
    if let Some((line, col, message)) = std::fs::read_to_string(path).ok().as_deref().and_then(lint)
    {
        return Problem {
            file: path.to_owned(),
            line,
            col,
            message: format!("Gherkin syntax error: {message}"),
        };
    }
    let detail = e
        .source()
        .map(ToString::to_string)
        .unwrap_or_else(|| e.to_string());
    if let Some(c) = GHERKIN_ERROR.captures(&detail) {
        let expected: Vec<String> = Regex::new(r#""([^"]*)""#)
            .map(|re| re.captures_iter(&c[3]).map(|m| m[1].to_owned()).collect())
            .unwrap_or_default();
        let mut expected: Vec<String> = expected
            .into_iter()
            .filter(|s| !s.trim().is_empty())
            .collect();
        expected.sort();
        expected.dedup();
        let hint = if expected.is_empty() {
            String::new()
        } else {
            format!(" (expected one of: {})", expected.join(", "))
        };
        return Problem {
            file: path.to_owned(),
            line: c[1].parse().unwrap_or(1),
            col: c[2].parse().unwrap_or(1),
            message: format!("Gherkin syntax error{hint}"),
        };
    }
    Problem {
        file: path.to_owned(),
        line: 1,
        col: 1,
        message: format!("cannot parse: {detail}"),
    }
}

impl Suite {
    /// Parses every `.feature` file under `root` (a directory or one file).
    /// All problems are returned, not only the first.
    pub fn load(root: &Path) -> Result<Self, Vec<Problem>> {
        let problem = |message: String| Problem {
            file: root.to_owned(),
            line: 1,
            col: 1,
            message,
        };
        let mut files = Vec::new();
        if root.is_file() {
            files.push(root.to_owned());
        } else {
            walk(root, &mut files).map_err(|e| {
                vec![problem(format!(
                    "cannot read the features directory: {e} (pass --features DIR)"
                ))]
            })?;
        }
        if files.is_empty() {
            return Err(vec![problem("no .feature files here".to_owned())]);
        }
        let mut features = Vec::new();
        let mut problems = Vec::new();
        for f in files {
            match Feature::parse_path(&f, GherkinEnv::default()) {
                Ok(feature) => match feature.expand_examples() {
                    Ok(mut feature) => {
                        feature.path = Some(f);
                        features.push(feature);
                    }
                    Err(e) => problems.push(Problem {
                        file: f,
                        line: e.pos.line,
                        col: e.pos.col,
                        message: format!(
                            "Scenario Outline: no column <{}> in its Examples",
                            e.name
                        ),
                    }),
                },
                Err(e) => problems.push(parse_problem(&f, &e)),
            }
        }
        if problems.is_empty() {
            Ok(Self {
                root: root.to_owned(),
                features,
            })
        } else {
            Err(problems)
        }
    }

    pub fn scenarios(&self) -> impl Iterator<Item = ScenarioInfo<'_>> {
        self.features.iter().flat_map(|f| {
            let own = f.scenarios.iter().map(move |s| info(f, None, s));
            let ruled = f
                .rules
                .iter()
                .flat_map(move |r| r.scenarios.iter().map(move |s| info(f, Some(r), s)));
            own.chain(ruled)
        })
    }

    /// Static checks against the configuration. Empty means all good.
    pub fn check(&self, config: &Config) -> Vec<Problem> {
        let surfaces = config.all_surfaces();
        let declared: BTreeSet<&str> = config
            .environments
            .values()
            .flat_map(|e| e.secrets.keys().map(String::as_str))
            .collect();
        let expected: BTreeSet<&str> = config
            .environments
            .values()
            .flat_map(|e| e.expected.keys().map(String::as_str))
            .collect();
        let mut problems = BTreeSet::new();
        for sc in self.scenarios() {
            let file = sc.file();
            let at = |step: &Step, message: String| Problem {
                file: file.clone(),
                line: step.position.line,
                col: step.position.col,
                message,
            };
            if let Err(message) = sc.budget() {
                problems.insert(Problem {
                    file: file.clone(),
                    line: sc.scenario.position.line,
                    col: sc.scenario.position.col,
                    message,
                });
            }
            let mut service_selected = false;
            for step in sc.steps() {
                if let Err(p) = probes::steps::check_step(step) {
                    problems.insert(at(
                        step,
                        format!("`{} {}`: {p}", step.keyword.trim(), step.value),
                    ));
                }
                for service in probes::steps::services(step) {
                    if !surfaces.contains(service.as_str()) {
                        problems.insert(at(
                            step,
                            format!(
                                "no environment has a \"{service}\" service; services are: {}",
                                surfaces.iter().copied().collect::<Vec<_>>().join(", ")
                            ),
                        ));
                    }
                }
                if SERVICE_STEP.is_match(&step.value) {
                    service_selected = true;
                } else if !service_selected
                    && step.value.starts_with("I ")
                    && step.value.contains(" \"/")
                {
                    problems.insert(at(
                        step,
                        "a request before any `Given the \"…\" service` step: which service?"
                            .to_owned(),
                    ));
                }
            }
            for (r, step) in sc.references() {
                match r {
                    Reference::Secret(name) if !declared.contains(name.as_str()) => {
                        problems.insert(at(
                            step,
                            format!("${{{name}}} is not declared by any environment: add it under [environments.<name>.secrets] in {}", config.path.display()),
                        ));
                    }
                    Reference::Expected(k) if !expected.contains(k.as_str()) => {
                        problems.insert(at(
                            step,
                            format!(
                                "{{{{expected.{k}}}}} is not set for any environment in {}",
                                config.path.display()
                            ),
                        ));
                    }
                    Reference::Unknown(u) => {
                        problems.insert(at(
                            step,
                            format!("unknown template value {{{{{u}}}}}: use expected.<key>, run_id, run_number, environment, uuid, now or remembered.<name>"),
                        ));
                    }
                    _ => {}
                }
            }
        }
        problems.into_iter().collect()
    }

    pub fn step_count(&self) -> usize {
        self.scenarios().map(|s| s.steps().count()).sum()
    }
}

fn info<'a>(
    feature: &'a Feature,
    rule: Option<&'a Rule>,
    scenario: &'a Scenario,
) -> ScenarioInfo<'a> {
    let tags = feature
        .tags
        .iter()
        .chain(rule.iter().flat_map(|r| r.tags.iter()))
        .chain(scenario.tags.iter())
        .map(|t| t.trim_start_matches('@').to_owned())
        .collect();
    ScenarioInfo {
        feature,
        rule,
        scenario,
        tags,
    }
}

#[cfg(test)]
mod tests {
    use super::lint;

    #[test]
    fn lint_finds_the_line_a_person_means() {
        let stray = "Feature: x\n  Scenario: y\n    Given a\n  Nonsense here\n";
        assert_eq!(lint(stray).map(|l| (l.0, l.1)), Some((4, 3)));
        let doc = "Feature: x\n  Scenario: y\n    Given a\n      \"\"\"\n      {}\n";
        assert_eq!(lint(doc).map(|l| l.0), Some(4));
        let table = "Feature: x\n  Scenario: y\n    Given a\n      | a | b |\n      | 1 |\n";
        assert_eq!(lint(table).map(|l| l.0), Some(5));
        let fine = "Feature: x\n  Some description\n  Scenario: y\n    Given a\n      \"\"\"\n      free text\n      \"\"\"\n";
        assert_eq!(lint(fine), None);
    }
}
