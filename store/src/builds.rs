//! Builds for crash reporting: one row per (product, build id, platform, locale, channel), as
//! buildhub or a build system describes it, upserted in batches, and the questions crash
//! reporting asks: a build by id and platform, builds newest build id first, and which
//! version a (product, channel, build id) really is (a beta reports `64.0` for `64.0b4`).
//! Sending a build again updates it; optional fields left out keep what is stored.
//!
//! A build links to the treeherd repository at its URL, to that repository's push of its
//! revision and to the job that produced it, when treeherd holds them. Only pushlog pushes
//! are linked, never placeholders (the pushlog may merge those away); a push that arrives
//! after the build is looked up when the build is read, so the link never depends on order.

use diesel::prelude::*;
use diesel::sql_types::{Nullable, SingleValue, SqlType};
use diesel::upsert::excluded;
use std::collections::{BTreeSet, HashMap, HashSet};
use treeherd_model::NewBuild;

use crate::db::{self, BATCH_ROWS, DbConnection};
use crate::schema::{builds, commits, jobs, pushes, repositories};
use crate::{Page, PageRequest, Repository, Store, StoreError};

/// A stored build. Times are unix microseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Build {
    pub id: i64,
    pub product: String,
    pub build_id: String,
    pub version: String,
    pub channel: String,
    pub platform: String,
    pub os: Option<String>,
    pub locale: String,
    pub repository_url: Option<String>,
    pub revision: Option<String>,
    /// The treeherd repository at `repository_url`, when there is one.
    pub repository_id: Option<i64>,
    /// That repository's push of `revision`, when the pushlog holds it.
    pub push_row_id: Option<i64>,
    /// The job that produced the build.
    pub job_id: Option<i64>,
    pub download_url: Option<String>,
    pub mimetype: Option<String>,
    pub size: Option<i64>,
    pub published_at: Option<i64>,
    pub built_at: Option<i64>,
}

/// Which builds to list: those of `product`, and of each other field that is given.
#[derive(Debug, Clone, Default)]
pub struct BuildFilter {
    pub product: String,
    pub version: Option<String>,
    pub channel: Option<String>,
    pub platform: Option<String>,
    pub locale: Option<String>,
}

/// What one build id is in one product and channel: its true version, and the platforms
/// built with that id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRelease {
    pub product: String,
    pub channel: String,
    pub build_id: String,
    pub version: String,
    /// Each once, sorted.
    pub platforms: Vec<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = builds)]
struct BuildRow {
    id: i64,
    product: String,
    build_id: String,
    version: String,
    channel: String,
    platform: String,
    os: Option<String>,
    locale: String,
    repository_url: Option<String>,
    revision: Option<String>,
    repository_id: Option<i64>,
    push_row_id: Option<i64>,
    job_id: Option<i64>,
    download_url: Option<String>,
    mimetype: Option<String>,
    size: Option<i64>,
    published_at: Option<i64>,
    built_at: Option<i64>,
}

impl From<BuildRow> for Build {
    fn from(row: BuildRow) -> Build {
        Build {
            id: row.id,
            product: row.product,
            build_id: row.build_id,
            version: row.version,
            channel: row.channel,
            platform: row.platform,
            os: row.os,
            locale: row.locale,
            repository_url: row.repository_url,
            revision: row.revision,
            repository_id: row.repository_id,
            push_row_id: row.push_row_id,
            job_id: row.job_id,
            download_url: row.download_url,
            mimetype: row.mimetype,
            size: row.size,
            published_at: row.published_at,
            built_at: row.built_at,
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = builds, treat_none_as_default_value = false)]
struct BuildValues<'a> {
    product: &'a str,
    build_id: &'a str,
    version: &'a str,
    channel: &'a str,
    platform: &'a str,
    os: Option<&'a str>,
    locale: &'a str,
    repository_url: Option<&'a str>,
    revision: Option<&'a str>,
    repository_id: Option<i64>,
    push_row_id: Option<i64>,
    job_id: Option<i64>,
    download_url: Option<&'a str>,
    mimetype: Option<&'a str>,
    size: Option<i64>,
    published_at: Option<i64>,
    built_at: Option<i64>,
}

/// What identifies a build: (product, build id, platform, locale, channel).
type BuildKey = (String, String, String, String, String);

fn key_of(b: &NewBuild) -> (&str, &str, &str, &str, &str) {
    (&b.product, &b.build_id, &b.platform, &b.locale, &b.channel)
}

