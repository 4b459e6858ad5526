//! When a failure is classified automatically: the one rule that decides whether a failure line
//! (and then its job) becomes "autoclassified intermittent", kept pure so that ingestion, a
//! backfill and a test all decide the same way, with SQL only loading the precedents around it.
//!
//! A line is autoclassified when, in its repository and under its recurrence key (its test and
//! its cleaned message), the latest classification a *person* made within the window before it
//! failed is an intermittent one; that classification's bugs carry over. Automatic
//! classifications are never precedents, so one person's judgement cannot spread by chains of
//! the autoclassifier's own; a classification a person made on the line or its job is never
//! replaced. A job is autoclassified only when every one of its failure lines is.
//!
//! Guard against hiding a regression: the latest person's judgement of the key decides, so once
//! a person says a recurrence is fixed by commit (or anything but intermittent), matching lines
//! are left for a sheriff again, however many intermittent judgements came before it.

use std::time::Duration;

use crate::{BugId, FailureClassification, RepositoryId};

/// What recurrences are counted under: the test and the cleaned message's recurrence key
/// (`treeherd_logparse::recurrence_key`). Both must be equal for two lines to match.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecurrenceKey {
    pub test: String,
    pub message: String,
}

/// A failure line to decide about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureLine {
    pub repository: RepositoryId,
    pub key: RecurrenceKey,
    /// When it failed (unix microseconds).
    pub failed_at: i64,
    /// The line's classification now (`NotClassified` when nobody said anything).
    pub line: FailureClassification,
    /// Its job's classification now.
    pub job: FailureClassification,
}

/// A classification made earlier on a line with a recurrence key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Precedent {
    pub repository: RepositoryId,
    pub key: RecurrenceKey,
    /// When the classified line failed (unix microseconds).
    pub at: i64,
    /// Who made it follows from it: [`FailureClassification::made_by_person`].
    pub classification: FailureClassification,
    pub bugs: Vec<BugId>,
}

/// How far back a person's classification still counts, inclusive at both ends: a precedent
/// counts when `failed_at - window <= at <= failed_at`. A precedent later than the failure does
/// not count, so replaying history decides as it was decided live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window(pub Duration);

impl Window {
    /// Whether a precedent at `at` counts for a failure at `failed_at`.
    pub fn covers(self, failed_at: i64, at: i64) -> bool {
        // A window too long to count in microseconds is the longest that can be counted.
        let micros = i64::try_from(self.0.as_micros()).unwrap_or(i64::MAX);
        at <= failed_at && at >= failed_at.saturating_sub(micros)
    }
}

/// The decision for a line or a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Autoclassification {
    /// Classify as [`FailureClassification::AutoclassifiedIntermittent`] with these bugs
    /// (sorted, without repeats; empty when the precedent was "intermittent needs bugid").
    Classify { bugs: Vec<BugId> },
    /// Leave the classification as it is.
    Leave(Reason),
}

/// Why a line or job is left as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A person classified the line or its job: never replaced.
    ClassifiedByPerson,
    /// No person classified this key in this repository within the window.
    NoPrecedent,
    /// The latest person's classification of the key (in the window) is this, not intermittent.
    LatestNotIntermittent(FailureClassification),
    /// A job with no failure lines is never autoclassified.
    NoFailureLines,
    /// Some failure line of the job is not autoclassified.
    LineNotAutoclassified,
}

/// The decision for `line` given the classifications made earlier (in any order; the store
/// may pass precedents of other keys and repositories, which do not count). Of the person's
/// classifications of the same repository and key within `window`, the latest decides; at equal
/// times the later in `history` wins (the store passes them in the order written).
pub fn classify_line(
    line: &FailureLine,
    history: &[Precedent],
    window: Window,
) -> Autoclassification {
    if line.line.made_by_person() || line.job.made_by_person() {
        return Autoclassification::Leave(Reason::ClassifiedByPerson);
    }
    let latest = history
        .iter()
        .filter(|p| {
            p.repository == line.repository
                && p.key == line.key
                && p.classification.made_by_person()
                && window.covers(line.failed_at, p.at)
        })
        // `max_by_key` keeps the last of equal keys: the later written.
        .max_by_key(|p| p.at);
    match latest {
        None => Autoclassification::Leave(Reason::NoPrecedent),
        Some(p) if p.classification.is_intermittent() => Autoclassification::Classify {
            bugs: sorted(p.bugs.iter().copied()),
        },
        Some(p) => Autoclassification::Leave(Reason::LatestNotIntermittent(p.classification)),
    }
}

