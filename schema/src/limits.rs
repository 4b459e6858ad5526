//! The schema's limits: page size, query depth and complexity, batch sizes, and the
//! complexity of a paged field. `lib.rs` builds the schema with them and the resolvers
//! (the roots and the types) check them, so they live in a file of their own that both use.

/// The most items one page of any connection returns (`first` is required and capped here).
pub const MAX_PAGE_SIZE: i32 = 1000;
/// The most test results one `submitTestResults` call takes.
pub use treeherd_service::jobs::MAX_TEST_RESULTS;
/// The most values one `perfSeries` answer holds.
pub const MAX_SERIES_POINTS: i32 = 10_000;
/// How deeply a query may nest (the introspection query GraphiQL sends needs about 13).
pub const MAX_DEPTH: usize = 16;
/// The most work one query may ask for: each field counts 1, and a connection's fields count
/// once per requested item (`first`). 50 pushes × 500 jobs × 20 fields fits.
pub const MAX_COMPLEXITY: usize = 600_000;

/// What a field that walks the dependency graph costs besides what it answers: a walk may
/// visit a whole ancestry, thousands of jobs, so one request holds at most about a hundred
/// (a thousand aliased `criticalPath`s once took 9 s, 250 aliased `descendants` exhausted the
/// connection pool). The job detail's few walks cost a few percent of the limit.
pub const WALK_COST: usize = 5_000;
/// What a drawing (`svg`, `dot`) of a dependency graph costs: by the most it may draw
/// ([`MAX_GRAPH_JOBS`] jobs, ten points each), so a request holds at most a few dozen drawings.
pub const DRAWING_COST: usize = 10 * MAX_GRAPH_JOBS;
/// The most jobs `dependencyGraph` draws.
pub const MAX_GRAPH_JOBS: usize = 2000;

/// The complexity of a paged field that walks the graph: a walk and its page.
pub(crate) fn walk_complexity(first: i32, child_complexity: usize) -> usize {
    WALK_COST + page_complexity(first, child_complexity)
}

/// The complexity of a connection field: its selection once per item it may answer (`first`,
/// counted up to [`MAX_PAGE_SIZE`]: a larger `first` is refused anyway), plus the field itself.
/// Every paged field names it in `#[graphql(complexity = ...)]`.
pub(crate) fn page_complexity(first: i32, child_complexity: usize) -> usize {
    (first.clamp(0, MAX_PAGE_SIZE) as usize) * child_complexity + 1
}
