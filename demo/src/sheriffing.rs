//! The demo's sheriffing: its bugs imported, people's classifications of the failures, and
//! the autoclassifier run on every parsed log, all through the service's own calls (the ones
//! `treeherd import bugs`, `classifyJobs` and the parse worker use). Nothing is written to the
//! classification tables any other way: an AUTOCLASSIFIED_INTERMITTENT job of the demo is one
//! the real autoclassifier decided, from precedents a person had set before its log was parsed.
//!
//! The order is the one a live tree has (`write.rs` follows it): logs are parsed push after
//! push, oldest first, and the autoclassifier looks at each as it is stored; a sheriff goes
//! through the tree once an hour (a round of pushes) and classifies what the autoclassifier
//! left, so that a failure recurring in a later round finds the person's judgement of it.
//! The sheriff is behind by a few pushes: the newest ones keep their unclassified failures for
//! the UI to classify (those the autoclassifier recognised apart).
//!
//! The sheriff's rules, as a sheriff would decide from the failure lines: a test's failure is
//! an intermittent of its test's open tracking bug (`bugs.rs`), but the crashtest's known
//! assertion, which is expected to fail; an exception (the worker's max run time) is infra; any
//! other broken job was fixed by the next push. Jobs without a stored log (older pushes) are
//! judged by the same rules from the failures their log would show.

use std::collections::BTreeMap;
use treeherd_model::{FailureClassification, JobResult};
use treeherd_service::classifications::{ClassifyJobs, MAX_CLASSIFIED_JOBS};
use treeherd_service::{
    AutoclassifyOptions, Caller, Changes, Scopes, Service, ServiceError, UnknownScope,
};
use treeherd_store::{ParsedLog, Store};

use super::bugs::{MAX_RUN_TIME_BUG, demo_bugs, tracking_bug};
use super::role::Role;

/// Who the demo's classifications are recorded as.
pub const SHERIFF: &str = "sheriff@example.com";

/// The test whose failure is expected (a known assertion, annotated in its bug).
const EXPECTED_TEST: &str = "dom/base/crashtests/1505811.html";

/// The newest pushes of a repository (at most a third of them) the sheriff has not reached.
pub(super) fn unsheriffed(pushes: usize) -> usize {
    (pushes / 3).min(6)
}

/// A failed job as the sheriff sees it.
pub(super) struct Failed {
    pub(super) guid: String,
    pub(super) role: Role,
    pub(super) result: JobResult,
    /// The tests its log shows failing.
    pub(super) tests: Vec<String>,
    /// The revision of the push after its own, if any.
    pub(super) next_revision: Option<String>,
}

/// The service calls of the demo's sheriffing, with its callers.
pub(super) struct Sheriffing {
    service: Service,
    sheriff: Caller,
}

impl Sheriffing {
    /// The service over `store` (the fill runs before anyone subscribes, so nobody is told)
    /// with the autoclassifier's default window, and a sheriff of every repository.
    pub(super) fn new(
        store: &Store,
        autoclassify: AutoclassifyOptions,
    ) -> Result<Sheriffing, UnknownScope> {
        let scopes = Scopes::parse("sheriff:*")?;
        Ok(Sheriffing {
            service: Service::new(store.clone(), Changes::default())
                .with_autoclassify(autoclassify),
            sheriff: Caller::Token {
                subject: SHERIFF.to_owned(),
                scopes,
            },
        })
    }

    /// Imports the demo's bugs as the server itself (a Bugzilla fetch); how many.
    pub(super) async fn import_bugs(&self, now: i64) -> Result<usize, ServiceError> {
        let imported = self
            .service
            .import_bugs(&Caller::Trusted, demo_bugs(now))
            .await?;
        Ok(imported.inserted + imported.updated + imported.unchanged)
    }

