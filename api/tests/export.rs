//! `treeherd export` as an analyst runs it: the jobs of a time range as NDJSON, in age order,
//! with push, attributes, edges and classification; across pages (more jobs than one page);
//! and an output it cannot write refused before any database is touched. On SQLite in a
//! folder, or on a fresh PostgreSQL database when the suite runs on one.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod support;

use serde_json::{Value, json};
use support::treeherd;

const SECRET: &str = "export-test-secret";

/// Jobs inside the range besides its first: more than two export pages
/// (`treeherd_store::EXPORT_ROWS`, 5,000).
const MID: usize = 10_500;

fn job(guid: &str, result: &str, at: &str) -> Value {
    json!({"guid": guid, "repository": "try", "revision": "a".repeat(40), "kind": "TEST",
           "name": format!("test {guid}"), "platform": "linux64", "state": "COMPLETED",
           "result": result, "submittedAt": at, "attributes": {"owner": "o", "n": [1, 2]}})
}

#[tokio::test]
async fn export_writes_the_jobs_of_a_range_in_age_order_with_what_hangs_off_them() {
    let dir = tempfile::tempdir().unwrap();
    let postgres = support::postgres_database("export");
    let database = support::database_url(dir.path(), postgres.as_ref());
    {
        let (_server, admin) = support::serve_with_try(dir.path(), &database, SECRET).await;
        admin
            .data(
                "mutation($p: PushInput!) { submitPush(input: $p) { pushId } }",
                json!({"p": {"repository": "try", "revision": "a".repeat(40), "author": "a", "pushedAt": "2026-10-31T12:00:00Z"}}),
            )
            .await;
        // 10,500 jobs on 2026-11-02 (three pages of 5,000), one before and one after the range, and
        // the range's oldest job first, failed, classified, with an edge.
        let mut jobs: Vec<Value> = (0..MID)
            .map(|i| {
                job(
                    &format!("mid-{i:05}"),
                    "SUCCESS",
                    &format!(
                        "2026-11-02T{:02}:{:02}:{:02}Z",
                        i / 3600,
                        i / 60 % 60,
                        i % 60
                    ),
                )
            })
            .collect();
        jobs.push(job("first", "TESTFAILED", "2026-11-01T00:00:00Z"));
        jobs.push(job("before", "SUCCESS", "2026-10-31T23:59:59Z"));
        jobs.push(job("after", "SUCCESS", "2026-11-03T00:00:00Z"));
        for chunk in jobs.chunks(1000) {
            admin
                .data(
                    "mutation($j: [JobInput!]!) { submitJobs(input: $j) { jobs { guid } } }",
                    json!({"j": chunk}),
                )
                .await;
        }
        admin
            .data(
                "mutation($e: [DependencyInput!]!) { addDependencies(input: $e) { added } }",
                json!({"e": [{"dependent": "first", "dependency": "a-build-not-seen-yet", "kind": "TEST"}]}),
            )
            .await;
        admin
            .data(
                "mutation($i: ClassifyJobsInput!) { classifyJobs(input: $i) { jobs { guid } } }",
                json!({"i": {"jobs": ["first"], "classification": "INTERMITTENT", "bugs": [12, 7]}}),
            )
            .await;
    }

    let file = dir.path().join("jobs.ndjson");
    let ended = treeherd(dir.path())
        .args([
            "export",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-03",
            "--output",
        ])
        .arg(&file)
        .env("TREEHERD_DATABASE_URL", &database)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&ended.stderr);
    assert!(ended.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("exported {} jobs", MID + 1)),
        "{stderr}"
    );
    let lines: Vec<Value> = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let guids: Vec<&str> = lines.iter().map(|l| l["guid"].as_str().unwrap()).collect();
    assert_eq!(guids.len(), MID + 1);
    assert_eq!(guids[0], "first");
    let mut mid: Vec<&str> = guids[1..].to_vec();
    mid.dedup();
    assert_eq!(mid.len(), MID, "a job written twice across pages");
    let times: Vec<&str> = lines
        .iter()
        .map(|l| l["submittedAt"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "not in age order");
    assert_eq!(
        lines[0],
        json!({"guid": "first", "repository": "try",
               "push": {"pushId": 1, "revision": "a".repeat(40), "pushedAt": "2026-10-31T12:00:00Z"},
               "kind": "TEST", "name": "test first", "symbol": null, "groupSymbol": null,
               "groupName": null, "platform": "linux64", "buildSystem": null, "state": "COMPLETED",
               "result": "TESTFAILED", "tier": 1, "machine": null,
               "submittedAt": "2026-11-01T00:00:00Z", "startedAt": null, "finishedAt": null,
               "attributes": {"owner": "o", "n": [1, 2]},
               "dependencies": [{"guid": "a-build-not-seen-yet", "kind": "TEST"}],
               "classification": {"classification": "INTERMITTENT", "automatic": false, "bugs": [7, 12]}})
    );
    assert_eq!(lines[1]["classification"], Value::Null);

    // The same range as Parquet, read back: the same jobs in the same order.
    let file = dir.path().join("jobs.parquet");
    let ended = treeherd(dir.path())
        .args([
            "export",
            "--since",
            "2026-11-01",
            "--until",
            "2026-11-03",
            "--format",
            "parquet",
            "--output",
        ])
        .arg(&file)
        .env("TREEHERD_DATABASE_URL", &database)
        .output()
        .unwrap();
    assert!(
        ended.status.success(),
        "{}",
        String::from_utf8_lossy(&ended.stderr)
    );
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&file).unwrap(),
    )
    .unwrap()
    .build()
    .unwrap();
    let mut read = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let column = batch.column_by_name("guid").unwrap();
        let column = column
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .unwrap();
        read.extend(column.iter().map(|g| g.unwrap().to_owned()));
    }
    assert_eq!(read, guids);
}

#[test]
fn an_output_that_cannot_be_written_fails_before_any_database_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    let ended = treeherd(dir.path())
        .args([
            "export",
            "--since",
            "2026-11-01",
            "--output",
            "no/such/folder/jobs.ndjson",
        ])
        .output()
        .unwrap();
    assert_eq!(ended.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&ended.stderr);
    assert!(
        stderr.contains("cannot write no/such/folder/jobs.ndjson"),
        "{stderr}"
    );
    assert!(
        !dir.path().join("treeherd.db").exists(),
        "the default database was created before the output was refused"
    );
}