diesel::define_sql_function! {
    /// The first of its arguments that is not NULL.
    fn coalesce<T: SqlType + SingleValue>(x: Nullable<T>, y: Nullable<T>) -> Nullable<T>;
}

/// The locale a build is looked up in when the caller names none: the one every product ships.
const DEFAULT_LOCALE: &str = "en-US";

impl Store {
    /// Upserts builds in one transaction (normalising and checking each first): a build seen
    /// twice in the batch keeps its last version; optional fields left out keep what is
    /// stored. A named job must exist. Gives the row id of each distinct build, in the order
    /// first given.
    pub async fn store_builds(&self, mut new: Vec<NewBuild>) -> Result<Vec<i64>, StoreError> {
        for (index, build) in new.iter_mut().enumerate() {
            build
                .check()
                .map_err(|e| StoreError::Invalid(format!("build {index}: {e}")))?;
        }
        self.run(move |conn| {
            let (ids, before, after) = db::write(conn, |conn| {
                let before = highest_id(conn)?;
                let ids = upsert(conn, &new)?;
                Ok((ids, before, highest_id(conn)?))
            })?;
            if db::doubled(before, after) {
                db::analyze(conn, &["builds"])?;
            }
            Ok(ids)
        })
        .await
    }

    /// The build of `product` with `build_id` on `platform`, in `locale` (else en-US, else
    /// any) and `channel` (else any).
    pub async fn build(
        &self,
        product: String,
        build_id: String,
        platform: String,
        locale: Option<String>,
        channel: Option<String>,
    ) -> Result<Option<Build>, StoreError> {
        let (product, channel) = (normal(&product), channel.as_deref().map(normal));
        self.run(move |conn| {
            let mut query = builds::table
                .filter(builds::product.eq(&product))
                .filter(builds::build_id.eq(&build_id))
                .filter(builds::platform.eq(&platform))
                .select(BuildRow::as_select())
                .order(builds::id)
                .into_boxed();
            if let Some(locale) = &locale {
                query = query.filter(builds::locale.eq(locale));
            }
            if let Some(channel) = &channel {
                query = query.filter(builds::channel.eq(channel));
            }
            let rows = query.load(conn)?;
            let chosen = rows
                .iter()
                .position(|r| r.locale == DEFAULT_LOCALE)
                .unwrap_or(0);
            let Some(row) = rows.into_iter().nth(chosen) else {
                return Ok(None);
            };
            let mut found = [Build::from(row)];
            link_late_pushes(conn, &mut found)?;
            let [build] = found;
            Ok(Some(build))
        })
        .await
    }

    /// Builds matching `filter`, newest build id first (then newest stored); `after` is the
    /// row id of the last build of the previous page.
    pub async fn builds(
        &self,
        filter: BuildFilter,
        page: PageRequest,
    ) -> Result<Page<Build>, StoreError> {
        let product = normal(&filter.product);
        let channel = filter.channel.as_deref().map(normal);
        self.run(move |conn| {
            let mut query = builds::table
                .filter(builds::product.eq(&product))
                .select(BuildRow::as_select())
                .order((builds::build_id.desc(), builds::id.desc()))
                .limit(i64::try_from(page.limit.saturating_add(1)).unwrap_or(i64::MAX))
                .into_boxed();
            if let Some(after) = page.after {
                let last: String = builds::table
                    .find(after)
                    .select(builds::build_id)
                    .first(conn)
                    .optional()?
                    .ok_or_else(|| StoreError::Invalid("the cursor names no build".into()))?;
                // The range on the build id alone is what both planners take to the index;
                // the rest only sorts out the ties of the last build id.
                query = query
                    .filter(builds::build_id.le(last.clone()))
                    .filter(builds::build_id.lt(last).or(builds::id.lt(after)));
            }
            if let Some(version) = &filter.version {
                query = query.filter(builds::version.eq(version));
            }
            if let Some(channel) = &channel {
                query = query.filter(builds::channel.eq(channel));
            }
            if let Some(platform) = &filter.platform {
                query = query.filter(builds::platform.eq(platform));
            }
            if let Some(locale) = &filter.locale {
                query = query.filter(builds::locale.eq(locale));
            }
            let mut found: Vec<Build> = query.load(conn)?.into_iter().map(Build::from).collect();
            link_late_pushes(conn, &mut found)?;
            Ok(Page::from_overfetch(found, page.limit))
        })
        .await
    }

