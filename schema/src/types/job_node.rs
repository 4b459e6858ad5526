//! A job as an item of a job connection (its `nodes` and each edge's `node`), built without a
//! future per field. A push grid asks for ~600 jobs of a dozen fields; resolved as `Job`'s
//! own object, each field is a boxed future through every schema extension, and the profile
//! under load was that machinery (allocation, moves of large futures, `FuturesUnordered`), not
//! the rows: 0.09× of the same rows written with serde, and ~15 MB of futures per request
//! in flight. The fields that read only the job's row are written straight into the answer,
//! in query order; any other (classification, push, walks, attributes) is resolved by `Job`'s
//! own resolver, as before. To clients the type is `Job`: same name, same type information.
//! What it writes counts towards the request's answer cap (`crate::answer_budget`).

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::resolver_utils::enum_value;
use async_graphql::{
    ContainerType, Context, ContextSelectionSet, Name, OutputType, Positioned, ScalarType,
    ServerResult, Value, registry,
};
use std::borrow::Cow;

use super::global_id;
use super::time::to_datetime;
use super::{Classification, Job, JobKind, JobResult, JobState};
use crate::answer_budget;
use crate::loaders::{ClassificationOfJob, load};

/// The fields [`JobNode::row_field`] writes.
const ROW_FIELDS: [&str; 16] = [
    "id",
    "guid",
    "kind",
    "name",
    "symbol",
    "groupSymbol",
    "groupName",
    "platform",
    "buildSystem",
    "state",
    "result",
    "tier",
    "machine",
    "submittedAt",
    "startedAt",
    "finishedAt",
];

/// A `Job` in a list, with its classification when it was loaded with the list.
pub(crate) struct JobNode {
    job: Job,
    /// `Some` when loaded with the list (`JobConnection::with_classifications`): the job's
    /// classification now, if any. `None`: the loader fetches it when asked.
    classification: Option<Option<treeherd_store::Classification>>,
}

impl JobNode {
    pub(crate) fn of(job: treeherd_store::Job) -> JobNode {
        JobNode {
            job: Job(job),
            classification: None,
        }
    }

    pub(crate) fn from_job(job: Job) -> JobNode {
        JobNode {
            job,
            classification: None,
        }
    }

    pub(crate) fn id(&self) -> treeherd_store::JobId {
        self.job.0.id
    }

    /// Its classification now, loaded with its list (`None`: it has none).
    pub(crate) fn set_classification(&mut self, found: Option<treeherd_store::Classification>) {
        self.classification = Some(found);
    }

    pub(crate) fn has_classification(&self) -> bool {
        self.classification.is_some()
    }

