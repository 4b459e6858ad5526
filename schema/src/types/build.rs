//! Builds for crash reporting: `Build` (a shipped build of a product, version, channel,
//! platform and locale, linked to its repository, push and job when treeherd holds them),
//! `BuildRelease` (what a build id really is: a beta reports `64.0` for `64.0b4`), the
//! `BuildInput` build systems submit, and the resolvers behind `Query.build`,
//! `Query.builds`, `Query.releaseForBuild` and `Mutation.submitBuilds`.

use async_graphql::connection::Connection;
use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use treeherd_model::{NewBuild, Revision};
use treeherd_service::{ServiceError, Submitted};
use treeherd_store::{BuildFilter, Store};

use super::time::{to_datetime, to_micros};
use super::{Job, KeyCursor, Push, Repository, connection, page_request};
use crate::ApiError;
use crate::loaders::{PushById, RepositoryById, load};

/// A stored build, as GraphQL shows it.
pub(crate) struct Build(pub treeherd_store::Build);

/// A shipped build: one product, build id, platform, locale and channel, with its true
/// version.
#[Object]
impl Build {
    /// Its global id (`Node`): opaque and stable.
    pub(crate) async fn id(&self) -> async_graphql::ID {
        super::global_id::encode("Build", self.0.id)
    }

    /// 14 digits, YYYYMMDDhhmmss.
    async fn build_id(&self) -> &str {
        &self.0.build_id
    }

    /// Lower case: firefox, devedition, fennec, thunderbird...
    async fn product(&self) -> &str {
        &self.0.product
    }

    /// The true version (64.0b4), not the bare one a beta reports of itself (64.0).
    async fn version(&self) -> &str {
        &self.0.version
    }

    /// release, beta, aurora (DevEdition betas), nightly, esr...
    async fn channel(&self) -> &str {
        &self.0.channel
    }

    /// linux-x86_64, win64, mac...
    async fn platform(&self) -> &str {
        &self.0.platform
    }

    async fn os(&self) -> Option<&str> {
        self.0.os.as_deref()
    }

    async fn locale(&self) -> &str {
        &self.0.locale
    }

    /// The source repository, as the build's record gives it.
    async fn repository_url(&self) -> Option<&str> {
        self.0.repository_url.as_deref()
    }

    /// The revision built.
    async fn revision(&self) -> Option<&str> {
        self.0.revision.as_deref()
    }

    /// The treeherd repository at `repositoryUrl`, when there is one.
    async fn repository(&self, ctx: &Context<'_>) -> Result<Option<Repository>, ApiError> {
        let Some(id) = self.0.repository_id else {
            return Ok(None);
        };
        let repository = load(ctx, RepositoryById(treeherd_store::RepositoryId(id))).await?;
        Ok(repository.map(Repository))
    }

    /// That repository's push of `revision`, once the pushlog holds it.
    async fn push(&self, ctx: &Context<'_>) -> Result<Option<Push>, ApiError> {
        let Some(id) = self.0.push_row_id else {
            return Ok(None);
        };
        Ok(load(ctx, PushById(treeherd_store::PushId(id)))
            .await?
            .map(Push))
    }

    /// The job that produced the build, when it was named.
    async fn job(&self, ctx: &Context<'_>) -> Result<Option<Job>, ApiError> {
        Job::by_id(ctx, self.0.job_id.map(treeherd_store::JobId)).await
    }

    async fn download_url(&self) -> Option<&str> {
        self.0.download_url.as_deref()
    }

    async fn mimetype(&self) -> Option<&str> {
        self.0.mimetype.as_deref()
    }

    /// Bytes.
    async fn size(&self) -> Option<i64> {
        self.0.size
    }

    /// When it was published for download.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at.map(to_datetime)
    }

    /// When it was built.
    async fn built_at(&self) -> Option<DateTime<Utc>> {
        self.0.built_at.map(to_datetime)
    }
}

/// What a build id is in one product and channel.
#[derive(SimpleObject)]
pub(crate) struct BuildRelease {
    product: String,
    channel: String,
    build_id: String,
    /// The true version: 64.0b4 where a beta's crash report says 64.0.
    version: String,
    /// The platforms built with this id, sorted.
    platforms: Vec<String>,
}