    /// Builds by row id.
    pub async fn builds_by_id(&self, ids: Vec<i64>) -> Result<HashMap<i64, Build>, StoreError> {
        self.run(move |conn| {
            let mut found = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(BATCH_ROWS) {
                let rows: Vec<BuildRow> = builds::table
                    .filter(builds::id.eq_any(chunk))
                    .select(BuildRow::as_select())
                    .load(conn)?;
                found.extend(rows.into_iter().map(Build::from));
            }
            link_late_pushes(conn, &mut found)?;
            Ok(found.into_iter().map(|b| (b.id, b)).collect())
        })
        .await
    }

    /// What `build_id` is in `product` and `channel`: one answer per version stored for it
    /// (one, unless the sources disagree), the version with the most builds first. This is
    /// how a crash report's bare `64.0` becomes `64.0b4`.
    pub async fn release_for_build(
        &self,
        product: String,
        channel: String,
        build_id: String,
    ) -> Result<Vec<BuildRelease>, StoreError> {
        let (product, channel) = (normal(&product), normal(&channel));
        self.run(move |conn| {
            let rows: Vec<(String, String)> = builds::table
                .filter(builds::product.eq(&product))
                .filter(builds::build_id.eq(&build_id))
                .filter(builds::channel.eq(&channel))
                .select((builds::version, builds::platform))
                .load(conn)?;
            let mut by_version: HashMap<String, (usize, BTreeSet<String>)> = HashMap::new();
            for (version, platform) in rows {
                let entry = by_version.entry(version).or_default();
                entry.0 += 1;
                entry.1.insert(platform);
            }
            let mut versions: Vec<(String, (usize, BTreeSet<String>))> =
                by_version.into_iter().collect();
            versions.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
            Ok(versions
                .into_iter()
                .map(|(version, (_, platforms))| BuildRelease {
                    product: product.clone(),
                    channel: channel.clone(),
                    build_id: build_id.clone(),
                    version,
                    platforms: platforms.into_iter().collect(),
                })
                .collect())
        })
        .await
    }

    /// The treeherd repository at each URL that names one, keyed by the URL as given. URLs
    /// are compared in one spelling: lower case, `https`, no trailing `/` or `.git`.
    pub async fn repositories_at(
        &self,
        urls: Vec<String>,
    ) -> Result<HashMap<String, Repository>, StoreError> {
        let mut repositories = self.repositories().await?;
        // The oldest repository wins when two share a URL: it is inserted last.
        repositories.sort_by_key(|r| std::cmp::Reverse(r.id));
        let by_url: HashMap<String, Repository> = repositories
            .into_iter()
            .map(|r| (comparable_url(&r.url), r))
            .collect();
        Ok(urls
            .into_iter()
            .filter_map(|url| {
                let repository = by_url.get(&comparable_url(&url))?.clone();
                Some((url, repository))
            })
            .collect())
    }
}

/// Product and channel names are kept in lower case.
fn normal(name: &str) -> String {
    name.trim().to_lowercase()
}

/// A repository URL in the form builds and repositories are matched in: lower case, `https`,
/// no trailing `/` or `.git` (`http://hg.mozilla.org/Releases/Mozilla-Beta/` is
/// `https://hg.mozilla.org/releases/mozilla-beta`).
fn comparable_url(url: &str) -> String {
    let url = url.trim().to_lowercase();
    let url = match url.strip_prefix("http://") {
        Some(rest) => format!("https://{rest}"),
        None => url,
    };
    let mut url = url.as_str();
    loop {
        let trimmed = url.trim_end_matches('/');
        let trimmed = trimmed.strip_suffix(".git").unwrap_or(trimmed);
        if trimmed == url {
            break;
        }
        url = trimmed;
    }
    url.to_owned()
}

fn highest_id(conn: &mut DbConnection) -> Result<i64, StoreError> {
    let highest: Option<i64> = builds::table
        .select(diesel::dsl::max(builds::id))
        .first(conn)?;
    Ok(highest.unwrap_or(0))
}

