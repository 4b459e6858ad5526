//! How a task-graph edge gets its [`DependencyKind`]: one ordered table of rules, and the
//! small text format a deployment can replace the table with (`--rules FILE`).
//!
//! Task graphs name their edges (`build`, `docker-image`, `signing`…) but do not say why one
//! task waits on another; treeherd's graph queries need to know (a test waits on the build it
//! tests, a repack on the build it repacks, a release task on everything it ships). The kinds
//! are inferred from the tasks' taskgraph kinds, names and the edge name. The inference is a
//! table rather than code so that it can be read in one place, changed per project without a
//! rebuild, and explained to whoever asks why an edge came out as it did.
//!
//! The text format, one rule per line (`#` starts a comment):
//!
//! ```text
//! dependent-kind=test|test-* edge=build -> TEST
//! ```
//!
//! Conditions are `key=glob` with keys `dependent-kind`, `dependent-name`, `edge`,
//! `dependency-kind`, `dependency-name`; a missing key matches anything. Globs know `*`, `?`
//! and `|` between alternatives. The first rule whose conditions all hold decides; when none
//! does, the edge is GENERIC.

use std::fmt;

use treeherd_model::DependencyKind;

use crate::glob::Glob;

/// Kinds of task that test something built elsewhere.
const TEST_LIKE: &str = "test|tests|test-*|*-test|*-tests|perftest*";
/// Kinds of the release-promotion graph (Gecko's names).
const RELEASE: &str = "beetmover*|balrog*|release-*|push-*|ship-*|bouncer*";
/// Kinds of task that only provide an environment or tools.
const INFRASTRUCTURE: &str = "docker-image|toolchain|fetch|decision|packages";

/// The default table, first match wins. Columns: dependent kind, dependent name, edge name,
/// dependency kind, dependency name, and the kind given. "*" places no condition.
#[rustfmt::skip]
const DEFAULT_RULES: &[(&str, &str, &str, &str, &str, DependencyKind)] = &[
    // An image, toolchain or fetch is never the thing tested, repacked or shipped: keep these
    // edges out of the rules below (a repack's docker-image edge is not a repack edge).
    ("*",            "*", "*",       INFRASTRUCTURE, "*", DependencyKind::Generic),
    // A test waits on the build it tests (fan-out from one build to many tests).
    (TEST_LIKE,      "*", "build",   "*",            "*", DependencyKind::Test),
    (TEST_LIKE,      "*", "*",       "build*",       "*", DependencyKind::Test),
    // A repack waits on the English build it repacks (repackage-l10n, nightly-l10n,
    // shippable-l10n… all contain "l10n").
    ("*",            "*", "*l10n*",  "*",            "*", DependencyKind::L10nRepack),
    ("*l10n*",       "*", "*",       "*",            "*", DependencyKind::L10nRepack),
    // Release promotion waits on everything it ships (fan-in).
    (RELEASE,        "*", "*",       "*",            "*", DependencyKind::Release),
    // Signing a release task's output is part of the release.
    ("*signing*",    "*", "*",       RELEASE,        "*", DependencyKind::Release),
];

/// What a rule can look at about one edge. Facts not known (a dependency outside the graph
/// has no kind; a queue definition's edges have no names) are empty strings.
#[derive(Debug, Clone, Copy, Default)]
pub struct EdgeFacts<'a> {
    pub dependent_kind: &'a str,
    pub dependent_name: &'a str,
    pub edge: &'a str,
    pub dependency_kind: &'a str,
    pub dependency_name: &'a str,
}

/// One row of the table: every condition must hold for `kind` to apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub dependent_kind: Glob,
    pub dependent_name: Glob,
    pub edge: Glob,
    pub dependency_kind: Glob,
    pub dependency_name: Glob,
    pub kind: DependencyKind,
}

impl Rule {
    /// A rule with no conditions yet.
    pub fn always(kind: DependencyKind) -> Rule {
        Rule {
            dependent_kind: Glob::any(),
            dependent_name: Glob::any(),
            edge: Glob::any(),
            dependency_kind: Glob::any(),
            dependency_name: Glob::any(),
            kind,
        }
    }

    pub fn matches(&self, facts: &EdgeFacts<'_>) -> bool {
        self.dependent_kind.matches(facts.dependent_kind)
            && self.dependent_name.matches(facts.dependent_name)
            && self.edge.matches(facts.edge)
            && self.dependency_kind.matches(facts.dependency_kind)
            && self.dependency_name.matches(facts.dependency_name)
    }

