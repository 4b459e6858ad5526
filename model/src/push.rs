//! A push and the commits it brought: what every pushlog source (hg json-pushes, GitHub push
//! events, a local git history, the `submitPush` mutation) is turned into, what the store
//! writes and what `json-pushes` is rendered from, so every part deals with one shape.

use crate::Revision;

/// One push: what a person pushed at once, tip last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRecord {
    /// The source's push id (hg's pushlog id; the position on the first-parent chain for a
    /// local git history). GitHub events carry none: the store numbers such a push next.
    pub push_id: Option<i64>,
    /// The push's tip: its last commit.
    pub revision: Revision,
    /// Who pushed: hg `user`, the GitHub pusher's email (else name), git's committer email.
    pub author: String,
    /// When, in unix microseconds (UTC).
    pub pushed_at: i64,
    /// The commits it brought, oldest first (parents before children), tip last.
    pub commits: Vec<CommitRecord>,
}

/// One commit of a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRecord {
    pub revision: Revision,
    /// `Name <email>`, as hg and git print it.
    pub author: String,
    /// The whole message (subject and body).
    pub message: String,
    /// hg's named branch as the pushlog gives it (`default` kept as is). git commits have no
    /// branch of their own: `None` for git and GitHub sources.
    pub branch: Option<String>,
    /// Tags on this commit (hg's include `tip`).
    pub tags: Vec<String>,
    /// Files the commit touched, when the source says.
    pub files: Vec<String>,
    /// Parent revisions, first parent first; empty for a root commit or when unknown.
    pub parents: Vec<Revision>,
}
