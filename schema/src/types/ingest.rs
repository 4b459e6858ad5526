//! How ingestion reports look in GraphQL: the service's rejected messages and ignored jobs
//! (`treeherd_service::ingest`) as objects of the API contract.

use async_graphql::SimpleObject;

/// A message that was not taken, and why.
#[derive(SimpleObject)]
pub(crate) struct RejectedMessage {
    /// The message's position in the batch (0-based).
    index: i32,
    /// JSON path of the offending field, e.g. `origin.revision`.
    field: String,
    /// The rule it breaks, e.g. `required`.
    rule: String,
    message: String,
}

impl From<treeherd_service::ingest::RejectedMessage> for RejectedMessage {
    fn from(r: treeherd_service::ingest::RejectedMessage) -> Self {
        RejectedMessage {
            index: r.index,
            field: r.field,
            rule: r.rule,
            message: r.message,
        }
    }
}

/// A job version that was valid but changed nothing: the job lifecycle refused it (state never
/// moves back; a completed job changes only to be marked SUPERSEDED or RETRY). The job stays as
/// it is, and is in the answer's `jobs` as such.
#[derive(SimpleObject)]
pub(crate) struct IgnoredJob {
    /// Its position in the batch (0-based): the message's, or the input's.
    index: i32,
    guid: String,
    /// Why, naming the state and result that stand.
    reason: String,
}

impl From<treeherd_service::ingest::IgnoredJob> for IgnoredJob {
    fn from(i: treeherd_service::ingest::IgnoredJob) -> Self {
        IgnoredJob {
            index: i.index,
            guid: i.guid,
            reason: i.reason,
        }
    }
}
