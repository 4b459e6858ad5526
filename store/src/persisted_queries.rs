//! The GraphQL documents remembered for automatic persisted queries, by their SHA-256: what
//! one server is told, every server on the database knows. Bounded: past `keep` documents the
//! oldest remembered go, so no client can grow the table without end (a forgotten document
//! costs its client one more round trip, nothing else).

use diesel::prelude::*;

use crate::db;
use crate::schema::persisted_queries;
use crate::{Store, StoreError};

impl Store {
    /// The document remembered under `sha256` (lower-case hex), if any.
    pub async fn persisted_query(&self, sha256: String) -> Result<Option<String>, StoreError> {
        self.run(move |conn| {
            Ok(persisted_queries::table
                .filter(persisted_queries::sha256.eq(&sha256))
                .select(persisted_queries::query)
                .first(conn)
                .optional()?)
        })
        .await
    }

    /// Remembers `query` under `sha256` (the caller has checked that it is the query's hash);
    /// remembering it again changes nothing. Then forgets the oldest documents beyond the
    /// newest `keep`.
    pub async fn persist_query(
        &self,
        sha256: String,
        query: String,
        keep: i64,
    ) -> Result<(), StoreError> {
        self.run(move |conn| {
            db::write(conn, |conn| {
                per_backend!(conn, |c| diesel::insert_into(persisted_queries::table)
                    .values((
                        persisted_queries::sha256.eq(&sha256),
                        persisted_queries::query.eq(&query),
                    ))
                    .on_conflict(persisted_queries::sha256)
                    .do_nothing()
                    .execute(c)?);
                // The id of the oldest document to keep: everything before it goes.
                let oldest_kept: Option<i64> = persisted_queries::table
                    .select(persisted_queries::id)
                    .order(persisted_queries::id.desc())
                    .offset(keep.max(1) - 1)
                    .first(conn)
                    .optional()?;
                if let Some(oldest_kept) = oldest_kept {
                    diesel::delete(
                        persisted_queries::table.filter(persisted_queries::id.lt(oldest_kept)),
                    )
                    .execute(conn)?;
                }
                Ok(())
            })
        })
        .await
    }
}