    /// Whether every field `set` asks of a job is written without waiting: a row field,
    /// `__typename`, or the classification when it was loaded with the list.
    pub(crate) fn ready(
        ctx: &ContextSelectionSet<'_>,
        set: &Positioned<SelectionSet>,
        classification_loaded: bool,
    ) -> bool {
        set.node
            .items
            .iter()
            .all(|selection| match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    name == "__typename"
                    || ROW_FIELDS.contains(&name)
                    // None of a classification's fields waits on anything.
                    || (name == "classification" && classification_loaded)
                }
                Selection::FragmentSpread(spread) => ctx
                    .query_env
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .is_none_or(|fragment| {
                        !applies(
                            ctx,
                            Some(fragment.node.type_condition.node.on.node.as_str()),
                        ) || Self::ready(ctx, &fragment.node.selection_set, classification_loaded)
                    }),
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str());
                    !applies(ctx, on)
                        || Self::ready(ctx, &fragment.node.selection_set, classification_loaded)
                }
            })
    }

    /// The value of `name` if it is read from the row alone.
    fn row_field(&self, name: &str) -> Option<Value> {
        let job = &self.job.0;
        let text = |s: &Option<String>| {
            s.as_deref()
                .map_or(Value::Null, |s| Value::String(s.to_owned()))
        };
        let time = |t: Option<i64>| t.map_or(Value::Null, |t| to_datetime(t).to_value());
        Some(match name {
            "id" => Value::String(global_id::encode("Job", job.id.0).to_string()),
            "guid" => Value::String(job.guid.clone()),
            "kind" => enum_value(JobKind::from(job.kind)),
            "name" => Value::String(job.name.clone()),
            "symbol" => text(&job.symbol),
            "groupSymbol" => text(&job.group_symbol),
            "groupName" => text(&job.group_name),
            "platform" => text(&job.platform),
            "buildSystem" => text(&job.build_system),
            "state" => enum_value(JobState::from(job.state)),
            "result" => enum_value(JobResult::from(job.result)),
            "tier" => Value::from(job.tier),
            "machine" => text(&job.machine),
            "submittedAt" => time(job.submitted_at),
            "startedAt" => time(job.started_at),
            "finishedAt" => time(job.finished_at),
            _ => return None,
        })
    }

    /// Adds the fields of `set` (fragments that apply to a job included) to `object`.
    async fn add_set<'a>(
        &'a self,
        ctx: &ContextSelectionSet<'a>,
        set: &'a Positioned<SelectionSet>,
        object: &mut IndexMap<Name, Value>,
        bytes: &mut usize,
    ) {
        for selection in &set.node.items {
            match &selection.node {
                Selection::Field(field) => self.add_field(ctx, field, object, bytes).await,
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) =
                        ctx.query_env.fragments.get(&spread.node.fragment_name.node)
                        && applies(
                            ctx,
                            Some(fragment.node.type_condition.node.on.node.as_str()),
                        )
                    {
                        Box::pin(self.add_set(ctx, &fragment.node.selection_set, object, bytes))
                            .await;
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map(|c| c.node.on.node.as_str());
                    if applies(ctx, on) {
                        Box::pin(self.add_set(ctx, &fragment.node.selection_set, object, bytes))
                            .await;
                    }
                }
            }
        }
    }

    async fn add_field<'a>(
        &'a self,
        ctx: &ContextSelectionSet<'a>,
        field: &'a Positioned<Field>,
        object: &mut IndexMap<Name, Value>,
        bytes: &mut usize,
    ) {
        let key = field.node.response_key().node.clone();
        let name = field.node.name.node.as_str();
        let value = if name == "__typename" {
            Value::String("Job".to_owned())
        } else if let Some(value) = self.row_field(name) {
            *bytes += key.len() + 3 + answer_budget::leaf_bytes(&value);
            value
        } else {
            let ctx_field = ctx.with_field(field);
            // Boxed: `Job`'s resolver future is large, and an item of a list keeps its own
            // future while it waits, so inline it would weigh on every job of the list.
            let resolved = if name == "classification" {
                Box::pin(self.classification(&ctx_field, field)).await
            } else {
                Box::pin(self.job.resolve_field(&ctx_field)).await
            };
            match resolved {
                Ok(value) => value.unwrap_or_default(),
                Err(error) => {
                    ctx.add_error(error);
                    return;
                }
            }
        };
        insert(object, key, value);
    }
}

impl JobNode {
    /// The job's classification now: the one field of the push grid that is not on the row,
    /// loaded with the list (or by the loader) and resolved as its own object.
    async fn classification(
        &self,
        ctx: &Context<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Option<Value>> {
        let loaded = match &self.classification {
            Some(preloaded) => preloaded.clone(),
            None => load(ctx, ClassificationOfJob(self.job.0.id))
                .await
                .map_err(|e| {
                    ctx.set_error_path(async_graphql::Error::from(e).into_server_error(field.pos))
                })?,
        };
        match loaded {
            Some(classification) => {
                let set = ctx.with_selection_set(&field.node.selection_set);
                Ok(Some(
                    OutputType::resolve(&Classification(classification), &set, field).await?,
                ))
            }
            None => Ok(Some(Value::Null)),
        }
    }
}

/// Whether a fragment on `on` applies to a job.
fn applies(ctx: &ContextSelectionSet<'_>, on: Option<&str>) -> bool {
    on.is_none_or(|on| {
        on == "Job"
            || ctx
                .schema_env
                .registry
                .implements
                .get("Job")
                .is_some_and(|interfaces| interfaces.contains(on))
    })
}

/// Inserts a field's value; a key asked for twice merges its objects, as GraphQL merges the
/// selections of one response key.
fn insert(object: &mut IndexMap<Name, Value>, key: Name, value: Value) {
    match (object.get_mut(&key), value) {
        (Some(Value::Object(into)), Value::Object(from)) => {
            for (key, value) in from {
                insert(into, key, value);
            }
        }
        (Some(_), _) => {}
        (None, value) => {
            object.insert(key, value);
        }
    }
}

impl OutputType for JobNode {
    fn type_name() -> Cow<'static, str> {
        Job::type_name()
    }

    fn qualified_type_name() -> String {
        Job::qualified_type_name()
    }

    fn create_type_info(registry: &mut registry::Registry) -> String {
        Job::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let mut object = IndexMap::with_capacity(ctx.item.node.items.len());
        let mut bytes = 0;
        self.add_set(ctx, ctx.item, &mut object, &mut bytes).await;
        answer_budget::spend(ctx, bytes)?;
        Ok(Value::Object(object))
    }
}
