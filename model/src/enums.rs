//! Closed sets of values: job kinds, states, results, dependency kinds and version control
//! systems. Each has one spelling (`as_str`), used in GraphQL and stored as text.

/// A text that names no variant of the enum it was parsed as.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a {kind} (expected one of {expected})")]
pub struct UnknownVariant {
    pub kind: &'static str,
    pub value: String,
    pub expected: &'static str,
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $label:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The one spelling of this value (GraphQL name and stored text).
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownVariant;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err($crate::UnknownVariant {
                        kind: $label,
                        value: value.to_owned(),
                        expected: concat!($($text, " "),+),
                    }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

// Other modules of the crate declare their closed sets the same way (`classification`).
pub(crate) use text_enum;

text_enum! {
    /// What a job is. Builds, tests, release jobs and l10n repacks hang off a push;
    /// scheduled jobs (valgrind, QA update tests, nightlies) hang off none.
    JobKind, "job kind" {
        Build = "BUILD",
        Test = "TEST",
        Release = "RELEASE",
        L10nRepack = "L10N_REPACK",
        Scheduled = "SCHEDULED",
        Other = "OTHER",
    }
}

text_enum! {
    /// Where a job is in its life. Ordered: a job only ever moves forward.
    JobState, "job state" {
        Unscheduled = "UNSCHEDULED",
        Pending = "PENDING",
        Running = "RUNNING",
        Completed = "COMPLETED",
    }
}

text_enum! {
    /// How a job ended (Treeherder's results). `Unknown` until it completes.
    JobResult, "job result" {
        Success = "SUCCESS",
        TestFailed = "TESTFAILED",
        Busted = "BUSTED",
        Exception = "EXCEPTION",
        Retry = "RETRY",
        UserCancel = "USERCANCEL",
        Superseded = "SUPERSEDED",
        Unknown = "UNKNOWN",
    }
}

text_enum! {
    /// Why a dependent job waits on its dependency.
    DependencyKind, "dependency kind" {
        /// A test job depends on the build it tests (fan-out).
        Test = "TEST",
        /// A release job depends on every job it waits for (fan-in).
        Release = "RELEASE",
        /// A repack depends on the English build it repacks.
        L10nRepack = "L10N_REPACK",
        /// Any other ordering.
        Generic = "GENERIC",
    }
}

text_enum! {
    /// What an entry of a job's results dictionary is.
    ArtifactKind, "artifact kind" {
        /// A raw log, kept as a pointer and parsed by treeherd.
        RawLog = "RAW_LOG",
        /// A log already parsed elsewhere (e.g. a logview).
        ParsedLog = "PARSED_LOG",
        /// A mozlog error summary (one JSON object per line).
        ErrorSummary = "ERRORSUMMARY",
        Screenshot = "SCREENSHOT",
        Recording = "RECORDING",
        Binary = "BINARY",
        Other = "OTHER",
    }
}

text_enum! {
    /// Where a job's log is in its parsing.
    LogStatus, "log status" {
        /// Waiting for the parse worker (also between retries of a failed fetch).
        Pending = "PENDING",
        /// Parsed: its errors, steps, perf data and test results are stored.
        Parsed = "PARSED",
        /// Could not be fetched or read after every retry, or refused by its server.
        Failed = "FAILED",
        /// Deliberately not parsed: larger than the configured limit.
        Skipped = "SKIPPED",
    }
}

text_enum! {
    /// How a test (or subtest) ended, in mozlog's vocabulary.
    TestStatus, "test status" {
        Pass = "PASS",
        Fail = "FAIL",
        Ok = "OK",
        Error = "ERROR",
        Timeout = "TIMEOUT",
        Crash = "CRASH",
        Assert = "ASSERT",
        Skip = "SKIP",
        NotRun = "NOTRUN",
        PreconditionFailed = "PRECONDITION_FAILED",
    }
}

impl JobResult {
    /// Whether a completed job with this result failed (a retried or superseded run did not:
    /// another run stands for it).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            JobResult::TestFailed
                | JobResult::Busted
                | JobResult::Exception
                | JobResult::UserCancel
        )
    }
}

