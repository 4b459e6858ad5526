//! Bulk export of jobs as NDJSON, for analysts who load months into a warehouse: one JSON
//! object per job whose age falls in a range, with its push, attributes, edges and current
//! classification, read a page at a time from the store (`treeherd_store::ExportPage`) and
//! written as it comes, so memory stays one page whatever the range. Field names and enum
//! values are the GraphQL API's; times are RFC 3339 in UTC, as GraphQL's `DateTime`.

use serde::Serialize;
use serde_json::value::RawValue;
use std::io::Write;
use treeherd_model::FailureClassification;
use treeherd_store::ExportedJob;

use crate::{Service, ServiceError};

/// Jobs read per page.
const PAGE: usize = 1000;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JobLine<'a> {
    guid: &'a str,
    repository: &'a str,
    push: Option<PushLine<'a>>,
    kind: &'a str,
    name: &'a str,
    symbol: Option<&'a str>,
    group_symbol: Option<&'a str>,
    group_name: Option<&'a str>,
    platform: Option<&'a str>,
    build_system: Option<&'a str>,
    state: &'a str,
    result: &'a str,
    tier: i32,
    machine: Option<&'a str>,
    submitted_at: Option<String>,
    started_at: Option<String>,
    finished_at: Option<String>,
    attributes: &'a RawValue,
    dependencies: Vec<DependencyLine<'a>>,
    classification: Option<ClassificationLine<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PushLine<'a> {
    push_id: i64,
    revision: &'a str,
    pushed_at: Option<String>,
}

#[derive(Serialize)]
struct DependencyLine<'a> {
    guid: &'a str,
    kind: &'a str,
}

#[derive(Serialize)]
struct ClassificationLine<'a> {
    classification: &'a str,
    automatic: bool,
    bugs: &'a [i64],
}

fn rfc3339(micros: Option<i64>) -> Option<String> {
    micros
        .and_then(chrono::DateTime::from_timestamp_micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// One job as its NDJSON line (without the newline).
fn write_line(out: &mut impl Write, job: &ExportedJob) -> Result<(), ServiceError> {
    let attributes: &RawValue = serde_json::from_str(&job.attributes_json)
        .map_err(|e| ServiceError::Internal(format!("job {}: stored attributes: {e}", job.guid)))?;
    let classification = job
        .classification
        .as_ref()
        .map(|(id, automatic, bugs)| {
            FailureClassification::from_id((*id).into()).map(|c| ClassificationLine {
                classification: c.as_str(),
                automatic: *automatic,
                bugs,
            })
        })
        .transpose()
        .map_err(|e| ServiceError::Internal(format!("job {}: {e}", job.guid)))?;
    let line = JobLine {
        guid: &job.guid,
        repository: &job.repository,
        push: job.push.as_ref().map(|(push_id, revision, at)| PushLine {
            push_id: *push_id,
            revision,
            pushed_at: rfc3339(Some(*at)),
        }),
        kind: &job.kind,
        name: &job.name,
        symbol: job.symbol.as_deref(),
        group_symbol: job.group_symbol.as_deref(),
        group_name: job.group_name.as_deref(),
        platform: job.platform.as_deref(),
        build_system: job.build_system.as_deref(),
        state: &job.state,
        result: &job.result,
        tier: job.tier,
        machine: job.machine.as_deref(),
        submitted_at: rfc3339(job.submitted_at),
        started_at: rfc3339(job.started_at),
        finished_at: rfc3339(job.finished_at),
        attributes,
        dependencies: job
            .dependencies
            .iter()
            .map(|(guid, kind)| DependencyLine { guid, kind })
            .collect(),
        classification,
    };
    serde_json::to_writer(&mut *out, &line)
        .map_err(|e| ServiceError::Internal(format!("cannot write the export: {e}")))?;
    out.write_all(b"\n")
        .map_err(|e| ServiceError::Internal(format!("cannot write the export: {e}")))
}

impl Service {
    /// Writes every job whose age is in `[since, until)` (unix microseconds) to `out` as
    /// NDJSON, oldest first, calling `progress` with the count after each page. Returns how
    /// many jobs it wrote.
    pub async fn export_jobs(
        &self,
        since: i64,
        until: i64,
        out: &mut impl Write,
        mut progress: impl FnMut(u64),
    ) -> Result<u64, ServiceError> {
        let mut written = 0u64;
        let mut after = None;
        loop {
            let page = self.store.export_jobs(since, until, after, PAGE).await?;
            for job in &page.jobs {
                write_line(out, job)?;
            }
            written += page.jobs.len() as u64;
            progress(written);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        out.flush()
            .map_err(|e| ServiceError::Internal(format!("cannot write the export: {e}")))?;
        Ok(written)
    }
}
