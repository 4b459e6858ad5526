//! Machines: state following a job's lifecycle, quarantine by hand and its end, history,
//! flakiness on a generated history, `machineChanged`; and scheduled jobs that are overdue.

use serde_json::{Value, json};

use crate::support::{TestSchema, error_code};

const SUBMIT: &str = "mutation($j: [JobInput!]!) { submitJobs(input: $j) { jobs { guid } } }";
const MACHINE: &str = "query($n: String!) { machine(buildSystem: \"taskcluster\", name: $n) {
    name platform state reason until currentJob { guid } history { state reason job { guid } } } }";

fn job(guid: &str, machine: &str, platform: &str, state: &str, result: &str) -> Value {
    json!({"guid": guid, "repository": "try", "kind": "TEST", "name": "test-mochitest",
           "platform": platform, "buildSystem": "taskcluster", "machine": machine,
           "state": state, "result": result,
           "finishedAt": if state == "COMPLETED" { json!("2026-11-20T10:00:00Z") } else { Value::Null }})
}

async fn submit(app: &TestSchema, jobs: Vec<Value>) {
    app.data(SUBMIT, json!({"j": jobs})).await;
}

async fn machine(app: &TestSchema, name: &str) -> Value {
    app.data(MACHINE, json!({"n": name})).await["machine"].clone()
}

