//! Sheriffing on a job: its failure lines, what was decided about it (now and before), and
//! the `classifyJobs` input. The decision itself is the service's
//! (`service/src/classifications.rs`); these types only show it.

use async_graphql::{Enum, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::Job;
use super::time::to_datetime;

/// What was decided about a failed job: Treeherder's failure classifications (ids 1-8).
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "treeherd_model::FailureClassification")]
pub(crate) enum FailureClassification {
    /// Nobody has looked yet.
    #[graphql(name = "NOT_CLASSIFIED")]
    NotClassified,
    /// A regression, fixed (or backed out) by a later commit.
    #[graphql(name = "FIXED_BY_COMMIT")]
    FixedByCommit,
    /// Known to fail.
    #[graphql(name = "EXPECTED_FAIL")]
    ExpectedFail,
    /// A known intermittent, usually with its bug.
    #[graphql(name = "INTERMITTENT")]
    Intermittent,
    /// The machine or the infrastructure failed, not the code.
    #[graphql(name = "INFRA")]
    Infra,
    /// Marked as never seen before, still to be looked at.
    #[graphql(name = "NEW_FAILURE_NOT_CLASSIFIED")]
    NewFailureNotClassified,
    /// Classified by treeherd: every failure line recurs from one a person called intermittent.
    #[graphql(name = "AUTOCLASSIFIED_INTERMITTENT")]
    AutoclassifiedIntermittent,
    /// Intermittent, with no bug filed yet.
    #[graphql(name = "INTERMITTENT_NEEDS_BUGID")]
    IntermittentNeedsBugid,
}

/// One decision about a job (or one of its failure lines or failed tests).
pub(crate) struct Classification(pub treeherd_store::Classification);

#[Object]
impl Classification {
    async fn classification(&self) -> FailureClassification {
        self.0.classification.into()
    }

    /// Treeherder's id of the classification (1-8).
    async fn classification_id(&self) -> i32 {
        self.0.classification.id()
    }

    /// The bug numbers, ascending.
    async fn bugs(&self) -> Vec<i64> {
        self.0.bugs.iter().map(|b| b.0).collect()
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// The token's subject that decided, or `autoclassifier`.
    async fn who(&self) -> &str {
        &self.0.who
    }

    async fn at(&self) -> DateTime<Utc> {
        to_datetime(self.0.created_at)
    }

    /// Made by the autoclassifier, not a person.
    async fn automatic(&self) -> bool {
        self.0.automatic
    }

    /// The failed test it is about (`classifyTest`); null for a decision on the whole job or
    /// on a failure line.
    async fn test(&self) -> Option<&str> {
        self.0.test.as_ref().map(|(test, _)| test.as_str())
    }

    /// The failed subtest it is about; null for the test's own result, the whole job or a line.
    async fn subtest(&self) -> Option<&str> {
        self.0.test.as_ref().and_then(|(_, sub)| sub.as_deref())
    }
}

/// Classifies failed jobs: all of them or none.
#[derive(InputObject)]
pub(crate) struct ClassifyJobsInput {
    /// Job guids (at most 500).
    pub jobs: Vec<String>,
    pub classification: FailureClassification,
    /// Bug numbers (positive, at most 20).
    #[graphql(default)]
    pub bugs: Vec<i64>,
    pub note: Option<String>,
}

impl From<ClassifyJobsInput> for treeherd_service::classifications::ClassifyJobs {
    fn from(input: ClassifyJobsInput) -> Self {
        treeherd_service::classifications::ClassifyJobs {
            jobs: input.jobs,
            classification: input.classification.into(),
            bugs: input.bugs,
            note: input.note,
        }
    }
}

/// Classifies one failure line of a failed job (`Job.failureLines`: its `log` and
/// `position`).
#[derive(InputObject)]
pub(crate) struct ClassifyFailureLineInput {
    /// The job's guid.
    pub job: String,
    /// The log's name (`FailureLine.log`).
    pub log: String,
    /// The line's place in the log's error summary (`FailureLine.position`).
    pub position: i32,
    pub classification: FailureClassification,
    /// Bug numbers (positive, at most 20).
    #[graphql(default)]
    pub bugs: Vec<i64>,
    pub note: Option<String>,
}

impl From<ClassifyFailureLineInput> for treeherd_service::classifications::ClassifyFailureLine {
    fn from(input: ClassifyFailureLineInput) -> Self {
        treeherd_service::classifications::ClassifyFailureLine {
            job: input.job,
            log: input.log,
            position: input.position,
            classification: input.classification.into(),
            bugs: input.bugs,
            note: input.note,
        }
    }
}

/// Classifies one failed test of a failed job: its result of `test` and `subtest`
/// (`Job.testResults`).
#[derive(InputObject)]
pub(crate) struct ClassifyTestInput {
    /// The job's guid.
    pub job: String,
    /// The test (`TestResult.test`).
    pub test: String,
    /// The subtest (`TestResult.subtest`); leave out for the test's own result.
    pub subtest: Option<String>,
    pub classification: FailureClassification,
    /// Bug numbers (positive, at most 20).
    #[graphql(default)]
    pub bugs: Vec<i64>,
    pub note: Option<String>,
}

impl From<ClassifyTestInput> for treeherd_service::classifications::ClassifyTest {
    fn from(input: ClassifyTestInput) -> Self {
        treeherd_service::classifications::ClassifyTest {
            job: input.job,
            test: input.test,
            subtest: input.subtest,
            classification: input.classification.into(),
            bugs: input.bugs,
            note: input.note,
        }
    }
}

/// What `classifyJobs` wrote.
#[derive(SimpleObject)]
pub(crate) struct ClassifyJobsPayload {
    /// The jobs, in the order given (a repeated guid once), each with its new classification.
    pub jobs: Vec<Job>,
}

/// A decision a person just made, with its job: what `classifyFailureLine` and
/// `classifyTest` answer.
#[derive(SimpleObject)]
pub(crate) struct ClassifyPayload {
    pub job: Job,
    pub classification: Classification,
}
