//! What the store takes in and gives back. Times are unix microseconds (UTC).

use serde_json::{Map, Value};
use treeherd_model::{
    DependencyKind, JobId, JobKind, JobResult, JobState, LogStatus, NewArtifact, PushId,
    RepositoryId, Vcs,
};

/// A source repository and the attribute keys its jobs are indexed by.
#[derive(Debug, Clone, PartialEq)]
pub struct Repository {
    pub id: RepositoryId,
    pub name: String,
    pub vcs: Vcs,
    pub url: String,
    pub indexed_attributes: Vec<String>,
    /// The branch a git repository's pushlog follows (`None`: the default branch).
    pub branch: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewRepository {
    pub name: String,
    pub vcs: Vcs,
    pub url: String,
    pub indexed_attributes: Vec<String>,
    pub branch: Option<String>,
}

/// One push to a repository: `push_id` orders pushes within the repository.
#[derive(Debug, Clone, PartialEq)]
pub struct Push {
    /// The store's own id (row id), unique across repositories.
    pub id: PushId,
    pub repository_id: RepositoryId,
    /// The pushlog's number for it, ordering the pushes of its repository.
    pub push_id: i64,
    pub revision: String,
    pub author: String,
    pub pushed_at: i64,
}

/// Conditions on listed pushes, all of which must hold.
#[derive(Debug, Clone, Default)]
pub struct PushFilter {
    /// Who pushed, exactly.
    pub author: Option<String>,
    /// Pushed at or after (unix microseconds).
    pub since: Option<i64>,
    /// Pushed before (unix microseconds).
    pub until: Option<i64>,
}

/// How many jobs of a push are in a state with a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobCount {
    pub state: JobState,
    pub result: JobResult,
    pub count: i64,
}

/// The results a job fails with: only these are classified.
pub const FAILED_RESULTS: [JobResult; 3] = [
    JobResult::TestFailed,
    JobResult::Busted,
    JobResult::Exception,
];

/// The classifications that leave a failed job unclassified: "not classified" and "new failure
/// not classified" (Treeherder's ids 1 and 6).
pub(crate) const UNCLASSIFIED_IDS: [i32; 2] = [1, 6];

/// A job of any kind. `push_row_id` is `None` for jobs that hang off no push.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: JobId,
    pub guid: String,
    pub repository_id: RepositoryId,
    pub push_row_id: Option<PushId>,
    pub kind: JobKind,
    pub name: String,
    pub symbol: Option<String>,
    pub group_symbol: Option<String>,
    pub group_name: Option<String>,
    pub platform: Option<String>,
    pub build_system: Option<String>,
    pub state: JobState,
    pub result: JobResult,
    pub tier: i32,
    pub machine: Option<String>,
    pub submitted_at: Option<i64>,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// The free-form attribute object as JSON text: most readers never look inside, so it is
    /// parsed only by those that do ([`Job::attributes`]).
    pub attributes_json: String,
}

impl Job {
    /// Its latest time: finished, else started, else submitted (unix microseconds).
    pub fn last_time(&self) -> Option<i64> {
        self.finished_at.or(self.started_at).or(self.submitted_at)
    }

    /// The free-form attributes.
    pub fn attributes(&self) -> Result<Map<String, Value>, serde_json::Error> {
        serde_json::from_str(&self.attributes_json)
    }
}

/// A stored log pointer and how far its parsing went.
#[derive(Debug, Clone, PartialEq)]
pub struct JobLog {
    pub id: i64,
    pub job_id: JobId,
    pub name: String,
    pub url: String,
    pub status: LogStatus,
    /// Why it FAILED or was SKIPPED, or why the last try failed while it is PENDING again.
    pub reason: Option<String>,
    /// Fetches tried so far.
    pub attempts: i32,
    /// When it was parsed (unix microseconds).
    pub parsed_at: Option<i64>,
    pub line_count: Option<i64>,
    pub byte_count: Option<i64>,
    /// Every error line the rules accepted (at most 40 are stored).
    pub error_count: Option<i64>,
}

/// A stored artifact.
pub type Artifact = NewArtifact;

/// A stored job to mark as ended another way (a run superseded by a coalesced one, or retried),
/// on behalf of a job of `repository`; jobs of other repositories are never marked.
#[derive(Debug, Clone)]
pub struct JobMark {
    pub guid: String,
    pub repository: String,
    pub result: JobResult,
}

/// `dependent` waits on `dependency` (both guids).
#[derive(Debug, Clone)]
pub struct NewDependency {
    pub dependent: String,
    pub dependency: String,
    pub kind: DependencyKind,
}

/// One end of an edge, seen from the other: the kind and the job at that end.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    pub kind: DependencyKind,
    pub job: Job,
}

/// An edge whose dependency has not arrived yet.
#[derive(Debug, Clone, PartialEq)]
pub struct DanglingDependency {
    pub kind: DependencyKind,
    pub guid: String,
}

/// Which jobs to list.
#[derive(Debug, Clone, Copy)]
pub enum JobScope {
    Repository(RepositoryId),
    Push(PushId),
}

/// Conditions on listed jobs, all of which must hold.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub kind: Option<JobKind>,
    pub state: Option<JobState>,
    pub result: Option<JobResult>,
    pub tier: Option<i32>,
    pub platform: Option<String>,
    /// Words that must all appear in the job's name, in lower case (compared with the
    /// stored name in lower case: ASCII-only on SQLite).
    pub name_words: Vec<String>,
    /// (key, value) pairs on the repository's indexed attribute keys.
    pub attributes: Vec<(String, String)>,
    /// `Some(true)`: failed and nobody has classified it yet; `Some(false)`: the others.
    pub unclassified_failure: Option<bool>,
    /// Only jobs of these pushes (push ids, of the repository listed); empty: any push.
    pub push_ids: Vec<i64>,
    /// Only jobs written after this place in the change log (a subscriber's cursor).
    pub changed_after: Option<i64>,
}

/// A keyset page: items after `after` (exclusive), at most `limit`, plus whether more follow.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub after: Option<i64>,
    pub limit: usize,
}

#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next: bool,
}

/// The row ids inside typed ids, for a query.
pub(crate) fn raw_ids<I: Copy + Into<i64>>(ids: &[I]) -> Vec<i64> {
    ids.iter().map(|&id| id.into()).collect()
}

impl<T> Page<T> {
    /// Splits `limit + 1` fetched rows into a page and whether more follow.
    pub(crate) fn from_overfetch(mut items: Vec<T>, limit: usize) -> Page<T> {
        let has_next = items.len() > limit;
        items.truncate(limit);
        Page { items, has_next }
    }
}
