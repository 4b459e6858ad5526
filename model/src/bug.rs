//! A bug as treeherd keeps it locally (Bugzilla's fields that sheriffing needs), its checks,
//! and the one rule for duplicates: a bug marked a duplicate stands for the bug it duplicates.
//!
//! Bugs come from Bugzilla (an imported file, or a periodic fetch); treeherd suggests them for
//! failure lines and counts failures per bug. Whatever way they come in, they are a
//! [`NewBug`], checked here, so the store and every importer share one definition.

use std::collections::BTreeSet;

use crate::BugId;

/// A bug as an import gives it: Bugzilla's REST fields, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBug {
    pub id: BugId,
    /// Bugzilla's status (`NEW`, `ASSIGNED`, `REOPENED`, `RESOLVED`...): text, since a
    /// Bugzilla instance may define its own.
    pub status: String,
    /// `FIXED`, `DUPLICATE`, `INCOMPLETE`...; `None` while the bug is open (Bugzilla's "").
    pub resolution: Option<String>,
    pub summary: String,
    /// The bug this one duplicates.
    pub dupe_of: Option<BugId>,
    /// Bugzilla's `cf_crash_signature` (`[@ signature]`, one or more); `None` when empty.
    pub crash_signature: Option<String>,
    pub keywords: Vec<String>,
    /// `None` when empty.
    pub whiteboard: Option<String>,
    /// When the bug last changed, in unix microseconds.
    pub last_change: i64,
}

/// A field of a bug, for errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BugField {
    Id,
    Status,
    Resolution,
    Summary,
    DupeOf,
    CrashSignature,
    Keywords,
    Whiteboard,
    LastChange,
}

impl BugField {
    /// Its name in Bugzilla's REST answer (`cf_crash_signature`).
    pub fn bugzilla_name(self) -> &'static str {
        match self {
            BugField::Id => "id",
            BugField::Status => "status",
            BugField::Resolution => "resolution",
            BugField::Summary => "summary",
            BugField::DupeOf => "dupe_of",
            BugField::CrashSignature => "cf_crash_signature",
            BugField::Keywords => "keywords",
            BugField::Whiteboard => "whiteboard",
            BugField::LastChange => "last_change_time",
        }
    }

    /// Its name in GraphQL's `Bug` (`crashSignature`).
    pub fn graphql_name(self) -> &'static str {
        match self {
            BugField::Id => "id",
            BugField::Status => "status",
            BugField::Resolution => "resolution",
            BugField::Summary => "summary",
            BugField::DupeOf => "dupeOf",
            BugField::CrashSignature => "crashSignature",
            BugField::Keywords => "keywords",
            BugField::Whiteboard => "whiteboard",
            BugField::LastChange => "lastChange",
        }
    }
}

/// A bug that breaks a rule: which field, and how.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {problem}", field.bugzilla_name())]
pub struct InvalidBug {
    pub field: BugField,
    pub problem: String,
}

/// The longest status, resolution or keyword (Bugzilla's are a few words at most).
const MAX_WORD: usize = 64;
/// The longest summary, crash signature or whiteboard: far above any real bug's, low enough
/// that one record cannot fill the store.
const MAX_TEXT: usize = 10_000;
/// The most keywords a bug may have.
const MAX_KEYWORDS: usize = 100;

impl NewBug {
    /// Normalises (trims; an empty resolution, crash signature or whiteboard becomes `None`)
    /// and checks every field: ids are positive and a bug does not duplicate itself, a status
    /// is one word, texts are not huge, keywords are words.
    pub fn check(&mut self) -> Result<(), InvalidBug> {
        let fail = |field, problem: String| Err(InvalidBug { field, problem });
        if self.id.0 <= 0 {
            return fail(
                BugField::Id,
                format!("{} is not a positive bug id", self.id),
            );
        }
        match self.dupe_of {
            Some(dupe) if dupe.0 <= 0 => {
                return fail(BugField::DupeOf, format!("{dupe} is not a positive bug id"));
            }
            Some(dupe) if dupe == self.id => {
                return fail(
                    BugField::DupeOf,
                    format!("bug {dupe} cannot duplicate itself"),
                );
            }
            _ => {}
        }
        self.status = self.status.trim().to_owned();
        check_word(BugField::Status, &self.status)?;
        for value in [
            &mut self.resolution,
            &mut self.crash_signature,
            &mut self.whiteboard,
        ] {
            let text = value.as_deref().map(str::trim).unwrap_or_default();
            *value = (!text.is_empty()).then(|| text.to_owned());
        }
        if let Some(resolution) = &self.resolution {
            check_word(BugField::Resolution, resolution)?;
        }
        self.summary = self.summary.trim().to_owned();
        for (field, text) in [
            (BugField::Summary, Some(&self.summary)),
            (BugField::CrashSignature, self.crash_signature.as_ref()),
            (BugField::Whiteboard, self.whiteboard.as_ref()),
        ] {
            if text.is_some_and(|t| t.chars().count() > MAX_TEXT) {
                return fail(field, format!("must be at most {MAX_TEXT} characters"));
            }
        }
        if self.keywords.len() > MAX_KEYWORDS {
            return fail(
                BugField::Keywords,
                format!("must be at most {MAX_KEYWORDS} keywords"),
            );
        }
        for keyword in &mut self.keywords {
            *keyword = keyword.trim().to_owned();
            check_word(BugField::Keywords, keyword)?;
        }
        Ok(())
    }

    /// Whether the bug is open: Bugzilla gives an open bug no resolution.
    pub fn is_open(&self) -> bool {
        self.resolution.is_none()
    }
}

