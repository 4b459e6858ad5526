//! The edges that dangle (no dependency id: the dependency has not arrived, or has expired)
//! are found by guid through an index of their own, whatever the statistics say. With one
//! full index on each column, PostgreSQL planned the query that binds a new job's dangling
//! edges on the dependency-id index when few ids were null, and once retention left a day's
//! edges dangling every ingested batch walked them all (migration 000017). Here the table
//! holds only bound edges and is analysed, the statistics that led to that plan, and the query
//! must still be planned on `job_dependencies_dangling`; a walk by dependency id keeps its
//! index.

use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::MigrationHarness;

use crate::databases::{self, POSTGRES_MIGRATIONS};

/// Edges in the table, every one bound.
const EDGES: usize = 2000;

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

fn plan(conn: &mut PgConnection, query: &str) -> String {
    diesel::sql_query(format!("EXPLAIN {query}"))
        .load::<PlanLine>(conn)
        .expect("the plan")
        .into_iter()
        .map(|l| l.line)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn dangling_edges_are_found_by_their_own_index_when_the_statistics_say_none_dangle() {
    let Some((_database, mut pg)) = databases::postgres() else {
        return;
    };
    pg.run_pending_migrations(POSTGRES_MIGRATIONS)
        .expect("the PostgreSQL migrations");
    diesel::sql_query(
        "INSERT INTO repositories (name, vcs, url, indexed_attributes) VALUES ('r', 'git', 'u', '[]')",
    )
    .execute(&mut pg)
    .expect("a repository");
    diesel::sql_query(
        "INSERT INTO jobs (guid, repository_id, kind, name, state, result, tier, attributes) \
         SELECT 'job-' || n, (SELECT id FROM repositories), 'TEST', 'test', 'COMPLETED', \
         'SUCCESS', 1, '{}' FROM generate_series(1, 2) AS n",
    )
    .execute(&mut pg)
    .expect("two jobs");
    diesel::sql_query(format!(
        "INSERT INTO job_dependencies (dependent_id, dependency_guid, dependency_id, kind) \
         SELECT (SELECT min(id) FROM jobs), 'dependency-' || n, (SELECT max(id) FROM jobs), \
         'GENERIC' FROM generate_series(1, {EDGES}) AS n"
    ))
    .execute(&mut pg)
    .expect("bound edges");
    diesel::sql_query("ANALYZE job_dependencies")
        .execute(&mut pg)
        .expect("analyse");
    diesel::sql_query("SET enable_seqscan = off")
        .execute(&mut pg)
        .expect("no sequential scans");

    let binding = plan(
        &mut pg,
        "SELECT DISTINCT dependency_guid FROM job_dependencies \
         WHERE dependency_guid = ANY(ARRAY['dependency-7', 'new']) AND dependency_id IS NULL",
    );
    assert!(
        binding.contains("job_dependencies_dangling"),
        "binding dangling edges is not planned on their index:\n{binding}"
    );
    let walk = plan(
        &mut pg,
        "SELECT dependent_id FROM job_dependencies WHERE dependency_id = ANY(ARRAY[1, 2]::bigint[])",
    );
    assert!(
        walk.contains("job_dependencies_by_dependency"),
        "a walk by dependency id is not planned on its index:\n{walk}"
    );
}
