//! Relay connections over the store's keyset pages: `first` is required and capped at
//! [`crate::limits::MAX_PAGE_SIZE`], cursors are opaque.
//!
//! Every list pages by key, never by offset. A cursor is the row's key (`id`, or `push_id` for
//! pushes) in URL-safe base64.

use async_graphql::OutputType;
use async_graphql::connection::{Connection, CursorType, Edge};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use treeherd_store::{Page, PageRequest};

use crate::ApiError;
use crate::limits::MAX_PAGE_SIZE;

/// A position in a keyset-ordered list. Encoded so clients treat it as opaque.
pub(crate) struct KeyCursor(pub i64);

const CURSOR_PREFIX: &str = "k:";

impl CursorType for KeyCursor {
    type Error = String;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let bytes = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| format!("{s:?} is not a cursor of this API"))?;
        std::str::from_utf8(&bytes)
            .ok()
            .and_then(|text| text.strip_prefix(CURSOR_PREFIX))
            .and_then(|key| key.parse().ok())
            .map(KeyCursor)
            .ok_or_else(|| format!("{s:?} is not a cursor of this API"))
    }

    fn encode_cursor(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{}", self.0))
    }
}

/// Checks `first` and decodes `after`.
pub(crate) fn page_request(first: i32, after: Option<String>) -> Result<PageRequest, ApiError> {
    if !(1..=MAX_PAGE_SIZE).contains(&first) {
        return Err(ApiError::BadUserInput(format!(
            "first must be between 1 and {MAX_PAGE_SIZE}, not {first}"
        )));
    }
    let after = after
        .map(|cursor| KeyCursor::decode_cursor(&cursor).map_err(ApiError::BadUserInput))
        .transpose()?;
    Ok(PageRequest {
        after: after.map(|c| c.0),
        limit: first as usize,
    })
}

/// A connection over a page, with each item's key as its cursor.
pub(crate) fn connection<T, N: OutputType>(
    page: Page<T>,
    has_previous: bool,
    key: impl Fn(&T) -> i64,
    node: impl Fn(T) -> N,
) -> Connection<KeyCursor, N> {
    let mut connection = Connection::new(has_previous, page.has_next);
    connection.edges = page
        .items
        .into_iter()
        .map(|item| Edge::new(KeyCursor(key(&item)), node(item)))
        .collect();
    connection
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let encoded = KeyCursor(42).encode_cursor();
        assert_eq!(KeyCursor::decode_cursor(&encoded).map(|c| c.0), Ok(42));
        for bad in ["", "42", "!!", &URL_SAFE_NO_PAD.encode("x:1")] {
            assert!(KeyCursor::decode_cursor(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn first_is_required_within_the_cap() {
        assert!(page_request(1, None).is_ok());
        assert!(page_request(MAX_PAGE_SIZE, None).is_ok());
        assert!(page_request(0, None).is_err());
        assert!(page_request(MAX_PAGE_SIZE + 1, None).is_err());
        assert!(page_request(10, Some("nope".into())).is_err());
    }
}
