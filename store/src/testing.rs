//! Fresh databases for tests and benchmarks: one new PostgreSQL database per test, so the
//! same suite runs in parallel on both backends without sharing state.

use diesel::prelude::*;

use crate::StoreError;

/// A database created on a PostgreSQL server for one test, dropped (with its connections)
/// when this value is dropped.
pub struct PostgresTestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PostgresTestDatabase {
    /// Creates database `name` on the server that `admin_url` (any existing database on it)
    /// points at.
    pub fn create(admin_url: &str, name: &str) -> Result<PostgresTestDatabase, StoreError> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(StoreError::Invalid(format!(
                "test database name {name:?} must be lower-case letters, digits and '_'"
            )));
        }
        let mut conn = PgConnection::establish(admin_url)
            .map_err(|e| StoreError::caused_by(&format!("cannot reach {admin_url}"), e))?;
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut conn)?;
        Ok(PostgresTestDatabase {
            admin_url: admin_url.to_owned(),
            name: name.to_owned(),
            url: with_database(admin_url, name),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for PostgresTestDatabase {
    fn drop(&mut self) {
        let dropped = PgConnection::establish(&self.admin_url)
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                diesel::sql_query(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .execute(&mut conn)
                .map_err(|e| e.to_string())
            });
        if let Err(e) = dropped {
            eprintln!("could not drop test database {}: {e}", self.name);
        }
    }
}

/// `url` with its database (the path after the host) replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

impl crate::Store {
    /// One statement that holds its pooled connection for `seconds` on PostgreSQL
    /// (`pg_sleep`), through the same path as every store call; at once on SQLite. For tests
    /// of what ends a statement.
    pub async fn sleep_in_database(&self, seconds: f64) -> Result<(), StoreError> {
        self.run(move |conn| {
            if let crate::db::DbConnection::Pg(c) = conn {
                diesel::sql_query(format!("SELECT pg_sleep({seconds})")).execute(c)?;
            }
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_only_the_database() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "t2"),
            "postgres://u@h/t2?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "t3"), "postgres://u@h/t3");
    }
}