    fn conditions(&self) -> [(&'static str, &Glob); 5] {
        [
            (KEYS[0], &self.dependent_kind),
            (KEYS[1], &self.dependent_name),
            (KEYS[2], &self.edge),
            (KEYS[3], &self.dependency_kind),
            (KEYS[4], &self.dependency_name),
        ]
    }

    fn condition_mut(&mut self, key: &str) -> Option<&mut Glob> {
        match key {
            "dependent-kind" => Some(&mut self.dependent_kind),
            "dependent-name" => Some(&mut self.dependent_name),
            "edge" => Some(&mut self.edge),
            "dependency-kind" => Some(&mut self.dependency_kind),
            "dependency-name" => Some(&mut self.dependency_name),
            _ => None,
        }
    }
}

/// The rule file's condition keys, in the order a rule is printed.
const KEYS: [&str; 5] = [
    "dependent-kind",
    "dependent-name",
    "edge",
    "dependency-kind",
    "dependency-name",
];

impl fmt::Display for Rule {
    /// The rule in the rule-file format, leaving out conditions that are `*`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, glob) in self.conditions() {
            if glob.as_str() != "*" {
                write!(f, "{key}={glob} ")?;
            }
        }
        write!(f, "-> {}", self.kind)
    }
}

/// An ordered rule table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeRules {
    rules: Vec<Rule>,
}

impl Default for EdgeRules {
    /// The table documented in the README (and printed by `Display`).
    fn default() -> EdgeRules {
        let rules = DEFAULT_RULES
            .iter()
            .map(
                |&(
                    dependent_kind,
                    dependent_name,
                    edge,
                    dependency_kind,
                    dependency_name,
                    kind,
                )| {
                    Rule {
                        dependent_kind: Glob::new(dependent_kind),
                        dependent_name: Glob::new(dependent_name),
                        edge: Glob::new(edge),
                        dependency_kind: Glob::new(dependency_kind),
                        dependency_name: Glob::new(dependency_name),
                        kind,
                    }
                },
            )
            .collect();
        EdgeRules { rules }
    }
}

impl EdgeRules {
    pub fn new(rules: Vec<Rule>) -> EdgeRules {
        EdgeRules { rules }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The kind of the first matching rule, else GENERIC.
    pub fn classify(&self, facts: &EdgeFacts<'_>) -> DependencyKind {
        self.matching_rule(facts)
            .map_or(DependencyKind::Generic, |(_, rule)| rule.kind)
    }

    /// The first matching rule and its 0-based position, to explain a classification.
    pub fn matching_rule(&self, facts: &EdgeFacts<'_>) -> Option<(usize, &Rule)> {
        self.rules
            .iter()
            .enumerate()
            .find(|(_, r)| r.matches(facts))
    }

    /// Reads a rule file (see the module docs). The file replaces the default table.
    pub fn parse(text: &str) -> Result<EdgeRules, RuleError> {
        let rules = text
            .lines()
            .enumerate()
            .filter_map(|(i, line)| parse_line(line).transpose().map(|r| (i, r)))
            .map(|(i, rule)| {
                rule.map_err(|problem| RuleError {
                    line: i + 1,
                    problem,
                })
            })
            .collect::<Result<Vec<Rule>, RuleError>>()?;
        Ok(EdgeRules { rules })
    }
}

impl fmt::Display for EdgeRules {
    /// The table in the rule-file format, one rule per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for rule in &self.rules {
            writeln!(f, "{rule}")?;
        }
        Ok(())
    }
}

/// A rule file that cannot be read, with the (1-based) line at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rules line {line}: {problem}")]
pub struct RuleError {
    pub line: usize,
    pub problem: RuleProblem,
}

/// What is wrong with a line of a rule file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleProblem {
    #[error("expected `-> KIND` at the end of the rule")]
    MissingArrow,
    #[error("expected a dependency kind after `->` (one of {kinds})", kinds = kind_names())]
    MissingKind,
    #[error("{0:?} is not a dependency kind (expected one of {kinds})", kinds = kind_names())]
    UnknownKind(String),
    #[error("unexpected {0:?} after the dependency kind")]
    TrailingText(String),
    #[error("{0:?} is not a condition (expected key=glob)")]
    NotACondition(String),
    #[error("{0:?} is not a condition key (expected one of {keys})", keys = KEYS.join(", "))]
    UnknownKey(String),
    #[error("condition {0:?} is given twice")]
    DuplicateKey(String),
    #[error("condition {0:?} has an empty pattern (use * to match anything)")]
    EmptyPattern(String),
}