/// The decision for a job now classified `job`, from the decisions for its failure lines: it
/// is autoclassified only when it has failure lines and every one is, with all their bugs.
pub fn classify_job(
    job: FailureClassification,
    lines: &[Autoclassification],
) -> Autoclassification {
    if job.made_by_person() {
        return Autoclassification::Leave(Reason::ClassifiedByPerson);
    }
    if lines.is_empty() {
        return Autoclassification::Leave(Reason::NoFailureLines);
    }
    let mut bugs = Vec::new();
    for line in lines {
        match line {
            Autoclassification::Classify { bugs: line_bugs } => bugs.extend(line_bugs),
            Autoclassification::Leave(_) => {
                return Autoclassification::Leave(Reason::LineNotAutoclassified);
            }
        }
    }
    Autoclassification::Classify { bugs: sorted(bugs) }
}

fn sorted(bugs: impl IntoIterator<Item = BugId>) -> Vec<BugId> {
    let mut bugs: Vec<BugId> = bugs.into_iter().collect();
    bugs.sort_unstable();
    bugs.dedup();
    bugs
}

#[cfg(test)]
mod tests {
    use super::*;
    use Autoclassification::*;
    use FailureClassification::*;
    use Reason::*;

    const HOUR: i64 = 3_600_000_000;
    const DAY: i64 = 24 * HOUR;
    const NOW: i64 = 1_000 * DAY;
    const REPO: RepositoryId = RepositoryId(1);
    const OTHER_REPO: RepositoryId = RepositoryId(2);

    fn window() -> Window {
        Window(Duration::from_secs(7 * 24 * 3600))
    }

    fn key(test: &str, message: &str) -> RecurrenceKey {
        RecurrenceKey {
            test: test.to_owned(),
            message: message.to_owned(),
        }
    }

    fn the_key() -> RecurrenceKey {
        key(
            "dom/test_a.html",
            "TEST-UNEXPECTED-FAIL | got X, expected Y",
        )
    }

    fn line(line: FailureClassification, job: FailureClassification) -> FailureLine {
        FailureLine {
            repository: REPO,
            key: the_key(),
            failed_at: NOW,
            line,
            job,
        }
    }

    fn fresh() -> FailureLine {
        line(NotClassified, NotClassified)
    }

    fn by(classification: FailureClassification, at: i64, bugs: &[i64]) -> Precedent {
        Precedent {
            repository: REPO,
            key: the_key(),
            at,
            classification,
            bugs: bugs.iter().copied().map(BugId).collect(),
        }
    }

    fn classify(bugs: &[i64]) -> Autoclassification {
        Classify {
            bugs: bugs.iter().copied().map(BugId).collect(),
        }
    }

    fn check(line: &FailureLine, history: &[Precedent], expected: Autoclassification) {
        assert_eq!(
            classify_line(line, history, window()),
            expected,
            "{line:?} after {history:?}"
        );
    }

    #[test]
    fn a_persons_intermittent_within_the_window_carries_its_bugs() {
        check(
            &fresh(),
            &[by(Intermittent, NOW - DAY, &[1234])],
            classify(&[1234]),
        );
        check(
            &fresh(),
            &[by(Intermittent, NOW - DAY, &[9, 3, 9])],
            classify(&[3, 9]),
        );
        // A person judged it intermittent without a bug: autoclassified without one.
        check(
            &fresh(),
            &[by(IntermittentNeedsBugid, NOW - DAY, &[])],
            classify(&[]),
        );
        check(&fresh(), &[], Leave(NoPrecedent));
    }

    #[test]
    fn the_window_is_inclusive_at_both_ends_and_looks_back_only() {
        check(
            &fresh(),
            &[by(Intermittent, NOW - 7 * DAY, &[1])],
            classify(&[1]),
        );
        check(
            &fresh(),
            &[by(Intermittent, NOW - 7 * DAY - 1, &[1])],
            Leave(NoPrecedent),
        );
        check(&fresh(), &[by(Intermittent, NOW, &[1])], classify(&[1]));
        check(
            &fresh(),
            &[by(Intermittent, NOW + 1, &[1])],
            Leave(NoPrecedent),
        );
        let zero = Window(Duration::ZERO);
        let history = [by(Intermittent, NOW, &[1])];
        assert_eq!(classify_line(&fresh(), &history, zero), classify(&[1]));
        let history = [by(Intermittent, NOW - 1, &[1])];
        assert_eq!(classify_line(&fresh(), &history, zero), Leave(NoPrecedent));
        let forever = Window(Duration::MAX);
        let history = [by(Intermittent, -NOW, &[1])];
        assert_eq!(classify_line(&fresh(), &history, forever), classify(&[1]));
    }

