//! Releases: a release job whose RELEASE edges fan in over every job it waits for (its
//! gates), and the questions release engineers ask of it: its gates page by page, its status
//! (the model's rule over the live graph), and its locale matrix (l10n repacks × platforms).
//!
//! Creating a release is one transaction: the release job, its edges (checked against the live
//! graph for cycles) and the release row. Creating it again adds gates and changes nothing else.
//! The live graph is caught up to the new release job inside the transaction, and dropped
//! (loaded again on next use) if the transaction fails. A release's status is never stored:
//! the model's rule over the live graph answers it on every read.

use diesel::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use treeherd_graph::{JobId, KindFilter};
use treeherd_model::{
    DependencyKind, JobKind, JobResult, JobState, NewJob, ReleaseStatus, Revision,
};

use crate::db::{self, BATCH_ROWS};
use crate::jobs::{JobRow, into_jobs};
use crate::schema::{job_dependencies, jobs, releases};
use crate::types::raw_ids;
use crate::{
    Job, NewDependency, Page, PageRequest, RepositoryId, Store, StoreError, dependencies,
    repositories,
};

/// A release as created.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRelease {
    pub product: String,
    pub version: String,
    pub build_number: i32,
    pub channel: String,
    pub repository: String,
    pub revision: Revision,
    /// The release job's guid; `release-{product}-{version}-build{n}` when absent.
    pub guid: Option<String>,
    /// Guids of the jobs it waits for (they need not have arrived).
    pub gates: Vec<String>,
    /// The locales it ships.
    pub locales: Vec<String>,
}

/// A stored release.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub id: i64,
    pub product: String,
    pub version: String,
    pub build_number: i32,
    pub channel: String,
    pub repository_id: RepositoryId,
    pub revision: String,
    /// The release job.
    pub job_id: JobId,
    pub locales: Vec<String>,
    pub created_at: i64,
}

/// Which releases a listing holds.
#[derive(Debug, Clone, Default)]
pub struct ReleaseFilter {
    pub product: Option<String>,
    pub version: Option<String>,
    pub channel: Option<String>,
}

/// One cell of a locale matrix: the repack of a locale on a platform, or none (missing).
#[derive(Debug, Clone, PartialEq)]
pub struct LocaleCell {
    pub locale: String,
    pub platform: String,
    pub job: Option<Job>,
}

/// Locales (shipped or repacked) × platforms (of the English builds and the repacks).
#[derive(Debug, Clone, PartialEq)]
pub struct LocaleMatrix {
    pub locales: Vec<String>,
    pub platforms: Vec<String>,
    /// Row by row: every locale × platform, in the order of `locales` and `platforms`.
    pub cells: Vec<LocaleCell>,
}

type ReleaseRow = (
    i64,
    String,
    String,
    i32,
    String,
    i64,
    String,
    i64,
    String,
    i64,
);

macro_rules! release_columns {
    () => {
        (
            releases::id,
            releases::product,
            releases::version,
            releases::build_number,
            releases::channel,
            releases::repository_id,
            releases::revision,
            releases::job_id,
            releases::locales,
            releases::created_at,
        )
    };
}

fn into_release(row: ReleaseRow) -> Result<Release, StoreError> {
    Ok(Release {
        id: row.0,
        product: row.1,
        version: row.2,
        build_number: row.3,
        channel: row.4,
        repository_id: RepositoryId(row.5),
        revision: row.6,
        job_id: JobId(row.7),
        locales: serde_json::from_str(&row.8)?,
        created_at: row.9,
    })
}

fn check(new: &NewRelease) -> Result<(), StoreError> {
    for (what, value) in [
        ("product", &new.product),
        ("version", &new.version),
        ("channel", &new.channel),
    ] {
        if value.trim().is_empty() {
            return Err(StoreError::Invalid(format!("a release needs a {what}")));
        }
    }
    if new.build_number < 1 {
        return Err(StoreError::Invalid("a build number starts at 1".into()));
    }
    if new.gates.iter().any(String::is_empty) {
        return Err(StoreError::Invalid("a gate's guid is empty".into()));
    }
    Ok(())
}

