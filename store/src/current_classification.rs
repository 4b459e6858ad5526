//! A job's current classification as stored for reading: its row of `job_classifications`
//! (what the push status, the jobs filter and the intermittent-failures view count) and one
//! row of `job_classification_bugs` per bug it names. Every classification, a person's or the
//! autoclassifier's, ends here.
//!
//! The two writes are hand-written statements whose text never changes (the bugs are one JSON
//! array parameter, expanded by the database), so each connection prepares them once and keeps
//! them: diesel prepares its SQLite upsert and a multi-row insert anew on every call, which cost
//! the autoclassifier about a fifth of its time (and two round trips instead of one each on
//! PostgreSQL).

use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, HasSqlType, Integer, Nullable, Text};
use diesel::sqlite::Sqlite;

use crate::StoreError;
use crate::db::DbConnection;

/// A job's current classification, as its two tables hold it.
#[derive(Debug, Clone)]
pub(crate) struct CurrentClassification<'a> {
    pub job_id: i64,
    pub repository_id: i64,
    pub push_row_id: Option<i64>,
    /// The decision's row in `classifications`.
    pub classification_id: i64,
    /// Treeherder's id of the classification.
    pub classification: i32,
    pub automatic: bool,
    pub failed_at: i64,
    pub platform: Option<&'a str>,
}

/// Makes `current` the job's classification: replaces its row and its bugs' rows with
/// `bugs` (distinct ids).
pub(crate) fn write(
    conn: &mut DbConnection,
    current: &CurrentClassification<'_>,
    bugs: &[i64],
) -> Result<(), StoreError> {
    use crate::schema::job_classification_bugs as jcb;
    diesel::delete(jcb::table.filter(jcb::job_id.eq(current.job_id))).execute(conn)?;
    per_backend!(conn, |c| diesel::RunQueryDsl::execute(
        Upsert(current.clone()),
        c
    )?);
    if !bugs.is_empty() {
        let rows = BugRows {
            current: current.clone(),
            bugs: serde_json::to_string(bugs)
                .map_err(|e| StoreError::Invalid(format!("bug list: {e}")))?,
        };
        per_backend!(conn, |c| diesel::RunQueryDsl::execute(rows, c)?);
    }
    Ok(())
}

/// `INSERT ... ON CONFLICT (job_id) DO UPDATE` of the job's row (the same text on both).
#[derive(Debug, Clone)]
struct Upsert<'a>(CurrentClassification<'a>);

/// The job's bugs' rows, from a JSON array of bug ids.
#[derive(Debug, Clone)]
struct BugRows<'a> {
    current: CurrentClassification<'a>,
    bugs: String,
}

impl<DB> QueryFragment<DB> for Upsert<'_>
where
    DB: Backend + HasSqlType<BigInt> + HasSqlType<Integer> + HasSqlType<Bool> + HasSqlType<Text>,
    i64: ToSql<BigInt, DB>,
    i32: ToSql<Integer, DB>,
    bool: ToSql<Bool, DB>,
    Option<i64>: ToSql<Nullable<BigInt>, DB>,
    for<'x> Option<&'x str>: ToSql<Nullable<Text>, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let c = &self.0;
        out.push_sql(
            "INSERT INTO job_classifications (job_id, repository_id, push_row_id, \
             classification_id, classification, automatic, failed_at, platform) VALUES (",
        );
        out.push_bind_param::<BigInt, _>(&c.job_id)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&c.repository_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<BigInt>, _>(&c.push_row_id)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&c.classification_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Integer, _>(&c.classification)?;
        out.push_sql(", ");
        out.push_bind_param::<Bool, _>(&c.automatic)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&c.failed_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&c.platform)?;
        out.push_sql(
            ") ON CONFLICT (job_id) DO UPDATE SET repository_id = excluded.repository_id, \
             push_row_id = excluded.push_row_id, classification_id = excluded.classification_id, \
             classification = excluded.classification, automatic = excluded.automatic, \
             failed_at = excluded.failed_at, platform = excluded.platform",
        );
        Ok(())
    }
}

impl BugRows<'_> {
    /// The statement up to the JSON array's expansion: `SELECT` of every column but the bug.
    fn head<'b, DB>(&'b self, out: &mut AstPass<'_, 'b, DB>, bug: &str) -> QueryResult<()>
    where
        DB: Backend + HasSqlType<BigInt> + HasSqlType<Integer> + HasSqlType<Text>,
        i64: ToSql<BigInt, DB>,
        i32: ToSql<Integer, DB>,
        for<'x> Option<&'x str>: ToSql<Nullable<Text>, DB>,
    {
        let c = &self.current;
        out.push_sql(
            "INSERT INTO job_classification_bugs (job_id, bug_id, failed_at, classification, \
             repository_id, platform) SELECT ",
        );
        out.push_bind_param::<BigInt, _>(&c.job_id)?;
        out.push_sql(", ");
        out.push_sql(bug);
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&c.failed_at)?;
        out.push_sql(", ");
        out.push_bind_param::<Integer, _>(&c.classification)?;
        out.push_sql(", ");
        out.push_bind_param::<BigInt, _>(&c.repository_id)?;
        out.push_sql(", ");
        out.push_bind_param::<Nullable<Text>, _>(&c.platform)?;
        Ok(())
    }
}

impl QueryFragment<Sqlite> for BugRows<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.head(&mut out, "k.value")?;
        out.push_sql(" FROM json_each(");
        out.push_bind_param::<Text, _>(&self.bugs)?;
        out.push_sql(") AS k");
        Ok(())
    }
}

impl QueryFragment<Pg> for BugRows<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.head(&mut out, "k.value::bigint")?;
        out.push_sql(" FROM jsonb_array_elements_text(");
        out.push_bind_param::<Text, _>(&self.bugs)?;
        out.push_sql("::jsonb) AS k(value)");
        Ok(())
    }
}

impl QueryId for Upsert<'_> {
    type QueryId = Upsert<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryId for BugRows<'_> {
    type QueryId = BugRows<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<Conn> RunQueryDsl<Conn> for Upsert<'_> {}
impl<Conn> RunQueryDsl<Conn> for BugRows<'_> {}
