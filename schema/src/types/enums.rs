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
