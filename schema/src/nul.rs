//! NUL characters (U+0000) are refused in every string a GraphQL request brings, variables and
//! the document's own literals alike, before anything runs: PostgreSQL cannot store one and
//! SQLite can, so both backends answer the same `BAD_USER_INPUT` instead of disagreeing (the
//! same rule as pulse messages, `treeherd_model::NUL_RULE`). It is an extension so that a
//! persisted query's remembered document is checked with its new variables too.

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ErrorExtensionValues, Name, Positioned, ServerError, ServerResult, Variables};
use async_graphql_value::{ConstValue, Value};
use std::sync::Arc;

/// Registered on the schema: refuses a request with a NUL in any string.
pub(crate) struct RefuseNul;

impl ExtensionFactory for RefuseNul {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RefuseNul)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for RefuseNul {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Some((name, _)) = variables.iter().find(|(_, value)| const_has_nul(value)) {
            return Err(refused(&format!("variable ${name}")));
        }
        if document_has_nul(&document) {
            return Err(refused("a string in the query"));
        }
        Ok(document)
    }
}

fn refused(what: &str) -> ServerError {
    let mut error = ServerError::new(format!("{what} {}", treeherd_model::NUL_RULE), None);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", "BAD_USER_INPUT");
    error.extensions = Some(extensions);
    error
}

fn const_has_nul(value: &ConstValue) -> bool {
    match value {
        ConstValue::String(s) => s.contains('\0'),
        ConstValue::List(items) => items.iter().any(const_has_nul),
        ConstValue::Object(fields) => fields.values().any(const_has_nul),
        _ => false,
    }
}

fn value_has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::List(items) => items.iter().any(value_has_nul),
        Value::Object(fields) => fields.values().any(value_has_nul),
        _ => false,
    }
}

/// Whether a literal anywhere in the document (arguments of fields and directives, default
/// values of variables) holds a NUL.
fn document_has_nul(document: &ExecutableDocument) -> bool {
    document.operations.iter().any(|(_, operation)| {
        let operation = &operation.node;
        directives_have_nul(&operation.directives)
            || operation.variable_definitions.iter().any(|v| {
                v.node
                    .default_value
                    .as_ref()
                    .is_some_and(|d| const_has_nul(&d.node))
                    || directives_have_nul(&v.node.directives)
            })
            || set_has_nul(&operation.selection_set.node)
    }) || document.fragments.values().any(|fragment| {
        directives_have_nul(&fragment.node.directives)
            || set_has_nul(&fragment.node.selection_set.node)
    })
}

fn set_has_nul(set: &SelectionSet) -> bool {
    set.items.iter().any(|item| {
        directives_have_nul(item.node.directives())
            || match &item.node {
                Selection::Field(field) => {
                    arguments_have_nul(&field.node.arguments)
                        || set_has_nul(&field.node.selection_set.node)
                }
                Selection::InlineFragment(fragment) => {
                    set_has_nul(&fragment.node.selection_set.node)
                }
                Selection::FragmentSpread(_) => false,
            }
    })
}

fn arguments_have_nul(arguments: &[(Positioned<Name>, Positioned<Value>)]) -> bool {
    arguments
        .iter()
        .any(|(_, value)| value_has_nul(&value.node))
}

fn directives_have_nul(directives: &[Positioned<Directive>]) -> bool {
    directives
        .iter()
        .any(|d| arguments_have_nul(&d.node.arguments))
}
