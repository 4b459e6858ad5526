//! Writing a dressed repository through the store's public write functions: its pushes,
//! jobs and edges in one transaction each, then its nightlies (release jobs fanning in over
//! their gates), schedules, parsed logs and test results.

use super::*;

impl Repo<'_> {
    /// Writes the repository: its pushes, jobs and edges in one transaction each, then its
    /// nightlies, schedules, parsed logs and test results.
    pub(super) async fn write(
        mut self,
        store: &Store,
        filled: &mut Filled,
    ) -> Result<(), DemoError> {
        let spec = self.spec;
        store
            .create_repository(NewRepository {
                name: spec.name.to_owned(),
                vcs: spec.vcs,
                url: spec.url.to_owned(),
                indexed_attributes: vec!["build_type".to_owned()],
                branch: spec.branch.map(str::to_owned),
            })
            .await?;
        let mut phase = Instant::now();
        let mut done = |what: &str| {
            tracing::debug!(
                repository = spec.name,
                ms = phase.elapsed().as_millis(),
                "demo: {what}"
            );
            phase = Instant::now();
        };
        let pushes = std::mem::take(&mut self.pushes);
        let revisions: Vec<Revision> = pushes.iter().map(|p| p.revision.clone()).collect();
        filled.pushes += store
            .store_pushes(spec.name.to_owned(), pushes)
            .await?
            .len();

        let jobs = std::mem::take(&mut self.jobs);
        let logged: Vec<(String, Role)> = jobs
            .iter()
            .zip(&self.roles)
            .filter(|(job, _)| !job.logs.is_empty())
            .map(|(job, role)| (job.guid.clone(), *role))
            .collect();
        let statuses: Vec<(JobState, JobResult, Option<i64>)> = jobs
            .iter()
            .map(|j| (j.state, j.result, j.finished_at))
            .collect();
        let guids: Vec<String> = jobs.iter().map(|j| j.guid.clone()).collect();
        let stored = store.submit_jobs(jobs).await?;
        filled.jobs += stored.len();
        done("pushes and jobs");
        let edges = std::mem::take(&mut self.edges);
        filled.edges += store.add_dependencies(edges).await?;
        done("edges");

        // Nightlies every `release_every` pushes, counting back from the newest; each waits
        // for its push's builds and repacks.
        if spec.release_every > 0 {
            let count = u32::try_from(revisions.len()).unwrap_or(u32::MAX);
            let nightlies = (0..count).filter(|p| (count - 1 - p) % spec.release_every == 0);
            let mut finished = Vec::new();
            for (number, push) in nightlies.enumerate() {
                let (Some(gates), Some(revision)) =
                    (self.gates.get(push as usize), revisions.get(push as usize))
                else {
                    continue;
                };
                let build_number = i32::try_from(number + 1).unwrap_or(i32::MAX);
                let guid = task_id(&mut self.rng);
                let mut locales: Vec<String> = LOCALES[..spec.locales.min(LOCALES.len())]
                    .iter()
                    .map(|l| (*l).to_owned())
                    .collect();
                // A locale that ships without a repack yet: a hole in the matrix.
                locales.push("zh-TW".to_owned());
                store
                    .create_release(NewRelease {
                        product: "firefox".to_owned(),
                        version: NIGHTLY.to_owned(),
                        build_number,
                        channel: "nightly".to_owned(),
                        repository: spec.name.to_owned(),
                        revision: revision.clone(),
                        guid: Some(guid.clone()),
                        gates: gates.iter().map(|&g| guids[g].clone()).collect(),
                        locales,
                    })
                    .await?;
                filled.releases += 1;
                // Shipped once every gate succeeded and the release job had time to run.
                let green = gates.iter().all(|&g| {
                    statuses[g].0 == JobState::Completed && statuses[g].1 == JobResult::Success
                });
                let last = gates.iter().filter_map(|&g| statuses[g].2).max();
                if let (true, Some(last)) = (green, last) {
                    let started = last + 5 * MINUTE;
                    let done = started + 15 * MINUTE;
                    if started <= self.now {
                        finished.push(release_job(
                            spec.name,
                            guid,
                            revision.clone(),
                            build_number,
                            started,
                            (done <= self.now).then_some(done),
                        ));
                    }
                }
            }
            if !finished.is_empty() {
                store.submit_jobs(finished).await?;
            }
        }

        if spec.scheduled > 0 {
            for (name, _) in SCHEDULED {
                store
                    .declare_schedule(spec.name.to_owned(), (*name).to_owned(), SCHEDULE_EVERY)
                    .await?;
            }
        }

        done("nightlies and schedules");
        // Logs: generated, parsed by the worker's parser, stored as the worker stores them.
        let by_guid: HashMap<&str, &treeherd_store::Job> =
            stored.iter().map(|j| (j.guid.as_str(), j)).collect();
        let jobs: Vec<(&treeherd_store::Job, Role)> = logged
            .iter()
            .filter_map(|(guid, role)| by_guid.get(guid.as_str()).map(|j| (*j, *role)))
            .collect();
        let logs = store
            .logs_of(jobs.iter().map(|(j, _)| j.id).collect())
            .await?;
        for (job, role) in jobs {
            let (text, failures) = log_text(job, role);
            for log in logs.get(&job.id).into_iter().flatten() {
                let parsed =
                    treeherd_service::logs::parse_log(&log.name, &log.url, text.as_bytes())?;
                store.store_parsed_log(log.id, parsed, self.now).await?;
                filled.logs += 1;
            }
            if !failures.is_empty() {
                store
                    .submit_test_results(job.guid.clone(), test_results(role, &failures))
                    .await?;
            }
        }
        done("logs and test results");
        Ok(())
    }
}

/// The finished release job of a nightly, as its build system would report it.
fn release_job(
    repository: &str,
    guid: String,
    revision: Revision,
    build_number: i32,
    started: i64,
    finished: Option<i64>,
) -> NewJob {
    NewJob {
        guid,
        repository: repository.to_owned(),
        revision: Some(revision),
        kind: JobKind::Release,
        name: format!("release firefox {NIGHTLY} build{build_number}"),
        symbol: Some(format!("R{build_number}")),
        group_symbol: None,
        group_name: None,
        platform: None,
        build_system: Some(BUILD_SYSTEM.to_owned()),
        state: if finished.is_some() {
            JobState::Completed
        } else {
            JobState::Running
        },
        result: if finished.is_some() {
            JobResult::Success
        } else {
            JobResult::Unknown
        },
        tier: 1,
        machine: None,
        submitted_at: Some(started),
        started_at: Some(started),
        finished_at: finished,
        attributes: serde_json::Map::new(),
        logs: Vec::new(),
        artifacts: Vec::new(),
    }
}
