//! Demo data: a server started with it (`serve --demo`) holds repositories, pushes, jobs of
//! every kind with their edges, a nightly release, schedules, machines (one quarantined and
//! flagged flaky) and parsed logs with error lines, bugs, failures classified by a sheriff and
//! by the autoclassifier, and unclassified ones on the newest pushes; filling again changes
//! nothing.

use serde_json::{Value, json};
use treeherd_demo::{self as demo, DemoOptions, FLAKY_MACHINE, SHERIFF};
use treeherd_tests::TestApp;

/// Small, so the test stays quick on PostgreSQL: 8 mozilla-central pushes, 16 autoland, 5
/// gecko-dev.
fn small() -> DemoOptions {
    DemoOptions {
        pushes: 30,
        ..DemoOptions::default()
    }
}

async fn demo_app() -> TestApp {
    TestApp::spawn_with(|config| config.demo = Some(small())).await
}

/// What the UI would show of the whole database, for comparing before and after.
async fn picture(app: &TestApp) -> Value {
    let mut picture = app
        .data(
            "{ repositories { name vcs branch }
               releases(first: 50) { nodes { version buildNumber status job { guid state } } }
               scheduledJobs(repository: \"mozilla-central\") { name intervalSeconds lastRun { guid } }
               machines(first: 100) { nodes { name state reason } } }",
            json!({}),
        )
        .await;
    for repository in ["mozilla-central", "autoland", "gecko-dev"] {
        let pushes = app
            .data(
                "query($r: String!) { repository(name: $r) { pushes(first: 100) { nodes {
                    pushId revision author pushedAt commits { revision }
                    status { total unscheduled pending running success testfailed busted exception } } } } }",
                json!({"r": repository}),
            )
            .await;
        picture[repository] = pushes["repository"]["pushes"]["nodes"].clone();
    }
    picture
}