impl Store {
    /// Creates a release: its release job (on the push of `revision`) with RELEASE edges to
    /// every gate, and the release row, in one transaction. Creating the same release again
    /// adds the gates given; a different repository or revision for it is a conflict.
    pub async fn create_release(&self, new: NewRelease) -> Result<Release, StoreError> {
        check(&new)?;
        let guid = new.guid.clone().unwrap_or_else(|| {
            format!(
                "release-{}-{}-build{}",
                new.product, new.version, new.build_number
            )
        });
        let job = NewJob {
            guid: guid.clone(),
            repository: new.repository.clone(),
            revision: Some(new.revision.clone()),
            kind: JobKind::Release,
            name: format!(
                "release {} {} build{}",
                new.product, new.version, new.build_number
            ),
            symbol: Some(format!("R{}", new.build_number)),
            group_symbol: None,
            group_name: None,
            platform: None,
            build_system: None,
            state: JobState::Pending,
            result: JobResult::Unknown,
            tier: 1,
            machine: None,
            submitted_at: None,
            started_at: None,
            finished_at: None,
            attributes: serde_json::Map::new(),
            logs: Vec::new(),
            artifacts: Vec::new(),
        };
        crate::job_writes::check(0, &job)?;
        let edges: Vec<NewDependency> = new
            .gates
            .iter()
            .map(|gate| NewDependency {
                dependent: guid.clone(),
                dependency: gate.clone(),
                kind: DependencyKind::Release,
            })
            .collect();
        let live = self.graph.clone();
        self.run(move |conn| {
            let _sync = live.lock_sync()?;
            let mut undo = Vec::new();
            let mut caught_up = false;
            let written = db::write(conn, |conn| {
                db::lock_log_writers(conn)?;
                let repository = repositories::existing(conn, &new.repository)?;
                let existing: Option<ReleaseRow> = releases::table
                    .filter(releases::product.eq(&new.product))
                    .filter(releases::version.eq(&new.version))
                    .filter(releases::build_number.eq(new.build_number))
                    .select(release_columns!())
                    .first(conn)
                    .optional()?;
                if let Some(row) = &existing
                    && (row.5 != repository.id.0 || row.6 != new.revision.as_str())
                {
                    return Err(StoreError::Conflict(format!(
                        "{} {} build{} is a release of another revision or repository",
                        new.product, new.version, new.build_number
                    )));
                }
                let stored = crate::job_writes::upsert(conn, vec![job])?;
                let job_id = stored
                    .first()
                    .map(|j| j.id)
                    .ok_or_else(|| StoreError::internal("the release job vanished"))?;
                // The release job is a node of the live graph before its edges are checked.
                caught_up = true;
                live.catch_up_locked(conn)?;
                dependencies::add(conn, &live, &edges, &mut undo)?;
                let release = match existing {
                    Some(row) => into_release(row)?,
                    None => {
                        let row: ReleaseRow =
                            per_backend!(conn, |c| diesel::insert_into(releases::table)
                                .values((
                                    releases::product.eq(&new.product),
                                    releases::version.eq(&new.version),
                                    releases::build_number.eq(new.build_number),
                                    releases::channel.eq(&new.channel),
                                    releases::repository_id.eq(repository.id.0),
                                    releases::revision.eq(new.revision.as_str()),
                                    releases::job_id.eq(job_id.0),
                                    releases::locales.eq(serde_json::to_string(&new.locales)?),
                                    releases::created_at.eq(db::now_micros()),
                                ))
                                .returning(release_columns!())
                                .get_result(c)?);
                        into_release(row)?
                    }
                };
                Ok((release, crate::graph::last_change(conn)?))
            });
            match written {
                Ok((release, seq)) => {
                    live.advance_to(seq);
                    Ok(release)
                }
                Err(e) => {
                    live.undo(undo);
                    if caught_up {
                        live.invalidate();
                    }
                    Err(e)
                }
            }
        })
        .await
    }

