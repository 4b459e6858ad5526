//! Treeherder's failure classifications: what a person (or the autoclassifier) says about a
//! failed job, and which of them leave the failure still to be looked at.
//!
//! The eight values, their ids and their names are Treeherder's own (its
//! `failure_classification` table), so bugs, notes and exports keep meaning the same thing on
//! both sides. Like every closed set of the model, a classification has one upper-case
//! spelling for GraphQL and storage (`FIXED_BY_COMMIT`); [`FailureClassification::name`] is
//! Treeherder's lower-case spelling (`"fixed by commit"`) and [`FailureClassification::id`]
//! its stable id.

use std::str::FromStr;

use crate::enums::{UnknownVariant, text_enum};

text_enum! {
    /// What was decided about a failed job. Declared in the order of Treeherder's ids.
    FailureClassification, "failure classification" {
        /// Nobody has looked yet: every failed job starts here.
        NotClassified = "NOT_CLASSIFIED",
        /// The failure is a regression, fixed (or backed out) by a later commit.
        FixedByCommit = "FIXED_BY_COMMIT",
        /// The failure was expected (e.g. a test known to fail on that platform).
        ExpectedFail = "EXPECTED_FAIL",
        /// A known intermittent, usually with its bug.
        Intermittent = "INTERMITTENT",
        /// The machine or the infrastructure failed, not the code.
        Infra = "INFRA",
        /// Marked as a failure never seen before, still to be looked at.
        NewFailureNotClassified = "NEW_FAILURE_NOT_CLASSIFIED",
        /// Matched a failure a person classified as intermittent; a person may override it.
        AutoclassifiedIntermittent = "AUTOCLASSIFIED_INTERMITTENT",
        /// A person judged it intermittent, but no bug is filed for it yet.
        IntermittentNeedsBugid = "INTERMITTENT_NEEDS_BUGID",
    }
}

/// Treeherder's names, in the order of [`FailureClassification::ALL`].
const NAMES: [&str; 8] = [
    "not classified",
    "fixed by commit",
    "expected fail",
    "intermittent",
    "infra",
    "new failure not classified",
    "autoclassified intermittent",
    "intermittent needs bugid",
];

/// The names as an error message lists them.
const EXPECTED_NAMES: &str = "\"not classified\", \"fixed by commit\", \"expected fail\", \
     \"intermittent\", \"infra\", \"new failure not classified\", \
     \"autoclassified intermittent\", \"intermittent needs bugid\"";

/// The ids as an error message lists them.
const EXPECTED_IDS: &str = "1 to 8";

impl FailureClassification {
    /// Treeherder's stable id (its `failure_classification.id`): 1 to 8.
    pub const fn id(self) -> i32 {
        // The variants are declared in the order of Treeherder's ids, from 1 (the fixture
        // test checks every id against Treeherder's table).
        self as i32 + 1
    }

