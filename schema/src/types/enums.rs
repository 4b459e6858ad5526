//! GraphQL mirrors of the domain enums (names fixed by the API contract).

use async_graphql::Enum;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "treeherd_model::JobKind")]
pub(crate) enum JobKind {
    #[graphql(name = "BUILD")]
    Build,
    #[graphql(name = "TEST")]
    Test,
    #[graphql(name = "RELEASE")]
    Release,
    #[graphql(name = "L10N_REPACK")]
    L10nRepack,
    #[graphql(name = "SCHEDULED")]
    Scheduled,
    #[graphql(name = "OTHER")]
    Other,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "treeherd_model::JobState")]
pub(crate) enum JobState {
    #[graphql(name = "UNSCHEDULED")]
    Unscheduled,
    #[graphql(name = "PENDING")]
    Pending,
    #[graphql(name = "RUNNING")]
    Running,
    #[graphql(name = "COMPLETED")]
    Completed,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "treeherd_model::JobResult")]
pub(crate) enum JobResult {
    #[graphql(name = "SUCCESS")]
    Success,
    #[graphql(name = "TESTFAILED")]
    TestFailed,
    #[graphql(name = "BUSTED")]
    Busted,
    #[graphql(name = "EXCEPTION")]
    Exception,
    #[graphql(name = "RETRY")]
    Retry,
    #[graphql(name = "USERCANCEL")]
    UserCancel,
    #[graphql(name = "SUPERSEDED")]
    Superseded,
    #[graphql(name = "UNKNOWN")]
    Unknown,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "treeherd_model::DependencyKind")]
pub(crate) enum DependencyKind {
    /// A test job depends on the build it tests (fan-out).
    #[graphql(name = "TEST")]
    Test,
    /// A release job depends on every job it waits for (fan-in).
    #[graphql(name = "RELEASE")]
    Release,
    /// A repack depends on the English build it repacks.
    #[graphql(name = "L10N_REPACK")]
    L10nRepack,
    /// Any other ordering.
    #[graphql(name = "GENERIC")]
    Generic,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "treeherd_model::Vcs")]
pub(crate) enum Vcs {
    #[graphql(name = "HG")]
    Hg,
    #[graphql(name = "GIT")]
    Git,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "treeherd_model::ArtifactKind")]
pub(crate) enum ArtifactKind {
    /// A raw log, kept as a pointer and parsed by treeherd.
    #[graphql(name = "RAW_LOG")]
    RawLog,
    /// A log already parsed elsewhere (e.g. a logview).
    #[graphql(name = "PARSED_LOG")]
    ParsedLog,
    /// A mozlog error summary (one JSON object per line).
    #[graphql(name = "ERRORSUMMARY")]
    ErrorSummary,
    #[graphql(name = "SCREENSHOT")]
    Screenshot,
    #[graphql(name = "RECORDING")]
    Recording,
    #[graphql(name = "BINARY")]
    Binary,
    #[graphql(name = "OTHER")]
    Other,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "treeherd_model::LogStatus")]
pub(crate) enum LogStatus {
    /// Waiting for the parse worker (also between retries of a failed fetch).
    #[graphql(name = "PENDING")]
    Pending,
    /// Parsed: its errors, steps, perf data and test results are stored.
    #[graphql(name = "PARSED")]
    Parsed,
    /// Could not be fetched or read after every retry, or refused by its server.
    #[graphql(name = "FAILED")]
    Failed,
    /// Deliberately not parsed: larger than the configured limit.
    #[graphql(name = "SKIPPED")]
    Skipped,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "treeherd_model::TestStatus")]
pub(crate) enum TestStatus {
    #[graphql(name = "PASS")]
    Pass,
    #[graphql(name = "FAIL")]
    Fail,
    #[graphql(name = "OK")]
    Ok,
    #[graphql(name = "ERROR")]
    Error,
    #[graphql(name = "TIMEOUT")]
    Timeout,
    #[graphql(name = "CRASH")]
    Crash,
    #[graphql(name = "ASSERT")]
    Assert,
    #[graphql(name = "SKIP")]
    Skip,
    #[graphql(name = "NOTRUN")]
    NotRun,
    #[graphql(name = "PRECONDITION_FAILED")]
    PreconditionFailed,
}

/// Whether a failing test fails now and then, or since some push.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "treeherd_store::FailureKind")]
pub(crate) enum FailureKind {
    /// It passed on some push after the first push it failed on.
    #[graphql(name = "INTERMITTENT")]
    Intermittent,
    /// It failed on every push it ran on from its first failure on.
    #[graphql(name = "NEW")]
    New,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "treeherd_model::MachineState")]
pub(crate) enum MachineState {
    /// Up, running no job.
    #[graphql(name = "IDLE")]
    Idle,
    /// Running a job.
    #[graphql(name = "BUSY")]
    Busy,
    /// Taken out of service.
    #[graphql(name = "OFFLINE")]
    Offline,
    /// Kept from taking jobs by hand, with a reason, usually until a time.
    #[graphql(name = "QUARANTINED")]
    Quarantined,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "treeherd_model::ReleaseStatus")]
pub(crate) enum ReleaseStatus {
    /// Nothing it waits for has started.
    #[graphql(name = "WAITING")]
    Waiting,
    /// Under way, nothing failed.
    #[graphql(name = "RUNNING")]
    Running,
    /// Something it waits for (transitively) failed.
    #[graphql(name = "BLOCKED")]
    Blocked,
    /// The release job itself failed.
    #[graphql(name = "FAILED")]
    Failed,
    /// The release job succeeded.
    #[graphql(name = "SHIPPED")]
    Shipped,
}