/// A build as a build system (or buildhub) describes it. Submitting the same product, build
/// id, platform, locale and channel again updates the build; optional fields left out keep
/// what is stored.
#[derive(InputObject)]
pub(crate) struct BuildInput {
    /// Any product name; kept in lower case.
    product: String,
    /// 14 digits, YYYYMMDDhhmmss.
    build_id: String,
    /// The true version, e.g. 64.0b4.
    version: String,
    /// Kept in lower case.
    channel: String,
    platform: String,
    os: Option<String>,
    #[graphql(default_with = "String::from(\"en-US\")")]
    locale: String,
    /// The source repository's URL; a treeherd repository at that URL is linked.
    repository_url: Option<String>,
    /// The revision built (40 hex digits).
    revision: Option<String>,
    /// The guid of the job that produced the build.
    job: Option<String>,
    download_url: Option<String>,
    mimetype: Option<String>,
    size: Option<i64>,
    published_at: Option<DateTime<Utc>>,
    built_at: Option<DateTime<Utc>>,
}

/// The checked build; errors name `builds[index].field`.
impl Submitted<NewBuild> for BuildInput {
    fn convert(self, index: usize) -> Result<NewBuild, ServiceError> {
        let revision = self
            .revision
            .map(|r| {
                r.parse::<Revision>().map_err(|e| {
                    ServiceError::bad_input(
                        format!("builds[{index}].revision"),
                        format!("builds[{index}].revision: {e}"),
                    )
                })
            })
            .transpose()?;
        let mut new = NewBuild {
            product: self.product,
            build_id: self.build_id,
            version: self.version,
            channel: self.channel,
            platform: self.platform,
            os: self.os,
            locale: self.locale,
            repository_url: self.repository_url,
            revision,
            job: self.job,
            download_url: self.download_url,
            mimetype: self.mimetype,
            size: self.size,
            published_at: self.published_at.map(to_micros),
            built_at: self.built_at.map(to_micros),
        };
        new.check().map_err(|e| {
            ServiceError::bad_input(format!("builds[{index}]"), format!("builds[{index}].{e}"))
        })?;
        Ok(new)
    }
}

pub(crate) async fn build(
    ctx: &Context<'_>,
    product: String,
    build_id: String,
    platform: String,
    locale: Option<String>,
    channel: Option<String>,
) -> Result<Option<Build>, ApiError> {
    let build = ctx
        .data::<Store>()?
        .build(product, build_id, platform, locale, channel)
        .await?;
    Ok(build.map(Build))
}

/// Arguments of `Query.builds` other than the page.
pub(crate) struct BuildsQuery {
    pub product: String,
    pub version: Option<String>,
    pub channel: Option<String>,
    pub platform: Option<String>,
    pub locale: Option<String>,
}

pub(crate) async fn builds(
    ctx: &Context<'_>,
    query: BuildsQuery,
    first: i32,
    after: Option<String>,
) -> Result<Connection<KeyCursor, Build>, ApiError> {
    let request = page_request(first, after)?;
    let filter = BuildFilter {
        product: query.product,
        version: query.version,
        channel: query.channel,
        platform: query.platform,
        locale: query.locale,
    };
    let page = ctx.data::<Store>()?.builds(filter, request).await?;
    Ok(connection(page, request.after.is_some(), |b| b.id, Build))
}

pub(crate) async fn release_for_build(
    ctx: &Context<'_>,
    product: String,
    channel: String,
    build_id: String,
) -> Result<Option<BuildRelease>, ApiError> {
    let releases = ctx
        .data::<Store>()?
        .release_for_build(product, channel, build_id)
        .await?;
    if releases.len() > 1 {
        tracing::warn!(
            versions = ?releases.iter().map(|r| r.version.as_str()).collect::<Vec<_>>(),
            "one build id has several versions; answering the most built"
        );
    }
    Ok(releases.into_iter().next().map(|r| BuildRelease {
        product: r.product,
        channel: r.channel,
        build_id: r.build_id,
        version: r.version,
        platforms: r.platforms,
    }))
}