fn check_word(field: BugField, value: &str) -> Result<(), InvalidBug> {
    let problem = if value.is_empty() {
        "must not be empty".to_owned()
    } else if value.chars().count() > MAX_WORD {
        format!("must be at most {MAX_WORD} characters")
    } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        format!("{value:?} must not contain spaces")
    } else {
        return Ok(());
    };
    Err(InvalidBug { field, problem })
}

/// The bug that `id` stands for: `id` itself, or, when it is a duplicate, the end of its
/// chain of `dupe_of`s (`dupe_of` gives a bug's, or `None` for a bug that duplicates nothing
/// or is not known). A target not known locally is still the target.
///
/// Bugzilla refuses cycles, but local data can hold one (two imports at different times).
/// A chain that comes back on itself resolves to the lowest id of the cycle, so every bug of
/// the cycle (and every bug leading into it) resolves to the same one, and the walk ends.
pub fn resolve_duplicate(id: BugId, dupe_of: impl Fn(BugId) -> Option<BugId>) -> BugId {
    let mut chain = vec![id];
    let mut seen = BTreeSet::from([id]);
    let mut current = id;
    while let Some(next) = dupe_of(current) {
        if !seen.insert(next) {
            let start = chain.iter().position(|b| *b == next).unwrap_or(0);
            return chain[start..].iter().copied().min().unwrap_or(next);
        }
        chain.push(next);
        current = next;
    }
    current
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn bug() -> NewBug {
        NewBug {
            id: BugId(1_054_669),
            status: " NEW ".into(),
            resolution: Some(String::new()),
            summary: " Intermittent test_foo.py | application crashed ".into(),
            dupe_of: None,
            crash_signature: Some("".into()),
            keywords: vec!["intermittent-failure".into()],
            whiteboard: Some("  ".into()),
            last_change: 1_723_936_538_000_000,
        }
    }

    /// The field and problem `change` leads to, or `None` when the bug stays valid.
    fn check(change: impl FnOnce(&mut NewBug)) -> Option<(&'static str, String)> {
        let mut b = bug();
        change(&mut b);
        b.check()
            .err()
            .map(|e| (e.field.bugzilla_name(), e.problem))
    }

    #[test]
    fn normalises_empty_texts_to_none() {
        let mut b = bug();
        b.check().unwrap();
        assert_eq!(b.status, "NEW");
        assert_eq!(b.summary, "Intermittent test_foo.py | application crashed");
        assert_eq!(
            (b.resolution, b.crash_signature, b.whiteboard),
            (None, None, None)
        );
        let mut b = bug();
        b.resolution = Some("FIXED".into());
        b.check().unwrap();
        assert!(!b.is_open());
    }

    /// A change to a valid bug, the field it breaks, and a phrase of the problem.
    type Case = (Box<dyn FnOnce(&mut NewBug)>, &'static str, &'static str);

    #[test]
    fn refuses_each_broken_field_by_name() {
        let cases: Vec<Case> = vec![
            (Box::new(|b| b.id = BugId(0)), "id", "not a positive bug id"),
            (
                Box::new(|b| b.id = BugId(-3)),
                "id",
                "not a positive bug id",
            ),
            (
                Box::new(|b| b.dupe_of = Some(BugId(-1))),
                "dupe_of",
                "not a positive bug id",
            ),
            (
                Box::new(|b| b.dupe_of = Some(BugId(1_054_669))),
                "dupe_of",
                "cannot duplicate itself",
            ),
            (
                Box::new(|b| b.status = " ".into()),
                "status",
                "must not be empty",
            ),
            (
                Box::new(|b| b.status = "NEW BUG".into()),
                "status",
                "must not contain spaces",
            ),
            (
                Box::new(|b| b.resolution = Some("x".repeat(65))),
                "resolution",
                "at most 64",
            ),
            (
                Box::new(|b| b.summary = "x".repeat(10_001)),
                "summary",
                "at most 10000",
            ),
            (
                Box::new(|b| b.keywords = vec!["".into()]),
                "keywords",
                "must not be empty",
            ),
            (
                Box::new(|b| b.keywords = vec!["a"; 101].into_iter().map(Into::into).collect()),
                "keywords",
                "at most 100 keywords",
            ),
        ];
        for (change, field, problem) in cases {
            let (got_field, got) = check(change).expect("refused");
            assert_eq!(got_field, field, "{got}");
            assert!(got.contains(problem), "{field}: {got}");
        }
        assert_eq!(check(|b| b.dupe_of = Some(BugId(1))), None);
    }

    /// The target of `id` over `dupes` (`(bug, dupe_of)` pairs).
    fn resolve(dupes: &[(i64, i64)], id: i64) -> i64 {
        let map: HashMap<BugId, BugId> =
            dupes.iter().map(|(a, b)| (BugId(*a), BugId(*b))).collect();
        resolve_duplicate(BugId(id), |b| map.get(&b).copied()).0
    }

    #[test]
    fn duplicates_resolve_to_the_end_of_their_chain() {
        let dupes = [(2, 3), (3, 4), (5, 6)];
        assert_eq!(resolve(&dupes, 1), 1);
        assert_eq!(resolve(&dupes, 2), 4);
        assert_eq!(resolve(&dupes, 3), 4);
        assert_eq!(resolve(&dupes, 4), 4);
        // A target not known locally is still the target.
        assert_eq!(resolve(&dupes, 5), 6);
    }

    #[test]
    fn a_cycle_resolves_to_its_lowest_id_from_everywhere() {
        let dupes = [(10, 30), (30, 20), (20, 10), (40, 30), (50, 50)];
        for id in [10, 20, 30, 40] {
            assert_eq!(resolve(&dupes, id), 10, "{id}");
        }
        assert_eq!(resolve(&dupes, 50), 50);
    }
}
