//! Storing builds (buildhub's records, or a build system's), one transaction per call. A
//! build whose repository URL names a treeherd repository needs `write:<repository>`, any
//! other needs `admin`; a named job needs `write:<its repository>` too.

use std::collections::HashMap;
use treeherd_model::NewBuild;
use treeherd_store::Build;

use crate::caller::Caller;
use crate::error::ServiceError;
use crate::service::Service;
use crate::submitted::Submitted;

/// The most builds one submission takes.
pub const MAX_BUILDS: usize = 10_000;

impl Service {
    /// Stores builds, upserted by product, build id, platform, locale and channel; gives
    /// them back as stored, one per distinct build, in the order first submitted.
    #[tracing::instrument(skip_all, fields(builds = input.len()))]
    pub async fn submit_builds(
        &self,
        caller: &Caller,
        input: Vec<impl Submitted<NewBuild>>,
    ) -> Result<Vec<Build>, ServiceError> {
        caller.require_authenticated()?;
        if input.len() > MAX_BUILDS {
            return Err(ServiceError::bad_input(
                "builds",
                format!("at most {MAX_BUILDS} builds per call, not {}", input.len()),
            ));
        }
        let new = input
            .into_iter()
            .enumerate()
            .map(|(i, b)| b.convert(i))
            .collect::<Result<Vec<_>, _>>()?;
        let store = &self.store;
        // Repositories never change URL and jobs never change repository, so a check made
        // before the write holds during it.
        let urls: Vec<String> = new
            .iter()
            .filter_map(|b| b.repository_url.clone())
            .collect();
        let repositories = store.repositories_at(urls).await?;
        for build in &new {
            match build
                .repository_url
                .as_ref()
                .and_then(|url| repositories.get(url))
            {
                Some(repository) => caller.require_write(&repository.name)?,
                None => caller.require_admin()?,
            }
        }
        let mut guids: Vec<String> = new.iter().filter_map(|b| b.job.clone()).collect();
        guids.sort_unstable();
        guids.dedup();
        if !guids.is_empty() {
            let of_job = store.job_repositories(guids.clone()).await?;
            for guid in &guids {
                let repository = of_job
                    .get(guid)
                    .ok_or_else(|| ServiceError::NotFound(format!("no job {guid:?}")))?;
                caller.require_write(repository)?;
            }
        }
        let ids = store.store_builds(new).await?;
        let mut stored: HashMap<_, Build> = store.builds_by_id(ids.clone()).await?;
        ids.into_iter()
            .map(|id| {
                stored
                    .remove(&id)
                    .ok_or_else(|| ServiceError::Internal("a stored build vanished".into()))
            })
            .collect()
    }
}