#[tokio::test]
async fn a_machine_follows_its_jobs_and_a_quarantine_holds_until_it_ends() {
    let app = TestSchema::new().await;
    app.create_repository("try", &[]).await;

    submit(
        &app,
        vec![job("a", "t-linux-1", "linux64", "PENDING", "UNKNOWN")],
    )
    .await;
    assert_eq!(
        machine(&app, "t-linux-1").await,
        Value::Null,
        "a pending job has not run anywhere yet"
    );
    submit(
        &app,
        vec![job("a", "t-linux-1", "linux64", "RUNNING", "UNKNOWN")],
    )
    .await;
    let busy = machine(&app, "t-linux-1").await;
    assert_eq!(busy["state"], "BUSY");
    assert_eq!(busy["platform"], "linux64");
    assert_eq!(busy["currentJob"]["guid"], "a");
    submit(
        &app,
        vec![job("a", "t-linux-1", "linux64", "COMPLETED", "SUCCESS")],
    )
    .await;
    let idle = machine(&app, "t-linux-1").await;
    assert_eq!(idle["state"], "IDLE");
    assert_eq!(idle["currentJob"], Value::Null);

    // Quarantined by hand: jobs still move its current job, not its state.
    let set = "mutation($n: String!, $s: MachineState!, $r: String, $u: DateTime) {
        setMachineState(buildSystem: \"taskcluster\", name: $n, state: $s, reason: $r, until: $u) { state reason until } }";
    let quarantined = app
        .data(
            set,
            json!({"n": "t-linux-1", "s": "QUARANTINED", "r": "disk full", "u": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(
        quarantined["setMachineState"],
        json!({"state": "QUARANTINED", "reason": "disk full", "until": "2099-01-01T00:00:00+00:00"})
    );
    submit(
        &app,
        vec![job("b", "t-linux-1", "linux64", "RUNNING", "UNKNOWN")],
    )
    .await;
    let held = machine(&app, "t-linux-1").await;
    assert_eq!(held["state"], "QUARANTINED");
    assert_eq!(held["currentJob"]["guid"], "b");
    let listed = app
        .data(
            "{ machines(state: QUARANTINED, first: 10) { nodes { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["machines"]["nodes"], json!([{"name": "t-linux-1"}]));

    // Put back by hand: it is what its jobs say (running b: BUSY).
    app.data(set, json!({"n": "t-linux-1", "s": "IDLE"})).await;
    let back = machine(&app, "t-linux-1").await;
    assert_eq!(back["state"], "BUSY");
    assert_eq!(back["reason"], Value::Null);
    let states: Vec<&str> = back["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["BUSY", "IDLE", "QUARANTINED", "BUSY"]);
    assert_eq!(back["history"][0]["job"]["guid"], "a");
    assert_eq!(back["history"][2]["reason"], "disk full");

    let jobs = app
        .data(
            "{ machine(buildSystem: \"taskcluster\", name: \"t-linux-1\") { jobs(first: 10) { nodes { guid } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        jobs["machine"]["jobs"]["nodes"],
        json!([{"guid": "b"}, {"guid": "a"}])
    );

    // Refusals: BUSY is not set by hand, an end in the past, and writers need admin.
    let busy = app
        .graphql(set, json!({"n": "t-linux-1", "s": "BUSY"}))
        .await;
    assert_eq!(error_code(&busy), "BAD_USER_INPUT");
    let past = app
        .graphql(
            set,
            json!({"n": "t-linux-1", "s": "OFFLINE", "u": "2001-01-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(error_code(&past), "BAD_USER_INPUT");
    let writer = app
        .graphql_as(
            Some(&app.token(&["write:try"])),
            set,
            json!({"n": "t-linux-1", "s": "OFFLINE"}),
        )
        .await;
    assert_eq!(error_code(&writer), "FORBIDDEN");
}

#[tokio::test]
async fn setting_the_state_of_a_machine_no_job_ran_on_is_not_found_and_writes_nothing() {
    let app = TestSchema::new().await;
    app.create_repository("try", &[]).await;
    submit(
        &app,
        vec![job("a", "t-linux-1", "linux64", "RUNNING", "UNKNOWN")],
    )
    .await;
    let set = "mutation($b: String!, $n: String!) {
        setMachineState(buildSystem: $b, name: $n, state: QUARANTINED, reason: \"typo\") { name } }";
    // A typo of the name, and the right name under another build system.
    for (system, name) in [("taskcluster", "t-linux-l"), ("buildbot", "t-linux-1")] {
        let response = app.graphql(set, json!({"b": system, "n": name})).await;
        assert_eq!(error_code(&response), "NOT_FOUND", "{response}");
        let message = response["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("{name:?}")) && message.contains(&format!("{system:?}")),
            "{message}"
        );
    }
    let listed = app
        .data(
            "{ machines(first: 10) { nodes { buildSystem name state } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["machines"]["nodes"],
        json!([{"buildSystem": "taskcluster", "name": "t-linux-1", "state": "BUSY"}]),
        "no phantom machine, and the known one untouched"
    );
    assert!(
        machine(&app, "t-linux-1").await["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["state"] == "BUSY")
    );
}

#[tokio::test]
async fn a_flaky_machine_stands_out_from_its_platform() {
    let app = TestSchema::new().await;
    app.create_repository("try", &[]).await;
    // 20 machines × 20 jobs on linux64: 1 in 20 fails, except on t-linux-13 where 1 in 2
    // does; windows machines fail 1 in 4 (a worse platform, not a worse machine).
    let mut jobs = Vec::new();
    for m in 0..20 {
        for j in 0..20 {
            let failed = if m == 13 { j % 2 == 0 } else { j % 20 == 0 };
            let result = if failed { "TESTFAILED" } else { "SUCCESS" };
            jobs.push(job(
                &format!("l-{m}-{j}"),
                &format!("t-linux-{m}"),
                "linux64",
                "COMPLETED",
                result,
            ));
        }
    }
    for m in 0..5 {
        for j in 0..20 {
            let result = if j % 4 == 0 { "BUSTED" } else { "SUCCESS" };
            jobs.push(job(
                &format!("w-{m}-{j}"),
                &format!("t-win-{m}"),
                "windows11-64",
                "COMPLETED",
                result,
            ));
        }
    }
    // A retried run is not held against the machine.
    jobs.push(job("r-1", "t-linux-0", "linux64", "COMPLETED", "RETRY"));
    submit(&app, jobs).await;

    let signal = app
        .data(
            "{ machineFlakiness(buildSystem: \"taskcluster\", since: \"2026-11-20T00:00:00Z\", until: \"2026-11-21T00:00:00Z\") {
                name platform jobs failed failureRate platformJobs platformFailureRate flagged } }",
            json!({}),
        )
        .await;
    let rows = signal["machineFlakiness"].as_array().unwrap();
    assert_eq!(rows.len(), 25);
    let flagged: Vec<&str> = rows
        .iter()
        .filter(|r| r["flagged"] == true)
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(flagged, ["t-linux-13"]);
    assert_eq!(rows[0]["name"], "t-linux-13");
    assert_eq!(rows[0]["failed"], 10);
    assert_eq!(rows[0]["jobs"], 20);
    assert_eq!(rows[0]["platformJobs"], 400);
    // (19 machines × 1 + 10) / 400
    assert_eq!(rows[0]["platformFailureRate"], 29.0 / 400.0);
    let linux0 = rows.iter().find(|r| r["name"] == "t-linux-0").unwrap();
    assert_eq!(linux0["jobs"], 20);

    let elsewhere = app
        .data(
            "{ machineFlakiness(buildSystem: \"buildbot\", since: \"2026-11-20T00:00:00Z\", until: \"2026-11-21T00:00:00Z\") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(elsewhere["machineFlakiness"], json!([]));
}

#[tokio::test]
async fn scheduled_jobs_are_grouped_by_name_and_an_overdue_one_is_flagged() {
    let app = TestSchema::new().await;
    app.create_repository("mozilla-central", &[]).await;
    let scheduled = |guid: &str, name: &str, result: &str, started: &str| {
        json!({"guid": guid, "repository": "mozilla-central", "kind": "SCHEDULED", "name": name,
               "state": "COMPLETED", "result": result, "startedAt": started,
               "finishedAt": started})
    };
    // Valgrind ran an hour ago (daily: on time); the QA update test last ran 3 days ago
    // (daily: overdue); the nightly is declared and never ran (overdue).
    let now = chrono::Utc::now();
    let ago = |hours: i64| (now - chrono::Duration::hours(hours)).to_rfc3339();
    submit(
        &app,
        vec![
            scheduled("v-1", "valgrind", "SUCCESS", &ago(49)),
            scheduled("v-2", "valgrind", "TESTFAILED", &ago(25)),
            scheduled("v-3", "valgrind", "SUCCESS", &ago(1)),
            scheduled("qa-1", "qa-update-test", "BUSTED", &ago(72)),
        ],
    )
    .await;
    for (name, every) in [
        ("valgrind", "24h"),
        ("qa-update-test", "1d"),
        ("nightly", "12h"),
    ] {
        app.data(
            "mutation($n: String!, $e: String!) { declareSchedule(repository: \"mozilla-central\", name: $n, every: $e) }",
            json!({"n": name, "e": every}),
        )
        .await;
    }
    let answer = app
        .data(
            "{ scheduledJobs(repository: \"mozilla-central\") { name intervalSeconds overdue state
                lastRun { guid } lastSuccess { guid } lastFailure { guid } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        answer["scheduledJobs"],
        json!([
            {"name": "nightly", "intervalSeconds": 43200, "overdue": true, "state": null,
             "lastRun": null, "lastSuccess": null, "lastFailure": null},
            {"name": "qa-update-test", "intervalSeconds": 86400, "overdue": true, "state": "COMPLETED",
             "lastRun": {"guid": "qa-1"}, "lastSuccess": null, "lastFailure": {"guid": "qa-1"}},
            {"name": "valgrind", "intervalSeconds": 86400, "overdue": false, "state": "COMPLETED",
             "lastRun": {"guid": "v-3"}, "lastSuccess": {"guid": "v-3"}, "lastFailure": {"guid": "v-2"}},
        ])
    );
    let bad = app
        .graphql(
            "mutation { declareSchedule(repository: \"mozilla-central\", name: \"x\", every: \"soon\") }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
}
