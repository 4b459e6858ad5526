//! The rule-file format: a good file, and every kind of mistake with its line.

use treeherd_ingest::{EdgeFacts, EdgeRules, RuleError, RuleProblem};
use treeherd_model::DependencyKind;

const GOOD: &str = "\
# Project rules for treeherd.
   # indented comment

dependent-kind=test|test-* edge=build -> TEST   # tests wait on their build
dependency-kind=build*   dependent-kind=*-test ->   test
edge=*l10n* -> l10n-repack
dependent-name=release-?-* dependency-name=*signing* -> L10N_REPACK
-> generic
";

#[test]
fn a_good_file() {
    let rules = EdgeRules::parse(GOOD).unwrap();
    assert_eq!(rules.rules().len(), 5);
    let kinds: Vec<DependencyKind> = rules.rules().iter().map(|r| r.kind).collect();
    use DependencyKind::*;
    assert_eq!(kinds, [Test, Test, L10nRepack, L10nRepack, Generic]);
    assert_eq!(
        rules.to_string(),
        "dependent-kind=test|test-* edge=build -> TEST\n\
         dependent-kind=*-test dependency-kind=build* -> TEST\n\
         edge=*l10n* -> L10N_REPACK\n\
         dependent-name=release-?-* dependency-name=*signing* -> L10N_REPACK\n\
         -> GENERIC\n"
    );
    let facts = EdgeFacts {
        dependent_kind: "source-test",
        dependency_kind: "build-signing",
        ..EdgeFacts::default()
    };
    assert_eq!(rules.matching_rule(&facts).map(|(i, _)| i), Some(1));
    let facts = EdgeFacts {
        dependent_name: "release-1-foo",
        dependency_name: "x-signing",
        ..EdgeFacts::default()
    };
    assert_eq!(rules.classify(&facts), L10nRepack);
    // The catch-all is the last rule.
    assert_eq!(
        rules.matching_rule(&EdgeFacts::default()).map(|(i, _)| i),
        Some(4)
    );
}

#[test]
fn an_empty_file_makes_every_edge_generic() {
    let rules = EdgeRules::parse("# nothing\n\n").unwrap();
    assert!(rules.rules().is_empty());
    let facts = EdgeFacts {
        dependent_kind: "test",
        edge: "build",
        ..EdgeFacts::default()
    };
    assert_eq!(rules.classify(&facts), DependencyKind::Generic);
}

#[test]
fn every_kind_of_mistake() {
    let check = |text: &str, line: usize, problem: RuleProblem, message: &str| {
        let err = EdgeRules::parse(text).unwrap_err();
        assert_eq!(err, RuleError { line, problem });
        assert_eq!(err.to_string(), message);
    };
    check(
        "edge=build -> TEST\nedge=build TEST\n",
        2,
        RuleProblem::MissingArrow,
        "rules line 2: expected `-> KIND` at the end of the rule",
    );
    check(
        "\n\nedge=build ->   # kind forgotten",
        3,
        RuleProblem::MissingKind,
        "rules line 3: expected a dependency kind after `->` (one of TEST, RELEASE, L10N_REPACK, GENERIC)",
    );
    check(
        "edge=build -> TESTS",
        1,
        RuleProblem::UnknownKind("TESTS".into()),
        "rules line 1: \"TESTS\" is not a dependency kind (expected one of TEST, RELEASE, L10N_REPACK, GENERIC)",
    );
    check(
        "edge=build -> TEST RELEASE",
        1,
        RuleProblem::TrailingText("RELEASE".into()),
        "rules line 1: unexpected \"RELEASE\" after the dependency kind",
    );
    check(
        "test edge=build -> TEST",
        1,
        RuleProblem::NotACondition("test".into()),
        "rules line 1: \"test\" is not a condition (expected key=glob)",
    );
    check(
        "kind=test -> TEST",
        1,
        RuleProblem::UnknownKey("kind".into()),
        "rules line 1: \"kind\" is not a condition key (expected one of dependent-kind, \
         dependent-name, edge, dependency-kind, dependency-name)",
    );
    check(
        "edge=build edge=signing -> TEST",
        1,
        RuleProblem::DuplicateKey("edge".into()),
        "rules line 1: condition \"edge\" is given twice",
    );
    check(
        "edge= -> TEST",
        1,
        RuleProblem::EmptyPattern("edge".into()),
        "rules line 1: condition \"edge\" has an empty pattern (use * to match anything)",
    );
    check(
        "edge=build|| -> TEST",
        1,
        RuleProblem::EmptyPattern("edge".into()),
        "rules line 1: condition \"edge\" has an empty pattern (use * to match anything)",
    );
    check(
        "edge=a -> TEST -> GENERIC",
        1,
        RuleProblem::TrailingText("-> GENERIC".into()),
        "rules line 1: unexpected \"-> GENERIC\" after the dependency kind",
    );
}

#[test]
fn the_default_table_as_text() {
    assert_eq!(
        EdgeRules::default().to_string(),
        "dependency-kind=docker-image|toolchain|fetch|decision|packages -> GENERIC\n\
         dependent-kind=test|tests|test-*|*-test|*-tests|perftest* edge=build -> TEST\n\
         dependent-kind=test|tests|test-*|*-test|*-tests|perftest* dependency-kind=build* -> TEST\n\
         edge=*l10n* -> L10N_REPACK\n\
         dependent-kind=*l10n* -> L10N_REPACK\n\
         dependent-kind=beetmover*|balrog*|release-*|push-*|ship-*|bouncer* -> RELEASE\n\
         dependent-kind=*signing* dependency-kind=beetmover*|balrog*|release-*|push-*|ship-*|bouncer* -> RELEASE\n"
    );
}