    /// Stores a log's parse as the parse worker does, the autoclassifier running on its job;
    /// whether it classified the job.
    pub(super) async fn store_parse(
        &self,
        log_id: i64,
        parsed: ParsedLog,
        now: i64,
    ) -> Result<bool, ServiceError> {
        Ok(self
            .service
            .store_parse(log_id, None, parsed, now)
            .await?
            .is_some())
    }

    /// The sheriff classifies `failed`, one call per decision; how many jobs.
    pub(super) async fn classify(&self, failed: &[Failed]) -> Result<usize, ServiceError> {
        let mut decisions: BTreeMap<Decision, Vec<String>> = BTreeMap::new();
        for job in failed {
            decisions
                .entry(decide(job))
                .or_default()
                .push(job.guid.clone());
        }
        let mut classified = 0;
        for ((classification, bugs, note), guids) in decisions {
            for chunk in guids.chunks(MAX_CLASSIFIED_JOBS) {
                let input = ClassifyJobs {
                    jobs: chunk.to_vec(),
                    classification,
                    bugs: bugs.clone(),
                    note: note.clone(),
                };
                classified += self
                    .service
                    .classify_jobs(&self.sheriff, input)
                    .await?
                    .len();
            }
        }
        Ok(classified)
    }
}

/// A classification with its bugs and note.
type Decision = (FailureClassification, Vec<i64>, Option<String>);

/// What the sheriff makes of a failed job (see the module docs).
fn decide(job: &Failed) -> Decision {
    if job.result == JobResult::Exception {
        return (
            FailureClassification::Infra,
            Vec::new(),
            Some(format!(
                "max run time exceeded (bug {MAX_RUN_TIME_BUG}); retriggered green"
            )),
        );
    }
    if !matches!(job.role, Role::Test { .. }) || job.tests.is_empty() {
        let note = match &job.next_revision {
            Some(revision) => format!("fixed by {}", &revision[..revision.len().min(12)]),
            None => "fixed by a later push".to_owned(),
        };
        return (FailureClassification::FixedByCommit, Vec::new(), Some(note));
    }
    let mut bugs: Vec<i64> = job.tests.iter().filter_map(|t| tracking_bug(t)).collect();
    bugs.sort_unstable();
    bugs.dedup();
    if job.tests.iter().all(|t| t == EXPECTED_TEST) {
        return (
            FailureClassification::ExpectedFail,
            bugs,
            Some("known assertion; the manifest annotation lands with the bug".to_owned()),
        );
    }
    (FailureClassification::Intermittent, bugs, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(role: Role, result: JobResult, tests: &[&str]) -> Failed {
        Failed {
            guid: "g".to_owned(),
            role,
            result,
            tests: tests.iter().map(|t| (*t).to_owned()).collect(),
            next_revision: Some("0123456789abcdef0123456789abcdef01234567".to_owned()),
        }
    }

    const TEST: Role = Role::Test {
        platform: 0,
        suite: 0,
        chunk: 1,
    };

    #[test]
    fn the_sheriff_decides_as_the_module_docs_say() {
        let (c, bugs, _) = decide(&failed(
            TEST,
            JobResult::TestFailed,
            &[
                "dom/base/test/test_bug1453693.html",
                "dom/media/test/test_playback_rate.html",
            ],
        ));
        assert_eq!(c, FailureClassification::Intermittent);
        assert_eq!(bugs, [1928871, 1931204]);
        let (c, _, _) = decide(&failed(TEST, JobResult::TestFailed, &[EXPECTED_TEST]));
        assert_eq!(c, FailureClassification::ExpectedFail);
        let (c, bugs, _) = decide(&failed(TEST, JobResult::Exception, &[]));
        assert_eq!((c, bugs), (FailureClassification::Infra, vec![]));
        let (c, _, note) = decide(&failed(Role::Build { platform: 0 }, JobResult::Busted, &[]));
        assert_eq!(c, FailureClassification::FixedByCommit);
        assert_eq!(note.as_deref(), Some("fixed by 0123456789ab"));
        assert_eq!(unsheriffed(5), 1);
        assert_eq!(unsheriffed(200), 6);
    }
}
