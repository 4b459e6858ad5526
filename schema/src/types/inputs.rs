//! Input types of the mutations and filters, and their checked conversion to the store's
//! types. Field names are part of the API contract.

use async_graphql::{InputObject, Json};
use chrono::{DateTime, Utc};
use treeherd_model::{CommitRecord, NewJob, PushRecord, Revision};
use treeherd_service::{ServiceError, Submitted};
use treeherd_store::{JobFilter, NewDependency, NewRepository, Store};

use super::time::to_micros;
use super::{DependencyKind, JobKind, JobResult, JobState, Vcs};
use crate::ApiError;

#[derive(InputObject)]
pub(crate) struct RepositoryInput {
    name: String,
    vcs: Vcs,
    url: String,
    /// Attribute keys whose values are indexed for filtering.
    #[graphql(default)]
    indexed_attributes: Vec<String>,
    /// The branch a git repository's pushlog follows (default: the repository's default
    /// branch, as GitHub names it).
    branch: Option<String>,
}

impl From<RepositoryInput> for NewRepository {
    fn from(input: RepositoryInput) -> NewRepository {
        NewRepository {
            name: input.name,
            vcs: input.vcs.into(),
            url: input.url,
            indexed_attributes: input.indexed_attributes,
            branch: input.branch,
        }
    }
}

#[derive(InputObject)]
pub(crate) struct CommitInput {
    revision: String,
    author: String,
    message: String,
    branch: Option<String>,
    #[graphql(default)]
    tags: Vec<String>,
    #[graphql(default)]
    files: Vec<String>,
    /// Parent revisions, first parent first.
    #[graphql(default)]
    parents: Vec<String>,
}

#[derive(InputObject)]
pub(crate) struct PushInput {
    pub repository: String,
    /// The push's number; the next in order when absent.
    push_id: Option<i64>,
    /// The revision of the push's last commit (40 hex digits).
    revision: String,
    author: String,
    pushed_at: DateTime<Utc>,
    #[graphql(default)]
    commits: Vec<CommitInput>,
}

fn revision(value: &str, what: &str) -> Result<Revision, ServiceError> {
    value
        .parse()
        .map_err(|e| ServiceError::bad_input(what, format!("{what}: {e}")))
}

impl Submitted<PushRecord> for PushInput {
    fn repository(&self) -> Option<&str> {
        Some(&self.repository)
    }

