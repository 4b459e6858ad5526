//! A test result as submitted: by a producer that sends structured results
//! (`submitTestResults`), or read by the parse worker from a mozlog error summary.

use crate::{NewArtifact, TestStatus};

/// How one test (or one subtest of it) ended in one job. A job holds one result per
/// `(test, subtest)`: submitting it again replaces it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTestResult {
    pub test: String,
    /// `None` for the test's own result.
    pub subtest: Option<String>,
    pub status: TestStatus,
    /// `None` when the status was the expected one (PASS or OK).
    pub expected: Option<TestStatus>,
    /// Milliseconds.
    pub duration_ms: Option<i64>,
    pub message: Option<String>,
    pub stack: Option<String>,
    /// The group (manifest, directory) the test ran in.
    pub group: Option<String>,
    /// Screenshots, recordings, logs... of this result.
    pub artifacts: Vec<NewArtifact>,
}

impl NewTestResult {
    /// Whether this result is a failure (a failing status not expected).
    pub fn failed(&self) -> bool {
        self.status.fails(self.expected)
    }
}