    /// The classification with Treeherder's id `id`.
    pub fn from_id(id: i64) -> Result<Self, UnknownVariant> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| i64::from(c.id()) == id)
            .ok_or_else(|| UnknownVariant {
                kind: "failure classification id",
                value: id.to_string(),
                expected: EXPECTED_IDS,
            })
    }

    /// Treeherder's name, spelt exactly as Treeherder does (`"fixed by commit"`).
    pub const fn name(self) -> &'static str {
        NAMES[self as usize]
    }

    /// The classification Treeherder calls `name` (exact spelling, as [`Self::name`] gives).
    pub fn from_name(name: &str) -> Result<Self, UnknownVariant> {
        Self::ALL
            .iter()
            .copied()
            .find(|c| c.name() == name)
            .ok_or_else(|| UnknownVariant {
                kind: "failure classification name",
                value: name.to_owned(),
                expected: EXPECTED_NAMES,
            })
    }

    /// Reads either spelling: ours (`FIXED_BY_COMMIT`, what [`FromStr`] reads) or Treeherder's
    /// (`fixed by commit`), for input that may come from either side (an import, a CLI).
    pub fn parse_any(text: &str) -> Result<Self, UnknownVariant> {
        Self::from_str(text).or_else(|_| {
            Self::from_name(text).map_err(|_| UnknownVariant {
                kind: "failure classification",
                value: text.to_owned(),
                expected: "one of NOT_CLASSIFIED FIXED_BY_COMMIT EXPECTED_FAIL INTERMITTENT \
                           INFRA NEW_FAILURE_NOT_CLASSIFIED AUTOCLASSIFIED_INTERMITTENT \
                           INTERMITTENT_NEEDS_BUGID, or Treeherder's lower-case name",
            })
        })
    }

    /// Whether a failed job so classified has been dealt with. As in Treeherder's job view,
    /// "not classified" and "new failure not classified" are the two that still call for a
    /// sheriff: they are what "failed and unclassified" counts and what the keyboard steps
    /// through. An autoclassified intermittent counts as classified (a person may still
    /// override it), and so does "intermittent needs bugid" (a person judged it; only the bug
    /// is missing).
    pub const fn is_classified(self) -> bool {
        !matches!(self, Self::NotClassified | Self::NewFailureNotClassified)
    }

    /// Whether this is a person's judgement, which the autoclassifier never replaces. The
    /// autoclassifier may replace the rest: the two unclassified states (which nobody chose)
    /// and its own earlier "autoclassified intermittent".
    pub const fn made_by_person(self) -> bool {
        matches!(
            self,
            Self::FixedByCommit
                | Self::ExpectedFail
                | Self::Intermittent
                | Self::Infra
                | Self::IntermittentNeedsBugid
        )
    }

    /// Whether the autoclassifier made this classification (and a person may override it).
    pub const fn is_automatic(self) -> bool {
        matches!(self, Self::AutoclassifiedIntermittent)
    }

    /// Whether the failure is judged intermittent (by a person or automatically): what the
    /// intermittent-failures view counts per bug.
    pub const fn is_intermittent(self) -> bool {
        matches!(
            self,
            Self::Intermittent | Self::AutoclassifiedIntermittent | Self::IntermittentNeedsBugid
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FailureClassification::*;

    #[test]
    fn the_error_message_lists_exactly_the_names() {
        let listed: Vec<String> = NAMES.iter().map(|n| format!("{n:?}")).collect();
        assert_eq!(EXPECTED_NAMES, listed.join(", "));
    }

    #[test]
    fn ids_names_and_spellings_go_both_ways() {
        for (index, c) in FailureClassification::ALL.iter().copied().enumerate() {
            assert_eq!(c.id() as usize, index + 1, "{c}");
            assert_eq!(FailureClassification::from_id(c.id().into()), Ok(c));
            assert_eq!(FailureClassification::from_name(c.name()), Ok(c));
            assert_eq!(c.as_str().parse::<FailureClassification>(), Ok(c));
            assert_eq!(FailureClassification::parse_any(c.name()), Ok(c));
            assert_eq!(FailureClassification::parse_any(c.as_str()), Ok(c));
            // Serde speaks the GraphQL spelling, as every enum of the model does.
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(
                serde_json::from_str::<FailureClassification>(&json).unwrap(),
                c
            );
        }
        assert_eq!(
            AutoclassifiedIntermittent.name(),
            "autoclassified intermittent"
        );
        assert_eq!(FixedByCommit.as_str(), "FIXED_BY_COMMIT");
    }

    #[test]
    fn unknown_names_and_ids_are_refused_clearly() {
        let err = FailureClassification::from_name("Intermittent").unwrap_err();
        assert!(
            err.to_string().starts_with(
                r#""Intermittent" is not a failure classification name (expected one of "not classified", "fixed by commit""#
            ),
            "{err}"
        );
        for bad in ["", "flaky", "intermittent ", "fixed_by_commit"] {
            assert!(FailureClassification::from_name(bad).is_err(), "{bad:?}");
            assert!(FailureClassification::parse_any(bad).is_err(), "{bad:?}");
        }
        assert!("intermittent".parse::<FailureClassification>().is_err());
        let err = FailureClassification::from_id(9).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#""9" is not a failure classification id (expected one of 1 to 8)"#
        );
        assert!(FailureClassification::from_id(0).is_err());
        assert!(serde_json::from_str::<FailureClassification>("\"intermittent\"").is_err());
    }

    #[test]
    fn which_leave_a_failure_to_look_at_and_who_made_them() {
        // (classification, classified, by a person, automatic, intermittent)
        let table = [
            (NotClassified, false, false, false, false),
            (FixedByCommit, true, true, false, false),
            (ExpectedFail, true, true, false, false),
            (Intermittent, true, true, false, true),
            (Infra, true, true, false, false),
            (NewFailureNotClassified, false, false, false, false),
            (AutoclassifiedIntermittent, true, false, true, true),
            (IntermittentNeedsBugid, true, true, false, true),
        ];
        assert_eq!(table.len(), FailureClassification::ALL.len());
        for (c, classified, person, automatic, intermittent) in table {
            assert_eq!(
                (
                    c.is_classified(),
                    c.made_by_person(),
                    c.is_automatic(),
                    c.is_intermittent()
                ),
                (classified, person, automatic, intermittent),
                "{c}"
            );
        }
    }

    /// Every id and name of Treeherder's fixture (`failure_classifications.json`, a Django
    /// fixture: `pk` and `fields.name`) maps to a classification and back.
    #[test]
    fn matches_treeherders_fixture() {
        let Some(path) =
            treeherd_testkit::fixture("treeherder/sheriffing/failure_classifications.json")
        else {
            return;
        };
        let text = std::fs::read_to_string(path).unwrap();
        let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(rows.len(), FailureClassification::ALL.len());
        for row in &rows {
            let id = row["pk"].as_i64().unwrap();
            let name = row["fields"]["name"].as_str().unwrap();
            let by_id = FailureClassification::from_id(id).unwrap();
            assert_eq!(by_id.name(), name, "id {id}");
            let by_name = FailureClassification::from_name(name).unwrap();
            assert_eq!(i64::from(by_name.id()), id, "{name}");
        }
    }
}
