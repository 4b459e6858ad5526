//! An answer's fields in the order the query asks for them, as the GraphQL spec requires
//! ("ordered by the order in which they appear in the query"): async-graphql 7 inserts the
//! fields of a parallel selection as their resolvers finish (async-graphql issue #612), so
//! three aliased `push` fields could come back third, first, second. Once the document is
//! parsed the extension takes each operation's shape (its response keys in order, fragments
//! flattened, aliases as written); once the operation has run it sorts each object of the
//! answer by it.

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery,
};
use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Response, ServerResult, Value, Variables};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Registered on the schema: puts every answer's fields in query order.
pub(crate) struct FieldOrder;

impl ExtensionFactory for FieldOrder {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(InQueryOrder::default())
    }
}

/// One request's operations, each with the shape of its answer: computed once the document
/// is parsed (rather than keeping a copy of the document), used once it has run.
#[derive(Default)]
struct InQueryOrder {
    shapes: Mutex<Vec<(Option<Name>, Shape)>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for InQueryOrder {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let shapes = document
            .operations
            .iter()
            .map(|(name, operation)| {
                let set = &operation.node.selection_set.node;
                (name.cloned(), Shape::of(&[set], &document.fragments))
            })
            .collect();
        if let Ok(mut kept) = self.shapes.lock() {
            *kept = shapes;
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        if let Ok(shapes) = self.shapes.lock()
            && let Some((_, shape)) = shapes.iter().find(|(name, _)| {
                operation_name.is_none() || name.as_ref().map(Name::as_str) == operation_name
            })
        {
            shape.arrange(&mut response.data);
        }
        response
    }
}

/// The response keys a selection asks for, in query order, each with the shape of its value.
#[derive(Default)]
struct Shape {
    fields: Vec<(Name, Shape)>,
}

type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

impl Shape {
    /// The merged shape of `sets` (a response key selected twice is one key, its selections
    /// merged).
    fn of(sets: &[&SelectionSet], fragments: &Fragments) -> Shape {
        let mut keys: Vec<(Name, Vec<&SelectionSet>)> = Vec::new();
        for set in sets {
            collect(set, fragments, &mut keys, 0);
        }
        Shape {
            fields: keys
                .into_iter()
                .map(|(key, sets)| (key, Shape::of(&sets, fragments)))
                .collect(),
        }
    }

    /// Sorts every object of `value` (and of its lists) by this shape.
    fn arrange(&self, value: &mut Value) {
        match value {
            Value::Object(map) if !self.fields.is_empty() => {
                let rank = |key: &Name| {
                    self.fields
                        .iter()
                        .position(|(name, _)| name == key)
                        .unwrap_or(usize::MAX)
                };
                // Most objects are in order already (their fields resolved at once): sorting
                // rebuilds the map's index, checking does not.
                if !map.keys().map(rank).is_sorted() {
                    map.sort_by(|a, _, b, _| rank(a).cmp(&rank(b)));
                }
                for (key, value) in map.iter_mut() {
                    if let Some((_, shape)) = self.fields.iter().find(|(name, _)| name == key) {
                        shape.arrange(value);
                    }
                }
            }
            Value::List(items) => items.iter_mut().for_each(|item| self.arrange(item)),
            _ => {}
        }
    }
}

/// The most fragment spreads followed inside one another (validation refuses cycles; this
/// only bounds the walk).
const MAX_SPREADS: usize = 32;

/// Appends the response keys of `set` (inline fragments and spreads flattened) to `keys`,
/// with the selections of each.
fn collect<'d>(
    set: &'d SelectionSet,
    fragments: &'d Fragments,
    keys: &mut Vec<(Name, Vec<&'d SelectionSet>)>,
    spreads: usize,
) {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                let field = &field.node;
                let key = field.response_key().node.clone();
                let child = &field.selection_set.node;
                match keys.iter_mut().find(|(name, _)| *name == key) {
                    Some((_, sets)) => sets.push(child),
                    None => keys.push((key, vec![child])),
                }
            }
            Selection::InlineFragment(fragment) => {
                collect(&fragment.node.selection_set.node, fragments, keys, spreads);
            }
            Selection::FragmentSpread(spread) => {
                if spreads < MAX_SPREADS
                    && let Some(fragment) = fragments.get(&spread.node.fragment_name.node)
                {
                    collect(
                        &fragment.node.selection_set.node,
                        fragments,
                        keys,
                        spreads + 1,
                    );
                }
            }
        }
    }
}
