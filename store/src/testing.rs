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

/// Every reference from one table's column to another table's `id` (or `job_id`), for
/// [`crate::Store::orphans`]: (table, column, parent table, parent column).
const REFERENCES: [(&str, &str, &str, &str); 19] = [
    ("job_attributes", "job_id", "jobs", "id"),
    ("job_dependencies", "dependent_id", "jobs", "id"),
    ("job_dependencies", "dependency_id", "jobs", "id"),
    ("job_logs", "job_id", "jobs", "id"),
    ("log_errors", "log_id", "job_logs", "id"),
    ("log_steps", "log_id", "job_logs", "id"),
    ("artifacts", "job_id", "jobs", "id"),
    ("artifacts", "test_result_id", "test_results", "id"),
    ("test_results", "job_id", "jobs", "id"),
    ("perf_data", "job_id", "jobs", "id"),
    ("perf_data", "log_id", "job_logs", "id"),
    ("perf_data", "push_row_id", "pushes", "id"),
    ("machines", "current_job_id", "jobs", "id"),
    ("releases", "job_id", "jobs", "id"),
    ("builds", "job_id", "jobs", "id"),
    ("classifications", "job_id", "jobs", "id"),
    ("classifications", "log_id", "job_logs", "id"),
    ("job_classifications", "job_id", "jobs", "id"),
    (
        "job_classification_bugs",
        "job_id",
        "job_classifications",
        "job_id",
    ),
];

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

impl crate::Store {
    /// Rows of `table` matching the SQL condition `condition` (a test's own text, never a
    /// client's). For tests that check what a write left behind.
    pub async fn count_rows(&self, table: &str, condition: &str) -> Result<i64, StoreError> {
        let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {condition}");
        self.run(move |conn| {
            let count: Count = per_backend!(conn, |c| diesel::sql_query(&sql).get_result(c)?);
            Ok(count.n)
        })
        .await
    }

    /// The references between tables that have rows whose referenced row is gone, named
    /// `table.column`, with how many: none unless something deleted around the foreign keys.
    pub async fn orphans(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let mut found = Vec::new();
        for (table, column, parent, key) in REFERENCES {
            let n = self
                .count_rows(
                    table,
                    &format!(
                        "{column} IS NOT NULL AND NOT EXISTS \
                         (SELECT 1 FROM {parent} p WHERE p.{key} = {table}.{column})"
                    ),
                )
                .await?;
            if n > 0 {
                found.push((format!("{table}.{column}"), n));
            }
        }
        Ok(found)
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