fn upsert(conn: &mut DbConnection, new: &[NewBuild]) -> Result<Vec<i64>, StoreError> {
    // One statement may not touch a row twice: the last version of a build wins, and the
    // answer keeps the order builds were first given in.
    let mut last: HashMap<(&str, &str, &str, &str, &str), usize> = HashMap::new();
    let mut order: Vec<(&str, &str, &str, &str, &str)> = Vec::new();
    for (i, build) in new.iter().enumerate() {
        if last.insert(key_of(build), i).is_none() {
            order.push(key_of(build));
        }
    }
    let batch: Vec<&NewBuild> = order.iter().map(|key| &new[last[key]]).collect();

    let repository_ids = repositories_by_url(conn)?;
    let repository_of = |build: &NewBuild| {
        build
            .repository_url
            .as_deref()
            .and_then(|url| repository_ids.get(&comparable_url(url)).copied())
    };
    let job_ids = job_ids(conn, &batch)?;
    let mut wanted: Vec<(i64, &str)> = batch
        .iter()
        .filter_map(|b| Some((repository_of(b)?, b.revision.as_ref()?.as_str())))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    let push_ids = known_pushes(conn, &wanted)?;

    let values: Vec<BuildValues<'_>> = batch
        .iter()
        .map(|b| {
            let repository_id = repository_of(b);
            let revision = b.revision.as_ref().map(|r| r.as_str());
            BuildValues {
                product: &b.product,
                build_id: &b.build_id,
                version: &b.version,
                channel: &b.channel,
                platform: &b.platform,
                os: b.os.as_deref(),
                locale: &b.locale,
                repository_url: b.repository_url.as_deref(),
                revision,
                repository_id,
                push_row_id: repository_id
                    .zip(revision)
                    .and_then(|key| push_ids.get(&key).copied()),
                job_id: b.job.as_ref().and_then(|guid| job_ids.get(guid).copied()),
                download_url: b.download_url.as_deref(),
                mimetype: b.mimetype.as_deref(),
                size: b.size,
                published_at: b.published_at,
                built_at: b.built_at,
            }
        })
        .collect();

    let mut ids: HashMap<BuildKey, i64> = HashMap::with_capacity(values.len());
    // 17 columns a row: 500 rows stay well under SQLite's 32,766 bound values.
    for chunk in values.chunks(BATCH_ROWS / 2) {
        let written: Vec<(i64, String, String, String, String, String)> =
            per_backend!(conn, |c| diesel::insert_into(builds::table)
                .values(chunk)
                .on_conflict((
                    builds::product,
                    builds::build_id,
                    builds::platform,
                    builds::locale,
                    builds::channel,
                ))
                .do_update()
                .set((
                    builds::version.eq(excluded(builds::version)),
                    builds::os.eq(coalesce(excluded(builds::os), builds::os)),
                    builds::repository_url.eq(coalesce(
                        excluded(builds::repository_url),
                        builds::repository_url
                    )),
                    builds::revision.eq(coalesce(excluded(builds::revision), builds::revision)),
                    builds::repository_id.eq(coalesce(
                        excluded(builds::repository_id),
                        builds::repository_id
                    )),
                    builds::push_row_id
                        .eq(coalesce(excluded(builds::push_row_id), builds::push_row_id)),
                    builds::job_id.eq(coalesce(excluded(builds::job_id), builds::job_id)),
                    builds::download_url.eq(coalesce(
                        excluded(builds::download_url),
                        builds::download_url
                    )),
                    builds::mimetype.eq(coalesce(excluded(builds::mimetype), builds::mimetype)),
                    builds::size.eq(coalesce(excluded(builds::size), builds::size)),
                    builds::published_at.eq(coalesce(
                        excluded(builds::published_at),
                        builds::published_at
                    )),
                    builds::built_at.eq(coalesce(excluded(builds::built_at), builds::built_at)),
                ))
                .returning((
                    builds::id,
                    builds::product,
                    builds::build_id,
                    builds::platform,
                    builds::locale,
                    builds::channel,
                ))
                .get_results(c)?);
        for (id, product, build_id, platform, locale, channel) in written {
            ids.insert((product, build_id, platform, locale, channel), id);
        }
    }
    order
        .into_iter()
        .map(|(product, build_id, platform, locale, channel)| {
            let key = (
                product.to_owned(),
                build_id.to_owned(),
                platform.to_owned(),
                locale.to_owned(),
                channel.to_owned(),
            );
            ids.get(&key)
                .copied()
                .ok_or_else(|| StoreError::internal("a written build vanished"))
        })
        .collect()
}

/// Every repository's id by its comparable URL (the oldest when two share one).
fn repositories_by_url(conn: &mut DbConnection) -> Result<HashMap<String, i64>, StoreError> {
    let rows: Vec<(i64, String)> = repositories::table
        .select((repositories::id, repositories::url))
        .order(repositories::id.desc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, url)| (comparable_url(&url), id))
        .collect())
}