    /// A page of releases, newest first.
    pub async fn releases(
        &self,
        filter: ReleaseFilter,
        page: PageRequest,
    ) -> Result<Page<Release>, StoreError> {
        self.run(move |conn| {
            let mut query = releases::table.into_boxed();
            if let Some(product) = filter.product {
                query = query.filter(releases::product.eq(product));
            }
            if let Some(version) = filter.version {
                query = query.filter(releases::version.eq(version));
            }
            if let Some(channel) = filter.channel {
                query = query.filter(releases::channel.eq(channel));
            }
            if let Some(after) = page.after {
                query = query.filter(releases::id.lt(after));
            }
            let rows: Vec<ReleaseRow> = query
                .order(releases::id.desc())
                .limit(i64::try_from(page.limit.saturating_add(1)).unwrap_or(i64::MAX))
                .select(release_columns!())
                .load(conn)?;
            let items = rows
                .into_iter()
                .map(into_release)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Page::from_overfetch(items, page.limit))
        })
        .await
    }

    /// A page of the jobs a release job waits for directly (its RELEASE edges that have
    /// arrived), by job id.
    pub async fn gates(&self, job_id: JobId, page: PageRequest) -> Result<Page<Job>, StoreError> {
        self.run(move |conn| {
            let mut query = job_dependencies::table
                .inner_join(jobs::table.on(jobs::id.nullable().eq(job_dependencies::dependency_id)))
                .filter(job_dependencies::dependent_id.eq(job_id.0))
                .filter(job_dependencies::kind.eq(DependencyKind::Release.as_str()))
                .into_boxed();
            if let Some(after) = page.after {
                query = query.filter(jobs::id.gt(after));
            }
            let rows: Vec<JobRow> = query
                .order(jobs::id)
                .limit(i64::try_from(page.limit.saturating_add(1)).unwrap_or(i64::MAX))
                .select(JobRow::as_select())
                .load(conn)?;
            Ok(Page::from_overfetch(into_jobs(rows)?, page.limit))
        })
        .await
    }

    /// A release's status: the model's rule over its release job and everything it waits
    /// for, transitively.
    pub async fn release_status(&self, job_id: JobId) -> Result<ReleaseStatus, StoreError> {
        self.with_graph(crate::GraphScope::ancestors(job_id), move |graph| {
            let own = graph.job(job_id)?;
            let waited = graph
                .ancestors(job_id, KindFilter::ALL, None)
                .ok()?
                .into_iter()
                .filter_map(|r| graph.job(r.job))
                .map(|s| (s.state, s.result));
            Some(treeherd_model::release::status(
                (own.state, own.result),
                waited,
            ))
        })
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("no release job {job_id}")))
    }

    /// The locale matrix of a release: its l10n repacks (jobs of kind L10N_REPACK it waits
    /// for, transitively, each with a `locale` attribute) by locale and platform, over the
    /// locales it ships and the platforms of the English builds it waits for.
    pub async fn locale_matrix(&self, release: Release) -> Result<LocaleMatrix, StoreError> {
        let job_id = release.job_id;
        let ancestors: Vec<i64> = self
            .with_graph(crate::GraphScope::ancestors(job_id), move |graph| {
                graph
                    .ancestors(job_id, KindFilter::ALL, None)
                    .map(|reached| reached.into_iter().map(|r| r.job.0).collect())
                    .unwrap_or_default()
            })
            .await?;
        self.run(move |conn| {
            let mut found: Vec<Job> = Vec::new();
            for chunk in ancestors.chunks(BATCH_ROWS) {
                let rows: Vec<JobRow> = jobs::table
                    .filter(jobs::id.eq_any(chunk))
                    .filter(
                        jobs::kind.eq_any([JobKind::L10nRepack.as_str(), JobKind::Build.as_str()]),
                    )
                    .select(JobRow::as_select())
                    .load(conn)?;
                found.extend(into_jobs(rows)?);
            }
            let mut locales: BTreeSet<String> = release.locales.iter().cloned().collect();
            let mut platforms: BTreeSet<String> = BTreeSet::new();
            let mut repacks: BTreeMap<(String, String), Job> = BTreeMap::new();
            for job in found {
                let Some(platform) = job.platform.clone() else {
                    continue;
                };
                platforms.insert(platform.clone());
                if job.kind != JobKind::L10nRepack {
                    continue;
                }
                let locale = job
                    .attributes()?
                    .get("locale")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
                if let Some(locale) = locale {
                    locales.insert(locale.clone());
                    // The newest repack of a cell stands for it.
                    let key = (locale, platform);
                    if repacks.get(&key).is_none_or(|old| old.id < job.id) {
                        repacks.insert(key, job);
                    }
                }
            }
            let mut cells = Vec::with_capacity(locales.len() * platforms.len());
            for locale in &locales {
                for platform in &platforms {
                    cells.push(LocaleCell {
                        locale: locale.clone(),
                        platform: platform.clone(),
                        job: repacks.remove(&(locale.clone(), platform.clone())),
                    });
                }
            }
            Ok(LocaleMatrix {
                locales: locales.into_iter().collect(),
                platforms: platforms.into_iter().collect(),
                cells,
            })
        })
        .await
    }

    /// The releases with these ids (row ids, as `Release.id`), by id.
    pub async fn releases_by_id(&self, ids: Vec<i64>) -> Result<HashMap<i64, Release>, StoreError> {
        self.run(move |conn| {
            let mut found = HashMap::new();
            for chunk in ids.chunks(BATCH_ROWS) {
                let rows: Vec<ReleaseRow> = releases::table
                    .filter(releases::id.eq_any(chunk))
                    .select(release_columns!())
                    .load(conn)?;
                for row in rows {
                    let release = into_release(row)?;
                    found.insert(release.id, release);
                }
            }
            Ok(found)
        })
        .await
    }

    /// The releases whose release jobs are these, by job id.
    pub async fn releases_of_jobs(
        &self,
        job_ids: Vec<JobId>,
    ) -> Result<HashMap<JobId, Release>, StoreError> {
        self.run(move |conn| {
            let mut found = HashMap::new();
            for chunk in raw_ids(&job_ids).chunks(BATCH_ROWS) {
                let rows: Vec<ReleaseRow> = releases::table
                    .filter(releases::job_id.eq_any(chunk))
                    .select(release_columns!())
                    .load(conn)?;
                for row in rows {
                    let release = into_release(row)?;
                    found.insert(release.job_id, release);
                }
            }
            Ok(found)
        })
        .await
    }
}
