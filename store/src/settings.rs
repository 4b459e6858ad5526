//! Server-wide settings kept in the database, so every process on it agrees (e.g. the secret
//! that signs write tokens when none is configured).

use diesel::prelude::*;

use crate::db;
use crate::schema::settings;
use crate::{Store, StoreError};

impl Store {
    /// The setting `name`; when absent, stores `make()` first. Concurrent first calls from
    /// several processes agree on one value.
    pub async fn setting_or_insert(
        &self,
        name: &'static str,
        make: impl FnOnce() -> String + Send + 'static,
    ) -> Result<String, StoreError> {
        self.run(move |conn| {
            db::write(conn, |conn| {
                let value = make();
                per_backend!(conn, |c| diesel::insert_into(settings::table)
                    .values((settings::name.eq(name), settings::value.eq(&value)))
                    .on_conflict(settings::name)
                    .do_nothing()
                    .execute(c)?);
                Ok(settings::table
                    .find(name)
                    .select(settings::value)
                    .first(conn)?)
            })
        })
        .await
    }
}
