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
        sheriffing: &Sheriffing,
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
        let push_of: HashMap<&Revision, usize> =
            revisions.iter().enumerate().map(|(i, r)| (r, i)).collect();
        // Each job's role and push (index), by guid, for its log and the sheriff.
        let dressed: HashMap<String, (Role, Option<usize>)> = jobs
            .iter()
            .zip(&self.roles)
            .map(|(job, role)| {
                let push = job.revision.as_ref().and_then(|r| push_of.get(r).copied());
                (job.guid.clone(), (*role, push))
            })
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
        self.logs_and_sheriffing(store, sheriffing, &stored, &dressed, &revisions, filled)
            .await?;
        done("logs, test results and sheriffing");
        Ok(())
    }

    /// The failed jobs' logs (generated, parsed by the worker's parser, stored as the worker
    /// stores them, the autoclassifier run on each) and test results, and the sheriff's
    /// classifications, in the order a live tree has them (see `sheriffing.rs`): the old
    /// failures without logs first, then the pushes with logs oldest first, a round of them
    /// (about an hour) at a time, the sheriff classifying after each round what the
    /// autoclassifier left, but on the newest pushes.
    async fn logs_and_sheriffing(
        &self,
        store: &Store,
        sheriffing: &Sheriffing,
        stored: &[treeherd_store::Job],
        dressed: &HashMap<String, (Role, Option<usize>)>,
        revisions: &[Revision],
        filled: &mut Filled,
    ) -> Result<(), DemoError> {
        let reached = revisions.len() - sheriffing::unsheriffed(revisions.len());
        let sheriffed = |push: Option<usize>| push.is_none_or(|p| p < reached);
        let failed_job = |job: &treeherd_store::Job, role: Role, push: Option<usize>| {
            let (_, failures) = log_text(job, role);
            sheriffing::Failed {
                guid: job.guid.clone(),
                role,
                result: job.result,
                tests: failures.into_iter().map(|(test, _, _)| test).collect(),
                next_revision: push
                    .and_then(|p| revisions.get(p + 1))
                    .map(ToString::to_string),
            }
        };
        let failed: Vec<(&treeherd_store::Job, Role, Option<usize>)> = stored
            .iter()
            .filter(|job| treeherd_store::FAILED_RESULTS.contains(&job.result))
            .filter_map(|job| {
                let (role, push) = dressed.get(&job.guid)?;
                Some((job, *role, *push))
            })
            .collect();
        let logs = store
            .logs_of(failed.iter().map(|(job, _, _)| job.id).collect())
            .await?;

        // Older failures, without logs: judged from what their logs would show.
        let old: Vec<sheriffing::Failed> = failed
            .iter()
            .filter(|(job, _, push)| !logs.contains_key(&job.id) && sheriffed(*push))
            .map(|(job, role, push)| failed_job(job, *role, *push))
            .collect();
        filled.classified += sheriffing.classify(&old).await?;

        // The pushes with logs, a round at a time.
        let round = usize::try_from(HOUR / self.spec.interval.max(1))
            .unwrap_or(1)
            .max(1);
        let mut rounds: std::collections::BTreeMap<
            usize,
            Vec<(&treeherd_store::Job, Role, usize)>,
        > = std::collections::BTreeMap::new();
        for (job, role, push) in &failed {
            if let (Some(push), true) = (push, logs.contains_key(&job.id)) {
                rounds
                    .entry(push / round)
                    .or_default()
                    .push((job, *role, *push));
            }
        }
        for (_, mut jobs) in rounds {
            jobs.sort_by_key(|(job, _, _)| (job.finished_at, job.id));
            let mut left = Vec::new();
            for (job, role, push) in jobs {
                let (text, failures) = log_text(job, role);
                let mut autoclassified = false;
                for log in logs.get(&job.id).into_iter().flatten() {
                    let parsed =
                        treeherd_service::logs::parse_log(&log.name, &log.url, text.as_bytes())?;
                    if sheriffing.store_parse(log.id, parsed, self.now).await? {
                        autoclassified = true;
                    }
                    filled.logs += 1;
                }
                if !failures.is_empty() {
                    store
                        .submit_test_results(job.guid.clone(), test_results(role, &failures))
                        .await?;
                }
                if autoclassified {
                    filled.autoclassified += 1;
                } else if sheriffed(Some(push)) {
                    left.push(failed_job(job, role, Some(push)));
                }
            }
            filled.classified += sheriffing.classify(&left).await?;
        }
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