    fn convert(self, _: usize) -> Result<PushRecord, ServiceError> {
        let input = self;
        let commits = input
            .commits
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                Ok(CommitRecord {
                    revision: revision(&c.revision, &format!("commit {i}"))?,
                    author: c.author,
                    message: c.message,
                    branch: c.branch,
                    tags: c.tags,
                    files: c.files,
                    parents: c
                        .parents
                        .iter()
                        .map(|p| revision(p, &format!("commit {i}'s parent")))
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<_, ServiceError>>()?;
        Ok(PushRecord {
            revision: revision(&input.revision, "push")?,
            push_id: input.push_id,
            author: input.author,
            pushed_at: to_micros(input.pushed_at),
            commits,
        })
    }
}

#[derive(InputObject)]
pub(crate) struct JobInput {
    /// Unique id given by the submitter; a known guid is updated.
    guid: String,
    pub repository: String,
    /// The push's revision; absent for jobs that hang off no push.
    revision: Option<String>,
    kind: JobKind,
    name: String,
    symbol: Option<String>,
    group_symbol: Option<String>,
    group_name: Option<String>,
    platform: Option<String>,
    build_system: Option<String>,
    state: JobState,
    #[graphql(default_with = "JobResult::Unknown")]
    result: JobResult,
    #[graphql(default = 1)]
    tier: i32,
    machine: Option<String>,
    submitted_at: Option<DateTime<Utc>>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    /// Any JSON object.
    attributes: Option<Json<serde_json::Value>>,
}

impl Submitted<NewJob> for JobInput {
    fn repository(&self) -> Option<&str> {
        Some(&self.repository)
    }

    fn convert(self, index: usize) -> Result<NewJob, ServiceError> {
        let attributes = match self.attributes.map(|j| j.0) {
            None | Some(serde_json::Value::Null) => serde_json::Map::new(),
            Some(serde_json::Value::Object(map)) => map,
            Some(_) => {
                return Err(ServiceError::bad_input(
                    format!("input[{index}].attributes"),
                    format!("job {index}: attributes must be a JSON object"),
                ));
            }
        };
        Ok(NewJob {
            revision: self
                .revision
                .map(|r| revision(&r, &format!("job {index}")))
                .transpose()?,
            guid: self.guid,
            repository: self.repository,
            kind: self.kind.into(),
            name: self.name,
            symbol: self.symbol,
            group_symbol: self.group_symbol,
            group_name: self.group_name,
            platform: self.platform,
            build_system: self.build_system,
            state: self.state.into(),
            result: self.result.into(),
            tier: self.tier,
            machine: self.machine,
            submitted_at: self.submitted_at.map(to_micros),
            started_at: self.started_at.map(to_micros),
            finished_at: self.finished_at.map(to_micros),
            attributes,
            logs: Vec::new(),
            artifacts: Vec::new(),
        })
    }
}

#[derive(InputObject)]
pub(crate) struct DependencyInput {
    /// The guid of the job that waits.
    pub dependent: String,
    /// The guid of the job it waits on (it may not have arrived yet).
    dependency: String,
    #[graphql(default_with = "DependencyKind::Generic")]
    kind: DependencyKind,
}

impl From<DependencyInput> for NewDependency {
    fn from(input: DependencyInput) -> NewDependency {
        NewDependency {
            dependent: input.dependent,
            dependency: input.dependency,
            kind: input.kind.into(),
        }
    }
}

/// One indexed attribute condition: the attribute `key` has `value` (for arrays: contains it).
#[derive(InputObject)]
pub(crate) struct AttributeFilter {
    key: String,
    value: String,
}

/// Conditions on jobs, all of which must hold.
#[derive(InputObject, Default)]
#[graphql(name = "JobFilter")]
pub(crate) struct JobFilterInput {
    kind: Option<JobKind>,
    state: Option<JobState>,
    result: Option<JobResult>,
    tier: Option<i32>,
    platform: Option<String>,
    /// Words (split on white space) that must all appear in the job's name, in any case:
    /// `"xpcshell windows"` matches `test-windows11-64/opt-xpcshell-2`. At most
    /// 8 words of 100 characters.
    name: Option<String>,
    /// `true`: only failed jobs (TESTFAILED, BUSTED, EXCEPTION) nobody has classified yet
    /// (never classified, NOT_CLASSIFIED or NEW_FAILURE_NOT_CLASSIFIED); `false`: all others.
    unclassified_failure: Option<bool>,
    /// Conditions on the repository's indexed attribute keys; another key is refused. At
    /// most 8 (each is one more index probe a job must pass).
    #[graphql(default)]
    attributes: Vec<AttributeFilter>,
    /// Only jobs of these pushes (push ids of the repository; at most 100): the jobs of
    /// several pushes in one field, like Treeherder's `push_id__in`.
    #[graphql(default)]
    push_ids: Vec<i32>,
    /// Only jobs written after this change cursor (`Query.changeCursor`, or an event's
    /// `cursor`): a polling client reads `changeCursor`, then asks for what changed since. A
    /// cursor older than the change log keeps is BAD_USER_INPUT (read everything again).
    changed_after: Option<String>,
}

/// The most words a job name filter may hold, and the longest word.
const MAX_NAME_WORDS: usize = 8;
const MAX_NAME_WORD_CHARS: usize = 100;

/// The most attribute conditions a job filter may hold: each is one more probe of the
/// attribute index per candidate job, and 300 of them once kept PostgreSQL busy for minutes.
const MAX_ATTRIBUTE_CONDITIONS: usize = 8;

/// The most pushes a job filter may name.
const MAX_PUSH_IDS: usize = 100;

impl JobFilterInput {
    /// The store's filter, its cursor checked against the change log of `store`.
    pub(crate) async fn into_store(self, store: &Store) -> Result<JobFilter, ApiError> {
        if self.push_ids.len() > MAX_PUSH_IDS {
            return Err(ApiError::BadUserInput(format!(
                "filter.pushIds: at most {MAX_PUSH_IDS} pushes (got {})",
                self.push_ids.len()
            )));
        }
        let changed_after = self
            .changed_after
            .as_deref()
            .map(crate::change_stream::parse_cursor)
            .transpose()?;
        if let Some(after) = changed_after {
            store.check_change_cursor(after).await?;
        }
        let name_words: Vec<String> = self
            .name
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        if name_words.len() > MAX_NAME_WORDS {
            return Err(ApiError::BadUserInput(format!(
                "filter.name: at most {MAX_NAME_WORDS} words (got {})",
                name_words.len()
            )));
        }
        if self.attributes.len() > MAX_ATTRIBUTE_CONDITIONS {
            return Err(ApiError::BadUserInput(format!(
                "filter.attributes: at most {MAX_ATTRIBUTE_CONDITIONS} conditions (got {})",
                self.attributes.len()
            )));
        }
        if let Some(long) = name_words
            .iter()
            .find(|w| w.chars().count() > MAX_NAME_WORD_CHARS)
        {
            return Err(ApiError::BadUserInput(format!(
                "filter.name: a word may have at most {MAX_NAME_WORD_CHARS} characters ({:?}...)",
                long.chars().take(20).collect::<String>()
            )));
        }
        Ok(JobFilter {
            kind: self.kind.map(Into::into),
            state: self.state.map(Into::into),
            result: self.result.map(Into::into),
            tier: self.tier,
            platform: self.platform,
            name_words,
            attributes: self
                .attributes
                .into_iter()
                .map(|a| (a.key, a.value))
                .collect(),
            unclassified_failure: self.unclassified_failure,
            push_ids: self.push_ids.into_iter().map(i64::from).collect(),
            changed_after,
        })
    }
}