fn kind_names() -> String {
    DependencyKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// One line: `None` when it holds no rule (blank or comment).
fn parse_line(line: &str) -> Result<Option<Rule>, RuleProblem> {
    // A comment starts at a `#` that begins a word, so `#` can never hide inside a pattern.
    let tokens: Vec<&str> = line
        .split_whitespace()
        .take_while(|t| !t.starts_with('#'))
        .collect();
    if tokens.is_empty() {
        return Ok(None);
    }
    let text = tokens.join(" ");
    let Some((conditions, kind)) = text.split_once("->") else {
        return Err(RuleProblem::MissingArrow);
    };
    let mut kind_words = kind.split_whitespace();
    let Some(kind_text) = kind_words.next() else {
        return Err(RuleProblem::MissingKind);
    };
    let rest: Vec<&str> = kind_words.collect();
    if !rest.is_empty() {
        return Err(RuleProblem::TrailingText(rest.join(" ")));
    }
    let kind = parse_kind(kind_text)?;

    let mut rule = Rule::always(kind);
    let mut seen: Vec<&str> = Vec::new();
    for token in conditions.split_whitespace() {
        let Some((key, pattern)) = token.split_once('=') else {
            return Err(RuleProblem::NotACondition(token.to_owned()));
        };
        if seen.contains(&key) {
            return Err(RuleProblem::DuplicateKey(key.to_owned()));
        }
        let Some(slot) = rule.condition_mut(key) else {
            return Err(RuleProblem::UnknownKey(key.to_owned()));
        };
        if pattern.is_empty() || pattern.split('|').any(str::is_empty) {
            return Err(RuleProblem::EmptyPattern(key.to_owned()));
        }
        *slot = Glob::new(pattern);
        seen.push(key);
    }
    Ok(Some(rule))
}

/// `TEST`, `l10n_repack` and `l10n-repack` all name a kind: rule files are hand-written.
fn parse_kind(text: &str) -> Result<DependencyKind, RuleProblem> {
    text.to_ascii_uppercase()
        .replace('-', "_")
        .parse()
        .map_err(|_| RuleProblem::UnknownKind(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_table_prints_and_reads_back() {
        let defaults = EdgeRules::default();
        assert_eq!(defaults.rules().len(), DEFAULT_RULES.len());
        let text = defaults.to_string();
        assert_eq!(EdgeRules::parse(&text), Ok(defaults));
        assert!(
            text.starts_with(
                "dependency-kind=docker-image|toolchain|fetch|decision|packages -> GENERIC\n"
            ),
            "{text}"
        );
    }

    fn facts<'a>(
        dependent_kind: &'a str,
        edge: &'a str,
        dependency_kind: &'a str,
    ) -> EdgeFacts<'a> {
        EdgeFacts {
            dependent_kind,
            dependent_name: "",
            edge,
            dependency_kind,
            dependency_name: "",
        }
    }

    #[test]
    fn default_table_classifies() {
        use DependencyKind::*;
        let rules = EdgeRules::default();
        let check = |dependent: &str, edge: &str, dependency: &str, expected: DependencyKind| {
            assert_eq!(
                rules.classify(&facts(dependent, edge, dependency)),
                expected,
                "{dependent} -{edge}-> {dependency}"
            );
        };
        check("test", "build", "build", Test);
        check("test", "", "build", Test);
        check("source-test", "build", "", Test);
        check("test", "docker-image", "docker-image", Generic);
        check("test", "", "", Generic);
        check("build", "toolchain-clang", "toolchain", Generic);
        check("shippable-l10n", "build", "build", L10nRepack);
        check("repackage-l10n", "repackage", "repackage", L10nRepack);
        check("shippable-l10n", "docker-image", "docker-image", Generic);
        check("beetmover-repackage", "repackage", "repackage", Release);
        check("release-bouncer-sub", "", "", Release);
        check("balrog", "beetmover", "beetmover-repackage", Release);
        check("repackage-signing", "repackage", "repackage", Generic);
        check("release-signing", "x", "release-x", Release);
        check(
            "checksums-signing",
            "beetmover",
            "beetmover-repackage",
            Release,
        );
        check("evaluate", "train-teacher", "train-teacher", Generic);
    }
}