impl TestStatus {
    /// Whether a result with this status and that expectation is a failure: a failing status
    /// that was not expected (no expectation means PASS or OK was).
    pub fn fails(self, expected: Option<TestStatus>) -> bool {
        let failing = matches!(
            self,
            TestStatus::Fail
                | TestStatus::Error
                | TestStatus::Timeout
                | TestStatus::Crash
                | TestStatus::Assert
                | TestStatus::PreconditionFailed
        );
        failing && expected != Some(self)
    }
}

text_enum! {
    /// What a machine is doing now.
    MachineState, "machine state" {
        /// Up, running no job.
        Idle = "IDLE",
        /// Running a job.
        Busy = "BUSY",
        /// Taken out of service (by hand, or not seen).
        Offline = "OFFLINE",
        /// Kept from taking jobs by hand, with a reason, usually until a time.
        Quarantined = "QUARANTINED",
    }
}

text_enum! {
    /// Where a release is, derived from its release job and what that job waits for.
    ReleaseStatus, "release status" {
        /// Nothing it waits for has started.
        Waiting = "WAITING",
        /// Under way, nothing failed.
        Running = "RUNNING",
        /// Something it waits for (transitively) failed.
        Blocked = "BLOCKED",
        /// The release job itself failed.
        Failed = "FAILED",
        /// The release job succeeded.
        Shipped = "SHIPPED",
    }
}

text_enum! {
    /// The version control system of a repository.
    Vcs, "version control system" {
        Hg = "HG",
        Git = "GIT",
    }
}

impl JobResult {
    /// Whether a job that ended this way satisfies the jobs that depend on it.
    pub const fn is_success(self) -> bool {
        matches!(self, JobResult::Success)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips_through_its_text() {
        for kind in JobKind::ALL {
            assert_eq!(kind.as_str().parse::<JobKind>(), Ok(*kind));
        }
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>(), Ok(*state));
        }
        for result in JobResult::ALL {
            assert_eq!(result.as_str().parse::<JobResult>(), Ok(*result));
        }
        for kind in DependencyKind::ALL {
            assert_eq!(kind.as_str().parse::<DependencyKind>(), Ok(*kind));
        }
        for kind in ArtifactKind::ALL {
            assert_eq!(kind.as_str().parse::<ArtifactKind>(), Ok(*kind));
        }
        for status in TestStatus::ALL {
            assert_eq!(status.as_str().parse::<TestStatus>(), Ok(*status));
        }
        for status in LogStatus::ALL {
            assert_eq!(status.as_str().parse::<LogStatus>(), Ok(*status));
        }
        for state in MachineState::ALL {
            assert_eq!(state.as_str().parse::<MachineState>(), Ok(*state));
        }
        for status in ReleaseStatus::ALL {
            assert_eq!(status.as_str().parse::<ReleaseStatus>(), Ok(*status));
        }
    }

    #[test]
    fn a_failure_is_a_failing_status_not_expected() {
        assert!(TestStatus::Fail.fails(None));
        assert!(TestStatus::Crash.fails(Some(TestStatus::Pass)));
        assert!(!TestStatus::Fail.fails(Some(TestStatus::Fail)));
        assert!(!TestStatus::Pass.fails(Some(TestStatus::Fail)));
        assert!(!TestStatus::Skip.fails(None));
    }

    #[test]
    fn unknown_text_names_the_choices() {
        let err = "DONE".parse::<JobState>().unwrap_err();
        assert_eq!(
            err.to_string(),
            r#""DONE" is not a job state (expected one of UNSCHEDULED PENDING RUNNING COMPLETED )"#
        );
    }

    #[test]
    fn states_are_ordered_by_lifecycle() {
        assert!(JobState::Unscheduled < JobState::Pending);
        assert!(JobState::Pending < JobState::Running);
        assert!(JobState::Running < JobState::Completed);
    }
}
