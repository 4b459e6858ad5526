//! `Query`: the read entry points. Open to everyone.

use crate::types::{JobConnection, JobNode};
use async_graphql::connection::Connection;
use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use treeherd_store::{
    IntermittentQuery, JobFilter, JobScope, MachineFilter, PerfSeriesKey, ReleaseFilter, Store,
};

use crate::ApiError;
use crate::types::{Bug, BugSuggestions, ErrorLineSearch, MAX_NODES, Node, refetch};
use crate::types::{Build, BuildRelease, BuildsQuery, IntermittentFailures};
use crate::types::{
    DependencyGraph, DependencyKind, GraphDirection, Job, JobFilterInput, KeyCursor, Machine,
    MachineFlakiness, MachineState, PerfPoint, Push, Release, Repository, ScheduledJob,
    TestFailureSummary, TestResult, connection, dependency_graph, dependency_path, page_request,
    ready_jobs, to_micros,
};

pub struct Query;

#[Object]
impl Query {
    /// Failures classified as intermittent over `[since, until)` (at most 366 days), of one
    /// repository (or all) and platform (or all): per day with the orange factor, per bug,
    /// and a bug's failures with their jobs.
    async fn intermittent_failures(
        &self,
        ctx: &Context<'_>,
        repository: Option<String>,
        platform: Option<String>,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<IntermittentFailures, ApiError> {
        let repository = match repository {
            Some(name) => Some(ctx.data::<Store>()?.existing_repository(name).await?.id),
            None => None,
        };
        IntermittentFailures::new(IntermittentQuery {
            repository,
            platform,
            since: to_micros(since),
            until: to_micros(until),
        })
    }

    /// The object a global id names (`Node`): `null` when it names none (any more); an id
    /// this API did not make is BAD_USER_INPUT.
    async fn node(
        &self,
        ctx: &Context<'_>,
        id: async_graphql::ID,
    ) -> Result<Option<Node>, ApiError> {
        refetch(ctx, &id, now()).await
    }

    /// The objects global ids name, in their order (`null` for one naming none); at most 100.
    #[graphql(complexity = "ids.len() * child_complexity + 1")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        ids: Vec<async_graphql::ID>,
    ) -> Result<Vec<Option<Node>>, ApiError> {
        if ids.len() > MAX_NODES {
            return Err(ApiError::BadUserInput(format!(
                "nodes takes at most {MAX_NODES} ids, not {}",
                ids.len()
            )));
        }
        let now = now();
        futures_util::future::try_join_all(ids.iter().map(|id| refetch(ctx, id, now))).await
    }

    /// The cursor of the newest change subscribers have heard of. Read it before reading what
    /// you show, then subscribe with `after:` it: no change in between is missed.
    async fn change_cursor(&self, ctx: &Context<'_>) -> Result<String, ApiError> {
        Ok(ctx.data::<Store>()?.last_change_seq().await?.to_string())
    }

    /// Every repository, by name.
    async fn repositories(&self, ctx: &Context<'_>) -> Result<Vec<Repository>, ApiError> {
        let repositories = ctx.data::<Store>()?.repositories().await?;
        Ok(repositories.into_iter().map(Repository).collect())
    }

    async fn repository(
        &self,
        ctx: &Context<'_>,
        name: String,
    ) -> Result<Option<Repository>, ApiError> {
        Ok(ctx.data::<Store>()?.repository(name).await?.map(Repository))
    }

    /// The push of `repository` that holds `revision` as its own or one of its commits':
    /// a full revision, or a prefix of at least 12 hex digits that names one push.
    async fn push(
        &self,
        ctx: &Context<'_>,
        repository: String,
        revision: String,
    ) -> Result<Option<Push>, ApiError> {
        let push = ctx
            .data::<Store>()?
            .push_by_revision(repository, revision)
            .await?;
        Ok(push.map(Push))
    }

    async fn job(&self, ctx: &Context<'_>, guid: String) -> Result<Option<Job>, ApiError> {
        Ok(ctx.data::<Store>()?.job(guid).await?.map(Job))
    }