/// The ids of the jobs the batch names; `NotFound` names the first unknown guid.
fn job_ids(
    conn: &mut DbConnection,
    batch: &[&NewBuild],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut guids: Vec<&str> = batch.iter().filter_map(|b| b.job.as_deref()).collect();
    guids.sort_unstable();
    guids.dedup();
    let mut found = HashMap::with_capacity(guids.len());
    for chunk in guids.chunks(BATCH_ROWS) {
        let rows: Vec<(String, i64)> = jobs::table
            .filter(jobs::guid.eq_any(chunk))
            .select((jobs::guid, jobs::id))
            .load(conn)?;
        found.extend(rows);
    }
    for (index, build) in batch.iter().enumerate() {
        if let Some(guid) = build.job.as_deref().filter(|g| !found.contains_key(*g)) {
            return Err(StoreError::NotFound(format!(
                "build {index}: no job {guid:?}"
            )));
        }
    }
    Ok(found)
}

/// The push of each (repository, revision) the pushlog holds: the push whose tip it is, else
/// the push that brought it as another commit (as a job's placeholder would be merged).
/// Placeholders are left out. `wanted` is sorted.
fn known_pushes<'a>(
    conn: &mut DbConnection,
    wanted: &[(i64, &'a str)],
) -> Result<HashMap<(i64, &'a str), i64>, StoreError> {
    let mut found = HashMap::new();
    for same_repository in wanted.chunk_by(|a, b| a.0 == b.0) {
        let repository_id = same_repository[0].0;
        let revisions: Vec<&'a str> = same_repository.iter().map(|(_, r)| *r).collect();
        for part in revisions.chunks(BATCH_ROWS) {
            let tips: HashMap<String, i64> = pushes::table
                .filter(pushes::repository_id.eq(repository_id))
                .filter(pushes::revision.eq_any(part))
                .filter(pushes::push_id.is_not_null())
                .select((pushes::revision, pushes::id))
                .load::<(String, i64)>(conn)?
                .into_iter()
                .collect();
            let others: Vec<&str> = part
                .iter()
                .copied()
                .filter(|r| !tips.contains_key(*r))
                .collect();
            // Two index lookups, as pushes.rs finds a push by a commit: the commits, then
            // their pushes, kept when they are this repository's pushlog pushes.
            let in_commits: Vec<(String, i64)> = if others.is_empty() {
                Vec::new()
            } else {
                commits::table
                    .filter(commits::revision.eq_any(&others))
                    .select((commits::revision, commits::push_row_id))
                    .load(conn)?
            };
            let rows: Vec<i64> = in_commits.iter().map(|(_, row)| *row).collect();
            let mut known: HashSet<i64> = HashSet::new();
            for rows in rows.chunks(BATCH_ROWS) {
                let ids: Vec<i64> = pushes::table
                    .filter(pushes::id.eq_any(rows))
                    .filter(pushes::repository_id.eq(repository_id))
                    .filter(pushes::push_id.is_not_null())
                    .select(pushes::id)
                    .load(conn)?;
                known.extend(ids);
            }
            for revision in part {
                let push = tips.get(*revision).copied().or_else(|| {
                    in_commits
                        .iter()
                        .find(|(r, row)| r == revision && known.contains(row))
                        .map(|(_, row)| *row)
                });
                if let Some(push) = push {
                    found.insert((repository_id, *revision), push);
                }
            }
        }
    }
    Ok(found)
}

/// Links builds written before the pushlog brought their push.
fn link_late_pushes(conn: &mut DbConnection, found: &mut [Build]) -> Result<(), StoreError> {
    let mut wanted: Vec<(i64, &str)> = found
        .iter()
        .filter(|b| b.push_row_id.is_none())
        .filter_map(|b| Some((b.repository_id?, b.revision.as_deref()?)))
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    wanted.sort_unstable();
    wanted.dedup();
    let pushes: HashMap<(i64, String), i64> = known_pushes(conn, &wanted)?
        .into_iter()
        .map(|((repository, revision), id)| ((repository, revision.to_owned()), id))
        .collect();
    for build in found.iter_mut().filter(|b| b.push_row_id.is_none()) {
        if let (Some(repository), Some(revision)) = (build.repository_id, &build.revision) {
            build.push_row_id = pushes.get(&(repository, revision.clone())).copied();
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::comparable_url;

    #[test]
    fn repository_urls_compare_in_one_spelling() {
        for url in [
            "https://hg.mozilla.org/releases/mozilla-beta",
            "http://hg.mozilla.org/releases/mozilla-beta/",
            "HTTPS://hg.mozilla.org/Releases/Mozilla-Beta.git",
            " https://hg.mozilla.org/releases/mozilla-beta// ",
        ] {
            assert_eq!(
                comparable_url(url),
                "https://hg.mozilla.org/releases/mozilla-beta",
                "{url}"
            );
        }
    }
}
