//! Global ids of the objects clients cache (Relay's `Node`, Apollo's normalised cache):
//! opaque, URL-safe base64 of `Type:key`, where the key is the object's row id, stable for its
//! life. Own file so that every object's `id` field and the `Node` refetch share it without
//! importing each other.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::ApiError;

/// The global id of the object of GraphQL type `kind` whose row id is `key`.
pub(crate) fn encode(kind: &str, key: i64) -> async_graphql::ID {
    async_graphql::ID(URL_SAFE_NO_PAD.encode(format!("{kind}:{key}")))
}

/// The type and row id a global id names; an id this API did not make is `BAD_USER_INPUT`.
pub(crate) fn decode(id: &str) -> Result<(String, i64), ApiError> {
    let bad = || ApiError::BadUserInput(format!("{id:?} is not an id of this API"));
    let bytes = URL_SAFE_NO_PAD.decode(id).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (kind, key) = text.split_once(':').ok_or_else(bad)?;
    let key = key.parse().map_err(|_| bad())?;
    Ok((kind.to_owned(), key))
}
