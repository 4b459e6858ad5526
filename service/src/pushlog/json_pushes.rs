//! hg's `json-pushes` answered from the store, for tools that already speak it (for git
//! repositories too): `version` (1, the default, or 2), `full`, `startID` (exclusive) and
//! `endID` (inclusive), `fromchange` (exclusive) and `tochange` (inclusive), `changeset`
//! (the push holding it); with no range, the newest ten pushes.

use std::collections::HashMap;
use treeherd_pushlog::RenderOptions;

use crate::error::ServiceError;
use crate::service::Service;

/// The most pushes one `json-pushes` answer holds; a wider range is refused, not cut short.
pub const MAX_JSON_PUSHES: usize = 10_000;
/// What `json-pushes` answers without a range, as hg does: the newest ten pushes.
const DEFAULT_JSON_PUSHES: i64 = 10;

impl Service {
    /// The `json-pushes` answer of `repository` for the query's parameters, as JSON text.
    #[tracing::instrument(skip(self, query))]
    pub async fn json_pushes(
        &self,
        repository: String,
        query: &HashMap<String, String>,
    ) -> Result<String, ServiceError> {
        let version = match query.get("version").map(String::as_str) {
            None | Some("1") => 1,
            Some("2") => 2,
            Some(other) => {
                return Err(ServiceError::bad_input(
                    "version",
                    format!("version {other:?} is not 1 or 2"),
                ));
            }
        };
        let full = query
            .get("full")
            .is_some_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
        let store = self.store();
        let found = store.existing_repository(repository.clone()).await?;
        let last = store.last_push_id(found.id).await?;

        let push_id_of = |revision: &String| {
            let repository = repository.clone();
            let revision = revision.clone();
            async move {
                store
                    .push_by_revision(repository, revision.clone())
                    .await?
                    .map(|push| push.push_id)
                    .ok_or_else(|| ServiceError::NotFound(format!("unknown revision {revision:?}")))
            }
        };
        let id = |name: &str| -> Result<Option<i64>, ServiceError> {
            query
                .get(name)
                .map(|v| {
                    v.parse::<i64>().map_err(|_| {
                        ServiceError::bad_input(name, format!("{name} {v:?} is not a push id"))
                    })
                })
                .transpose()
        };
        let (after, through) = if let Some(changeset) = query.get("changeset") {
            let push_id = push_id_of(changeset).await?;
            (push_id - 1, push_id)
        } else {
            let after = match (id("startID")?, query.get("fromchange")) {
                (Some(_), Some(_)) => {
                    return Err(ServiceError::bad_input(
                        "startID",
                        "give startID or fromchange, not both",
                    ));
                }
                (Some(start), None) => Some(start),
                (None, Some(from)) => Some(push_id_of(from).await?),
                (None, None) => None,
            };
            let through = match (id("endID")?, query.get("tochange")) {
                (Some(_), Some(_)) => {
                    return Err(ServiceError::bad_input(
                        "endID",
                        "give endID or tochange, not both",
                    ));
                }
                (Some(end), None) => Some(end),
                (None, Some(to)) => Some(push_id_of(to).await?),
                (None, None) => None,
            };
            match (after, through) {
                (None, None) => ((last - DEFAULT_JSON_PUSHES).max(0), last),
                (after, through) => (after.unwrap_or(0), through.unwrap_or(last)),
            }
        };
        let records = store
            .push_records(found.id, after, through, MAX_JSON_PUSHES + 1)
            .await?;
        if records.len() > MAX_JSON_PUSHES {
            return Err(ServiceError::bad_input(
                "endID",
                format!(
                    "the range holds more than {MAX_JSON_PUSHES} pushes; ask for it in pages with startID and endID"
                ),
            ));
        }
        Ok(treeherd_pushlog::render_json_pushes(
            &records,
            last,
            RenderOptions { version, full },
        ))
    }
}