#[tokio::test]
async fn demo_data_fills_a_fresh_database_with_a_live_looking_picture() {
    let app = demo_app().await;

    let repositories = app
        .data("{ repositories { name vcs url branch } }", json!({}))
        .await;
    assert_eq!(
        repositories["repositories"],
        json!([
            {"name": "autoland", "vcs": "HG", "url": "https://hg.mozilla.org/integration/autoland", "branch": null},
            {"name": "gecko-dev", "vcs": "GIT", "url": "https://github.com/mozilla/gecko-dev", "branch": "master"},
            {"name": "mozilla-central", "vcs": "HG", "url": "https://hg.mozilla.org/mozilla-central", "branch": null},
        ])
    );

    // Pushes newest first with their commits; the newest landed after a quiet hour and still
    // runs.
    let autoland = app
        .data(
            "{ repository(name: \"autoland\") { pushes(first: 100) { nodes {
                pushId pushedAt commits { message } status { total running pending success testfailed } } } } }",
            json!({}),
        )
        .await;
    let pushes = autoland["repository"]["pushes"]["nodes"]
        .as_array()
        .unwrap();
    assert_eq!(pushes.len(), 16);
    assert_eq!(pushes[0]["pushId"], 16);
    assert!(
        pushes
            .iter()
            .all(|p| !p["commits"].as_array().unwrap().is_empty())
    );
    assert!(
        pushes[0]["commits"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("Bug ")
    );
    let newest: chrono::DateTime<chrono::Utc> =
        pushes[0]["pushedAt"].as_str().unwrap().parse().unwrap();
    let age = chrono::Utc::now() - newest;
    assert!(
        age > chrono::Duration::minutes(60) && age < chrono::Duration::minutes(120),
        "the newest push is {age} old"
    );
    let sum = |field: &str| -> i64 {
        pushes
            .iter()
            .map(|p| p["status"][field].as_i64().unwrap())
            .sum()
    };
    assert!(sum("total") > 16 * 100, "{} jobs", sum("total"));
    assert!(sum("running") + sum("pending") > 0, "nothing is running");
    assert!(sum("testfailed") > 0, "nothing failed");
    assert!(
        sum("success") > 10 * sum("testfailed"),
        "mostly green: {} successes, {} failures",
        sum("success"),
        sum("testfailed")
    );
    let gecko_dev = app
        .data(
            "{ repository(name: \"gecko-dev\") { pushes(first: 100) { nodes { pushId } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        gecko_dev["repository"]["pushes"]["nodes"],
        json!([{"pushId": 5}, {"pushId": 4}, {"pushId": 3}, {"pushId": 2}, {"pushId": 1}]),
        "git pushes are numbered by the store"
    );

    // Every kind of job, with symbols and platforms the UI groups by.
    for kind in [
        "BUILD",
        "TEST",
        "L10N_REPACK",
        "RELEASE",
        "SCHEDULED",
        "OTHER",
    ] {
        let jobs = app
            .data(
                "query($k: JobKind!) { jobs(repository: \"mozilla-central\", filter: {kind: $k}, first: 5) {
                    nodes { name symbol platform machine } } }",
                json!({"k": kind}),
            )
            .await;
        let nodes = jobs["jobs"]["nodes"].as_array().unwrap();
        assert!(!nodes.is_empty(), "no {kind} job");
        if kind != "RELEASE" {
            assert!(nodes.iter().all(|j| j["symbol"].is_string()), "{nodes:?}");
            assert!(nodes.iter().all(|j| j["platform"].is_string()), "{nodes:?}");
        }
    }

    // Edges: a test waits on its build; a build fans out to tests and repacks.
    let tests = app
        .data(
            "{ jobs(repository: \"mozilla-central\", filter: {kind: TEST, state: COMPLETED}, first: 1) { nodes {
                name dependencies { kind job { kind name platform } } } } }",
            json!({}),
        )
        .await;
    let test = &tests["jobs"]["nodes"][0];
    let build = test["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "TEST")
        .unwrap_or_else(|| panic!("{test:#}"));
    assert_eq!(build["job"]["kind"], "BUILD");
    assert!(test["name"].as_str().unwrap().starts_with(&format!(
        "test-{}/",
        build["job"]["platform"].as_str().unwrap()
    )));
    let builds = app
        .data(
            "{ jobs(repository: \"mozilla-central\", filter: {kind: BUILD, platform: \"linux64\"}, first: 1) {
                nodes { dependents { kind } repacks { attributes } } } }",
            json!({}),
        )
        .await;
    let build = &builds["jobs"]["nodes"][0];
    let kinds: Vec<&str> = build["dependents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"TEST") && kinds.contains(&"L10N_REPACK"),
        "{kinds:?}"
    );
    assert!(build["repacks"][0]["attributes"]["locale"].is_string());

    // A nightly waiting for its builds and repacks, one shipped locale without a repack.
    let releases = app
        .data(
            "{ releases(product: \"firefox\", first: 10) { nodes {
                version channel status repository { name }
                gates(first: 100) { nodes { kind } }
                localeMatrix { locales platforms cells { locale missing } } } } }",
            json!({}),
        )
        .await;
    let release = &releases["releases"]["nodes"][0];
    assert_eq!(release["version"], "148.0a1");
    assert_eq!(release["channel"], "nightly");
    assert_eq!(release["repository"]["name"], "mozilla-central");
    let gates = release["gates"]["nodes"].as_array().unwrap();
    assert_eq!(
        gates.len(),
        6 + 6 * 8,
        "six builds and their eight repacks each"
    );
    assert!(
        gates
            .iter()
            .all(|g| g["kind"] == "BUILD" || g["kind"] == "L10N_REPACK")
    );
    let matrix = &release["localeMatrix"];
    assert_eq!(matrix["locales"].as_array().unwrap().len(), 9);
    assert_eq!(matrix["platforms"].as_array().unwrap().len(), 6);
    let missing: Vec<&Value> = matrix["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["missing"] == true)
        .collect();
    assert_eq!(missing.len(), 6);
    assert!(missing.iter().all(|c| c["locale"] == "zh-TW"));

    // Scheduled jobs run beside the pushes; each declared, one never ran and is overdue.
    let scheduled = app
        .data(
            "{ scheduledJobs(repository: \"mozilla-central\") { name intervalSeconds overdue lastRun { kind } } }",
            json!({}),
        )
        .await;
    let scheduled = scheduled["scheduledJobs"].as_array().unwrap();
    let names: Vec<&str> = scheduled
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    for name in [
        "valgrind",
        "periodic-update",
        "searchfox-index",
        "bouncer-check",
    ] {
        assert!(names.contains(&name), "{names:?}");
    }
    assert!(scheduled.iter().all(|s| s["intervalSeconds"] == 4 * 3600));
    let valgrind = scheduled.iter().find(|s| s["name"] == "valgrind").unwrap();
    assert_eq!(valgrind["lastRun"]["kind"], "SCHEDULED");
    // Only the one that stopped is overdue, whenever the fill ran.
    let overdue: Vec<&str> = scheduled
        .iter()
        .filter(|s| s["overdue"] == true)
        .map(|s| s["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(overdue, ["bouncer-check"]);

    // Machines moved by their jobs; the flaky one is quarantined and stands out.
    let machines = app
        .data(
            "query($n: String!, $since: DateTime!, $until: DateTime!) {
               machines(buildSystem: \"taskcluster\", first: 100) { nodes { name state } }
               machine(buildSystem: \"taskcluster\", name: $n) { state reason until platform }
               machineFlakiness(buildSystem: \"taskcluster\", since: $since, until: $until) {
                 name platform failed flagged } }",
            json!({"n": FLAKY_MACHINE,
                   "since": (chrono::Utc::now() - chrono::Duration::days(30)).to_rfc3339(),
                   "until": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()}),
        )
        .await;
    let states: Vec<&str> = machines["machines"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap())
        .collect();
    assert!(
        states.contains(&"BUSY") && states.contains(&"IDLE"),
        "{states:?}"
    );
    assert_eq!(machines["machine"]["state"], "QUARANTINED");
    assert!(machines["machine"]["reason"].is_string());
    assert!(machines["machine"]["until"].is_string());
    // A small fill flags a few unlucky machines too; the flaky one fails most.
    let flakiness = machines["machineFlakiness"].as_array().unwrap();
    let flaky = flakiness
        .iter()
        .find(|m| m["name"] == FLAKY_MACHINE && m["platform"] == "linux64")
        .unwrap_or_else(|| panic!("{flakiness:#?}"));
    assert_eq!(flaky["flagged"], true);
    let most = flakiness
        .iter()
        .filter(|m| m["name"] != FLAKY_MACHINE)
        .map(|m| m["failed"].as_i64().unwrap())
        .max()
        .unwrap();
    assert!(flaky["failed"].as_i64().unwrap() > most, "{flakiness:#?}");

    // A machine was last seen when its last job ended (or, while one runs, at the fill): the
    // fill spreads them over the hours its pushes ran instead of stamping its own moment.
    let seen = app
        .data(
            "{ machines(buildSystem: \"taskcluster\", first: 200) { pageInfo { hasNextPage } nodes {
                name lastSeenAt currentJob { guid }
                jobs(first: 300) { pageInfo { hasNextPage } nodes { finishedAt } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(seen["machines"]["pageInfo"]["hasNextPage"], false);
    let at = |v: &Value| -> chrono::DateTime<chrono::Utc> {
        v.as_str()
            .unwrap_or_else(|| panic!("not a time: {v}"))
            .parse()
            .unwrap()
    };
    let machines = seen["machines"]["nodes"].as_array().unwrap();
    let mut idle_seen = Vec::new();
    for machine in machines {
        let jobs = &machine["jobs"];
        assert_eq!(jobs["pageInfo"]["hasNextPage"], false, "{machine:#}");
        let last_end = jobs["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["finishedAt"].is_string())
            .map(|j| at(&j["finishedAt"]))
            .max();
        let last_seen = at(&machine["lastSeenAt"]);
        if machine["currentJob"].is_null() {
            assert_eq!(Some(last_seen), last_end, "{}", machine["name"]);
            idle_seen.push(last_seen);
        } else {
            assert!(last_end.is_none_or(|end| end <= last_seen), "{machine:#}");
        }
    }
    let idle = idle_seen.len();
    idle_seen.sort();
    idle_seen.dedup();
    assert!(idle >= 5, "{idle} idle machines of {}", machines.len());
    assert_eq!(
        idle_seen.len(),
        idle,
        "idle machines share a last-seen time"
    );
    let spread = idle_seen.last().copied().unwrap() - idle_seen.first().copied().unwrap();
    assert!(
        spread > chrono::Duration::minutes(15),
        "last seen within {spread} of each other"
    );

    // The quarantined machine runs nothing: its last job ended before the quarantine began.
    let flaky = app
        .data(
            "query($n: String!) { machine(buildSystem: \"taskcluster\", name: $n) {
                state lastSeenAt currentJob { guid } history { state at }
                jobs(first: 300) { nodes { state } } } }",
            json!({"n": FLAKY_MACHINE}),
        )
        .await;
    let flaky = &flaky["machine"];
    assert_eq!(flaky["state"], "QUARANTINED");
    assert!(flaky["currentJob"].is_null(), "{flaky:#}");
    assert!(
        flaky["jobs"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["state"] == "COMPLETED"),
        "{flaky:#}"
    );
    let quarantined = flaky["history"]
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["state"] == "QUARANTINED")
        .unwrap_or_else(|| panic!("{flaky:#}"));
    assert!(
        at(&flaky["lastSeenAt"]) <= at(&quarantined["at"]),
        "{flaky:#}"
    );

    // Failed jobs of recent pushes have parsed logs (errors, steps) and test results; none
    // is left for the parse worker to fetch.
    let failed = app
        .data(
            "{ jobs(repository: \"autoland\", filter: {result: TESTFAILED}, first: 100) { nodes {
                guid logs { status url errorCount errors { lineNumber line } steps { name result } }
                testResults(first: 20) { nodes { test status expected message } } } } }",
            json!({}),
        )
        .await;
    let failed = failed["jobs"]["nodes"].as_array().unwrap();
    let logs: Vec<&Value> = failed
        .iter()
        .flat_map(|j| j["logs"].as_array().unwrap())
        .collect();
    assert!(!logs.is_empty(), "no failed job has a log");
    assert!(logs.iter().all(|l| l["status"] == "PARSED"), "{logs:#?}");
    let job = failed
        .iter()
        .find(|j| !j["logs"].as_array().unwrap().is_empty())
        .unwrap();
    let log = &job["logs"][0];
    let errors = log["errors"].as_array().unwrap();
    assert!(!errors.is_empty());
    assert_eq!(log["errorCount"].as_u64(), Some(errors.len() as u64));
    assert!(
        errors
            .iter()
            .all(|e| e["line"].as_str().unwrap().contains("TEST-UNEXPECTED-")),
        "{errors:#?}"
    );
    let steps: Vec<(&str, &str)> = log["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["result"].as_str().unwrap()))
        .collect();
    assert!(steps.contains(&("run-tests", "failed")), "{steps:?}");
    assert!(steps.contains(&("install", "success")), "{steps:?}");
    let results = job["testResults"]["nodes"].as_array().unwrap();
    let failing: Vec<&Value> = results.iter().filter(|r| r["status"] != "PASS").collect();
    assert!(!failing.is_empty(), "{results:#?}");
    assert!(failing.iter().all(|r| r["expected"] == "PASS"));
    assert!(
        failing.iter().all(|r| errors.iter().any(|e| e["line"]
            .as_str()
            .unwrap()
            .contains(r["test"].as_str().unwrap()))),
        "every failing result is an error line of the log"
    );
}

#[tokio::test]
async fn demo_data_is_sheriffed_but_for_the_newest_pushes() {
    let app = demo_app().await;
    let now = chrono::Utc::now();
    const CLASSIFICATION: &str = "classification { classification bugs who automatic note }";

    // The newest pushes keep unclassified failures for the UI; the filter finds the same.
    let autoland = app
        .data(
            &format!(
                "{{ repository(name: \"autoland\") {{ pushes(first: 20) {{ nodes {{
                    pushId status {{ testfailed busted exception unclassifiedFailures }}
                    jobs(first: 100, filter: {{unclassifiedFailure: true}}) {{ nodes {{ guid result {CLASSIFICATION} }} }}
                    }} }} }} }}"
            ),
            json!({}),
        )
        .await;
    let pushes = autoland["repository"]["pushes"]["nodes"]
        .as_array()
        .unwrap();
    let unclassified = |p: &Value| p["status"]["unclassifiedFailures"].as_i64().unwrap();
    let newest: i64 = pushes[..5].iter().map(unclassified).sum();
    assert!(newest > 0, "no unclassified failure on the newest pushes");
    for push in pushes {
        let jobs = push["jobs"]["nodes"].as_array().unwrap();
        assert_eq!(jobs.len() as i64, unclassified(push), "{push:#}");
        assert!(
            jobs.iter().all(|j| j["classification"].is_null()),
            "{push:#}"
        );
    }
    // The sheriff is behind by the newest five of sixteen pushes only.
    let failed = |p: &Value| {
        ["testfailed", "busted", "exception"]
            .iter()
            .map(|f| p["status"][f].as_i64().unwrap())
            .sum::<i64>()
    };
    assert!(pushes[5..].iter().map(failed).sum::<i64>() > 10);
    assert!(
        pushes[5..].iter().all(|p| unclassified(p) == 0),
        "{pushes:#?}"
    );

    // People's classifications of every kind, and the autoclassifier's of recurrences.
    let mut kinds = std::collections::BTreeMap::<String, Vec<Value>>::new();
    for repository in ["autoland", "mozilla-central"] {
        let failed = app
            .data(
                &format!(
                    "query($r: String!) {{ jobs(repository: $r, filter: {{result: TESTFAILED}}, first: 1000) {{ nodes {{
                        guid {CLASSIFICATION} classificationHistory {{ classification who }}
                        failureLines {{ line search {{ recurrenceKey }} }} }} }}
                       busted: jobs(repository: $r, filter: {{result: BUSTED}}, first: 1000) {{ nodes {{ guid {CLASSIFICATION} }} }}
                       exception: jobs(repository: $r, filter: {{result: EXCEPTION}}, first: 1000) {{ nodes {{ guid {CLASSIFICATION} }} }} }}"
                ),
                json!({"r": repository}),
            )
            .await;
        for list in ["jobs", "busted", "exception"] {
            for job in failed[list]["nodes"].as_array().unwrap() {
                if let Some(kind) = job["classification"]["classification"].as_str() {
                    kinds.entry(kind.to_owned()).or_default().push(job.clone());
                }
            }
        }
    }
    for kind in ["INTERMITTENT", "FIXED_BY_COMMIT", "INFRA", "EXPECTED_FAIL"] {
        let jobs = kinds.get(kind).unwrap_or_else(|| panic!("no {kind} job"));
        assert!(
            jobs.iter().all(|j| j["classification"]["who"] == SHERIFF
                && j["classification"]["automatic"] == false),
            "{jobs:#?}"
        );
    }
    assert!(
        kinds["INTERMITTENT"]
            .iter()
            .all(|j| !j["classification"]["bugs"].as_array().unwrap().is_empty())
    );
    let auto = kinds
        .get("AUTOCLASSIFIED_INTERMITTENT")
        .expect("no autoclassified job");
    for job in auto {
        assert_eq!(job["classification"]["who"], "autoclassifier", "{job:#}");
        assert_eq!(job["classification"]["automatic"], true, "{job:#}");
        assert_eq!(job["classificationHistory"].as_array().unwrap().len(), 1);
        assert!(!job["classification"]["bugs"].as_array().unwrap().is_empty());
        // Each of its lines recurs from one a person called intermittent.
        for line in job["failureLines"].as_array().unwrap() {
            let key = &line["search"]["recurrenceKey"];
            assert!(
                kinds["INTERMITTENT"].iter().any(|p| p["failureLines"]
                    .as_array()
                    .is_some_and(|ls| ls.iter().any(|l| &l["search"]["recurrenceKey"] == key))),
                "{job:#}"
            );
        }
    }

    // A failure line suggests a demo bug: the one its job was classified with.
    let classified = kinds["INTERMITTENT"]
        .iter()
        .find(|j| !j["failureLines"].as_array().unwrap().is_empty())
        .expect("an intermittent with failure lines");
    let detail = app
        .data(
            "query($g: String!) { job(guid: $g) { failureLines {
                search { searchTerms } suggestions { openRecent { id summary status } allOthers { id resolution } } } } }",
            json!({"g": classified["guid"]}),
        )
        .await;
    let bug = &classified["classification"]["bugs"];
    let suggested: Vec<&Value> = detail["job"]["failureLines"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|l| l["suggestions"]["openRecent"].as_array().unwrap())
        .collect();
    assert!(
        suggested
            .iter()
            .any(|b| bug.as_array().unwrap().contains(&b["id"])),
        "{detail:#} {bug}"
    );

    // Bugs: open, resolved, a duplicate.
    let bugs = app
        .data(
            "{ open: bug(id: 1931204) { status resolution }
               fixed: bug(id: 1873402) { status resolution }
               duplicate: bug(id: 1890447) { resolution dupeOf } }",
            json!({}),
        )
        .await;
    assert_eq!(bugs["open"], json!({"status": "NEW", "resolution": null}));
    assert_eq!(bugs["fixed"]["resolution"], "FIXED");
    assert_eq!(
        bugs["duplicate"],
        json!({"resolution": "DUPLICATE", "dupeOf": 1924410})
    );

    // The intermittent failures of the last 7 and 30 days: days, bugs, their failures.
    for days in [7, 30] {
        let view = app
            .data(
                "query($since: DateTime!, $until: DateTime!) {
                   intermittentFailures(since: $since, until: $until) {
                     days { day failures pushes orangeFactor }
                     bugs(first: 10) { bugId failures platforms repositories } } }",
                json!({"since": (now - chrono::Duration::days(days)).to_rfc3339(),
                       "until": (now + chrono::Duration::minutes(1)).to_rfc3339()}),
            )
            .await;
        let view = &view["intermittentFailures"];
        let days_seen = view["days"].as_array().unwrap();
        assert!(days_seen.len() as i64 >= days, "{view:#}");
        assert!(
            days_seen.iter().any(|d| d["failures"].as_i64().unwrap() > 0
                && d["orangeFactor"].as_f64().unwrap() > 0.0),
            "{view:#}"
        );
        let bugs = view["bugs"].as_array().unwrap();
        assert!(bugs.len() >= 5, "{view:#}");
        let top = bugs[0]["bugId"].as_i64().unwrap();
        let failures = app
            .data(
                "query($since: DateTime!, $until: DateTime!, $bug: Int!) {
                   intermittentFailures(since: $since, until: $until) {
                     failures(bug: $bug) { guid classification { classification bugs } } } }",
                json!({"since": (now - chrono::Duration::days(days)).to_rfc3339(),
                       "until": (now + chrono::Duration::minutes(1)).to_rfc3339(),
                       "bug": top}),
            )
            .await;
        let failures = failures["intermittentFailures"]["failures"]
            .as_array()
            .unwrap();
        assert_eq!(failures.len() as i64, bugs[0]["failures"].as_i64().unwrap());
        assert!(failures.iter().all(|f| {
            f["classification"]["bugs"]
                .as_array()
                .unwrap()
                .contains(&json!(top))
        }));
    }
}

#[tokio::test]
async fn demo_data_is_filled_once() {
    let app = demo_app().await;
    let before = picture(&app).await;

    let again = demo::fill(app.store(), &small(), chrono::Utc::now().timestamp_micros())
        .await
        .unwrap();
    assert!(again.repositories.is_empty(), "{again}");
    assert_eq!(again.skipped, ["mozilla-central", "autoland", "gecko-dev"]);
    assert_eq!((again.pushes, again.jobs, again.logs), (0, 0, 0));
    assert_eq!(picture(&app).await, before);
}