    /// Jobs of a repository, newest first.
    #[graphql(complexity = "crate::limits::page_complexity(first, child_complexity)")]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        repository: String,
        filter: Option<JobFilterInput>,
        first: i32,
        after: Option<String>,
    ) -> Result<JobConnection, ApiError> {
        let request = page_request(first, after)?;
        let store = ctx.data::<Store>()?;
        let repository = store.existing_repository(repository).await?;
        let filter = match filter {
            Some(filter) => filter.into_store(store).await?,
            None => JobFilter::default(),
        };
        let page = store
            .jobs(JobScope::Repository(repository.id), filter, request)
            .await?;
        JobConnection::from(connection(
            page,
            request.after.is_some(),
            |j| j.id.0,
            JobNode::of,
        ))
        .with_classifications(ctx)
        .await
    }

    /// A test's results (subtests included) in a repository, across pushes, newest recorded
    /// first.
    #[graphql(complexity = "crate::limits::page_complexity(first, child_complexity)")]
    async fn test_history(
        &self,
        ctx: &Context<'_>,
        repository: String,
        test: String,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<KeyCursor, TestResult>, ApiError> {
        let request = page_request(first, after)?;
        let store = ctx.data::<Store>()?;
        let repository = store.existing_repository(repository).await?;
        let page = store.test_history(repository.id, test, request).await?;
        Ok(connection(
            page,
            request.after.is_some(),
            |r| r.id,
            TestResult,
        ))
    }

    /// Every test that failed on a push of `repository` pushed in `[since, until)`, with how
    /// many of those pushes it failed and passed on: INTERMITTENT when it passed on a push
    /// after its first failure, NEW when it has failed on every push since. Most failed
    /// pushes first.
    async fn failure_summary(
        &self,
        ctx: &Context<'_>,
        repository: String,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<TestFailureSummary>, ApiError> {
        if until <= since {
            return Err(ApiError::BadUserInput(
                "until must be later than since".to_owned(),
            ));
        }
        let store = ctx.data::<Store>()?;
        let repository = store.existing_repository(repository).await?;
        let summary = store
            .failure_summary(repository.id, to_micros(since), to_micros(until))
            .await?;
        Ok(summary.into_iter().map(Into::into).collect())
    }

    /// A performance series (PERFHERDER_DATA values of one framework, suite, subtest and
    /// platform), its newest `last` values in push order. Leave `subtest` out for the
    /// suite's own value.
    // One argument per part of the series key, as clients write it.
    #[allow(clippy::too_many_arguments)]
    async fn perf_series(
        &self,
        ctx: &Context<'_>,
        repository: String,
        framework: String,
        suite: String,
        subtest: Option<String>,
        platform: String,
        #[graphql(default = 1000)] last: i32,
    ) -> Result<Vec<PerfPoint>, ApiError> {
        if !(1..=crate::limits::MAX_SERIES_POINTS).contains(&last) {
            return Err(ApiError::BadUserInput(format!(
                "last must be between 1 and {}, not {last}",
                crate::limits::MAX_SERIES_POINTS
            )));
        }
        let store = ctx.data::<Store>()?;
        let repository = store.existing_repository(repository).await?;
        let key = PerfSeriesKey {
            repository_id: repository.id.0,
            framework,
            suite,
            subtest,
            platform,
        };
        let points = store
            .perf_series(key, usize::try_from(last).unwrap_or(0))
            .await?;
        Ok(points.into_iter().map(Into::into).collect())
    }

    /// Machines in the order first seen, filtered by build system, state (as it is now) and
    /// platform.
    #[graphql(complexity = "crate::limits::page_complexity(first, child_complexity)")]
    async fn machines(
        &self,
        ctx: &Context<'_>,
        build_system: Option<String>,
        state: Option<MachineState>,
        platform: Option<String>,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<KeyCursor, Machine>, ApiError> {
        let request = page_request(first, after)?;
        let filter = MachineFilter {
            build_system,
            state: state.map(Into::into),
            platform,
        };
        let page = ctx
            .data::<Store>()?
            .machines(filter, request, now())
            .await?;
        Ok(connection(page, request.after.is_some(), |m| m.id, Machine))
    }

    async fn machine(
        &self,
        ctx: &Context<'_>,
        build_system: String,
        name: String,
    ) -> Result<Option<Machine>, ApiError> {
        Ok(ctx
            .data::<Store>()?
            .machine(build_system, name, now())
            .await?
            .map(Machine))
    }

    /// Machines of `buildSystem` whose completed jobs finished in `[since, until)`, each
    /// beside every machine of its platform; flagged ones (at least `minJobs`, failing at
    /// least twice as often as the platform and 10 points more) first.
    async fn machine_flakiness(
        &self,
        ctx: &Context<'_>,
        build_system: String,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        #[graphql(default = 10)] min_jobs: i32,
    ) -> Result<Vec<MachineFlakiness>, ApiError> {
        if until <= since {
            return Err(ApiError::BadUserInput(
                "until must be later than since".to_owned(),
            ));
        }
        let signal = ctx
            .data::<Store>()?
            .machine_flakiness(
                build_system,
                to_micros(since),
                to_micros(until),
                i64::from(min_jobs.max(1)),
            )
            .await?;
        Ok(signal.into_iter().map(MachineFlakiness).collect())
    }

    /// Scheduled jobs of a repository (kind SCHEDULED, no push) by name: last run, last
    /// success and failure, and whether each is overdue against its declared interval.
    async fn scheduled_jobs(
        &self,
        ctx: &Context<'_>,
        repository: String,
    ) -> Result<Vec<ScheduledJob>, ApiError> {
        let store = ctx.data::<Store>()?;
        let repository = store.existing_repository(repository).await?;
        let jobs = store.scheduled_jobs(repository.id, now()).await?;
        Ok(jobs.into_iter().map(ScheduledJob).collect())
    }

    /// Releases, newest first.
    #[graphql(complexity = "crate::limits::page_complexity(first, child_complexity)")]
    async fn releases(
        &self,
        ctx: &Context<'_>,
        product: Option<String>,
        version: Option<String>,
        channel: Option<String>,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<KeyCursor, Release>, ApiError> {
        let request = page_request(first, after)?;
        let filter = ReleaseFilter {
            product,
            version,
            channel,
        };
        let page = ctx.data::<Store>()?.releases(filter, request).await?;
        Ok(connection(page, request.after.is_some(), |r| r.id, Release))
    }

    /// Pending jobs of a repository whose dependencies have all arrived and succeeded, newest
    /// first.
    #[graphql(complexity = "crate::limits::walk_complexity(first, child_complexity)")]
    async fn ready_jobs(
        &self,
        ctx: &Context<'_>,
        repository: String,
        first: i32,
        after: Option<String>,
    ) -> Result<JobConnection, ApiError> {
        ready_jobs(ctx, repository, first, after).await
    }

    /// The shortest chain of dependency edges from one job to another (guids), following what
    /// `from` depends on, or else what depends on it; null when they are not connected.
    #[graphql(complexity = "crate::limits::WALK_COST + child_complexity")]
    async fn dependency_path(
        &self,
        ctx: &Context<'_>,
        from: String,
        to: String,
    ) -> Result<Option<Vec<Job>>, ApiError> {
        dependency_path(ctx, from, to).await
    }

    /// A job's neighbourhood in the dependency graph (at most 2,000 jobs), with pictures.
    #[graphql(complexity = "crate::limits::WALK_COST + child_complexity")]
    async fn dependency_graph(
        &self,
        ctx: &Context<'_>,
        guid: String,
        #[graphql(default_with = "GraphDirection::Both")] direction: GraphDirection,
        kinds: Option<Vec<DependencyKind>>,
        max_depth: Option<i32>,
    ) -> Result<DependencyGraph, ApiError> {
        dependency_graph(ctx, guid, direction, kinds, max_depth).await
    }

    /// The build of `product` with `buildId` on `platform`: in `locale` (else en-US, else
    /// any) and `channel` (else any).
    async fn build(
        &self,
        ctx: &Context<'_>,
        product: String,
        build_id: String,
        platform: String,
        locale: Option<String>,
        channel: Option<String>,
    ) -> Result<Option<Build>, ApiError> {
        crate::types::build::build(ctx, product, build_id, platform, locale, channel).await
    }

    /// Builds of a product, newest build id first; each other argument given must match.
    // One argument per filter, as crash reporting writes them.
    #[allow(clippy::too_many_arguments)]
    #[graphql(complexity = "crate::limits::page_complexity(first, child_complexity)")]
    async fn builds(
        &self,
        ctx: &Context<'_>,
        product: String,
        version: Option<String>,
        channel: Option<String>,
        platform: Option<String>,
        locale: Option<String>,
        first: i32,
        after: Option<String>,
    ) -> Result<Connection<KeyCursor, Build>, ApiError> {
        let query = BuildsQuery {
            product,
            version,
            channel,
            platform,
            locale,
        };
        crate::types::build::builds(ctx, query, first, after).await
    }

    /// What `buildId` is in `product` and `channel`: the true version of a crash report's
    /// build (a beta reports 64.0 for 64.0b4; DevEdition betas are product devedition on
    /// channel aurora). Null when no such build is known.
    async fn release_for_build(
        &self,
        ctx: &Context<'_>,
        product: String,
        channel: String,
        build_id: String,
    ) -> Result<Option<BuildRelease>, ApiError> {
        crate::types::build::release_for_build(ctx, product, channel, build_id).await
    }

    /// The bug with Bugzilla's id `id`, when treeherd keeps it. A duplicate names the bug it
    /// duplicates in `dupeOf`.
    async fn bug(&self, ctx: &Context<'_>, id: i32) -> Result<Option<Bug>, ApiError> {
        crate::types::bug::bug(ctx, id).await
    }

    /// The bugs of `ids` that treeherd keeps, in the order asked (at most 100 ids).
    async fn bugs(&self, ctx: &Context<'_>, ids: Vec<i32>) -> Result<Vec<Bug>, ApiError> {
        crate::types::bug::bugs(ctx, ids).await
    }

    /// The bugs whose summary contains `searchTerm` (ignoring case) after `/`, a space, `\`
    /// or `,`, or at its start: Treeherder's bug search, the most similar summaries first,
    /// open bugs apart from the rest. A blank term finds nothing.
    async fn bug_suggestions(
        &self,
        ctx: &Context<'_>,
        search_term: String,
    ) -> Result<BugSuggestions, ApiError> {
        crate::types::bug::bug_suggestions(ctx, search_term).await
    }

    /// What an error line of a failed job gives to search bugs with: Treeherder's search
    /// terms, test path, cleaned line, crash signature and recurrence key.
    async fn error_line_search(
        &self,
        ctx: &Context<'_>,
        line: String,
    ) -> Result<ErrorLineSearch, ApiError> {
        crate::types::bug::error_line_search(ctx, line)
    }
}

fn now() -> i64 {
    Utc::now().timestamp_micros()
}