    #[test]
    fn only_the_same_repository_and_key_match() {
        let mut other_repo = by(Intermittent, NOW - DAY, &[1]);
        other_repo.repository = OTHER_REPO;
        check(&fresh(), &[other_repo], Leave(NoPrecedent));
        for other in [
            key("dom/test_b.html", &the_key().message),
            key(&the_key().test, "TEST-UNEXPECTED-TIMEOUT"),
        ] {
            let mut other_key = by(Intermittent, NOW - DAY, &[1]);
            other_key.key = other;
            check(&fresh(), &[other_key], Leave(NoPrecedent));
        }
    }

    #[test]
    fn automatic_classifications_are_no_precedent() {
        check(
            &fresh(),
            &[by(AutoclassifiedIntermittent, NOW - DAY, &[1])],
            Leave(NoPrecedent),
        );
        // Nor are the unclassified states, nor do they hide an older person's judgement.
        check(
            &fresh(),
            &[
                by(Intermittent, NOW - 3 * DAY, &[1]),
                by(AutoclassifiedIntermittent, NOW - DAY, &[2]),
                by(NotClassified, NOW - HOUR, &[]),
                by(NewFailureNotClassified, NOW - HOUR, &[]),
            ],
            classify(&[1]),
        );
        // A chain: the person's judgement fell out of the window; the autoclassifier's own
        // later ones inside it do not keep it alive.
        check(
            &fresh(),
            &[
                by(Intermittent, NOW - 30 * DAY, &[1]),
                by(AutoclassifiedIntermittent, NOW - 20 * DAY, &[1]),
                by(AutoclassifiedIntermittent, NOW - DAY, &[1]),
            ],
            Leave(NoPrecedent),
        );
    }

    #[test]
    fn the_latest_persons_judgement_decides() {
        check(
            &fresh(),
            &[
                by(Intermittent, NOW - 3 * DAY, &[1]),
                by(Intermittent, NOW - DAY, &[2]),
                by(Intermittent, NOW - 2 * DAY, &[3]),
            ],
            classify(&[2]),
        );
        // At equal times the later written wins.
        check(
            &fresh(),
            &[
                by(Intermittent, NOW - DAY, &[1]),
                by(Intermittent, NOW - DAY, &[2]),
            ],
            classify(&[2]),
        );
        // A regression found since: left for a sheriff.
        for judged in [FixedByCommit, ExpectedFail, Infra] {
            check(
                &fresh(),
                &[
                    by(Intermittent, NOW - 3 * DAY, &[1]),
                    by(judged, NOW - DAY, &[]),
                ],
                Leave(LatestNotIntermittent(judged)),
            );
            // Judged intermittent again after that: autoclassified again.
            check(
                &fresh(),
                &[
                    by(judged, NOW - DAY, &[]),
                    by(Intermittent, NOW - HOUR, &[5]),
                ],
                classify(&[5]),
            );
        }
    }

    #[test]
    fn a_person_is_never_overridden() {
        let history = [by(Intermittent, NOW - DAY, &[1])];
        for c in FailureClassification::ALL.iter().copied() {
            let expected = if c.made_by_person() {
                Leave(ClassifiedByPerson)
            } else {
                classify(&[1])
            };
            check(&line(c, NotClassified), &history, expected.clone());
            check(&line(NotClassified, c), &history, expected);
        }
        // The autoclassifier may redo its own decision.
        check(
            &line(AutoclassifiedIntermittent, AutoclassifiedIntermittent),
            &history,
            classify(&[1]),
        );
    }

    #[test]
    fn a_job_follows_only_when_every_line_is_autoclassified() {
        let table = [
            (NotClassified, vec![classify(&[1])], classify(&[1])),
            (
                NotClassified,
                vec![classify(&[2]), classify(&[1, 2]), classify(&[])],
                classify(&[1, 2]),
            ),
            (
                AutoclassifiedIntermittent,
                vec![classify(&[1])],
                classify(&[1]),
            ),
            (
                NewFailureNotClassified,
                vec![classify(&[1])],
                classify(&[1]),
            ),
            (
                NotClassified,
                vec![classify(&[1]), Leave(NoPrecedent)],
                Leave(LineNotAutoclassified),
            ),
            (
                NotClassified,
                vec![Leave(ClassifiedByPerson), classify(&[1])],
                Leave(LineNotAutoclassified),
            ),
            (NotClassified, vec![], Leave(NoFailureLines)),
            (
                Intermittent,
                vec![classify(&[1])],
                Leave(ClassifiedByPerson),
            ),
            (
                FixedByCommit,
                vec![classify(&[1])],
                Leave(ClassifiedByPerson),
            ),
        ];
        for (job, lines, expected) in table {
            assert_eq!(classify_job(job, &lines), expected, "{job} {lines:?}");
        }
    }
}
