//! The `treeherd` binary as a new user runs it: `serve` with every default in an empty folder,
//! then `token issue` beside it, and the token writes.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod support;

use serde_json::{Value, json};
use std::path::Path;
use support::{serve, treeherd};

#[tokio::test]
async fn serve_with_defaults_accepts_a_token_issued_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path(), &[]);
    assert!(
        dir.path().join("treeherd.db").exists(),
        "the default database is ./treeherd.db"
    );

    let output = treeherd(dir.path())
        .args([
            "token",
            "issue",
            "--subject",
            "me",
            "--scope",
            "admin",
            "--ttl",
            "1h",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_owned();

    let client = reqwest::Client::new();
    let url = server.url();
    let create = json!({"query": "mutation { createRepository(input: {name: \"try\", vcs: HG, url: \"https://hg.mozilla.org/try\"}) { name } }"});
    let response: Value = client
        .post(&url)
        .bearer_auth(&token)
        .json(&create)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        response["data"],
        json!({"createRepository": {"name": "try"}}),
        "{response}"
    );

    let anonymous: Value = client
        .post(&url)
        .json(&create)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[test]
fn schema_prints_the_checked_in_sdl() {
    let dir = tempfile::tempdir().unwrap();
    let output = treeherd(dir.path()).arg("schema").output().unwrap();
    assert!(output.status.success());
    let checked_in = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema/schema.graphql"),
    )
    .unwrap();
    assert_eq!(String::from_utf8(output.stdout).unwrap(), checked_in);
}

#[test]
fn token_issue_refuses_a_scope_of_no_known_form_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["admni", "write:", "write:try/x", "read:try"] {
        let output = treeherd(dir.path())
            .args(["token", "issue", "--subject", "me"])
            .args(["--scope", "write:try", "--scope", bad])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{bad}: {stderr}");
        assert!(output.stdout.is_empty(), "nothing is signed for {bad}");
        assert!(
            stderr.contains(&format!("unknown scope {bad:?}"))
                && stderr.contains("admin, write:*, write:<repository>"),
            "{stderr}"
        );
    }
    assert!(
        !dir.path().join("treeherd.db").exists(),
        "refused before any database is touched"
    );
    let good = treeherd(dir.path())
        .args(["token", "issue", "--subject", "me", "--jwt-secret", "s"])
        .args(["--scope", "write:try", "write:*", "--scope", "admin"])
        .output()
        .unwrap();
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stderr)
    );
}

#[test]
fn migrate_creates_the_database_and_bad_urls_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = treeherd(dir.path())
        .args(["migrate", "--database", "sqlite://x.db"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("x.db").exists());
    let again = treeherd(dir.path())
        .args(["migrate", "--database", "sqlite://x.db"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&again.stdout).trim(),
        "applied 0 migration(s)"
    );

    let bad = treeherd(dir.path())
        .args(["migrate", "--database", "mysql://nope"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unsupported database URL"));
}

/// Runs git in `dir` with a fixed identity and clock, so the history is reproducible.
fn git(dir: &Path, args: &[&str]) {
    let output = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Ann")
        .env("GIT_AUTHOR_EMAIL", "ann@example.com")
        .env("GIT_COMMITTER_NAME", "Ann")
        .env("GIT_COMMITTER_EMAIL", "ann@example.com")
        .env("GIT_AUTHOR_DATE", "2026-11-25T10:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-11-25T10:00:00Z")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn pushlog_import_git_backfills_a_first_parent_history_beside_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    git(&repo, &["init", "-q", "-b", "main"]);
    for message in ["one", "two"] {
        git(&repo, &["commit", "-q", "--allow-empty", "-m", message]);
    }
    git(&repo, &["checkout", "-q", "-b", "feature"]);
    for message in ["feature a", "feature b"] {
        git(&repo, &["commit", "-q", "--allow-empty", "-m", message]);
    }
    git(&repo, &["checkout", "-q", "main"]);
    git(
        &repo,
        &["merge", "-q", "--no-ff", "feature", "-m", "merge feature"],
    );

    let server = serve(dir.path(), &[]);
    let token = String::from_utf8(
        treeherd(dir.path())
            .args(["token", "issue", "--subject", "me", "--scope", "admin"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let client = reqwest::Client::new();
    let create = json!({"query": "mutation { createRepository(input: {name: \"app\", vcs: GIT, url: \"https://github.com/example/app\"}) { name } }"});
    let created: Value = client
        .post(server.url())
        .bearer_auth(token.trim())
        .json(&create)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["data"]["createRepository"]["name"], "app");

    let import = treeherd(dir.path())
        .args([
            "pushlog",
            "import-git",
            "--repository",
            "app",
            "--branch",
            "main",
        ])
        .arg("--path")
        .arg(&repo)
        .output()
        .unwrap();
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&import.stdout).trim(),
        "imported 3 pushes of main into app"
    );
    let query = json!({"query": "{ repository(name: \"app\") { pushes(first: 10) { nodes { pushId author commits { message } } } } }"});
    let pushes: Value = client
        .post(server.url())
        .json(&query)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let messages: Vec<(i64, Vec<String>)> = pushes["data"]["repository"]["pushes"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["pushId"].as_i64().unwrap(),
                p["commits"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c["message"].as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        messages,
        [
            (
                3,
                vec![
                    "feature a".into(),
                    "feature b".into(),
                    "merge feature".into()
                ]
            ),
            (2, vec!["two".into()]),
            (1, vec!["one".into()]),
        ]
    );

    let missing = treeherd(dir.path())
        .args([
            "pushlog",
            "import-git",
            "--repository",
            "app",
            "--branch",
            "nope",
        ])
        .arg("--path")
        .arg(&repo)
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nope"));
}

/// A buildhub2 `buildhub.json` record, as Firefox's release automation publishes it.
fn buildhub_record(
    product: &str,
    build_id: &str,
    version: &str,
    channel: &str,
    platform: &str,
    locale: &str,
) -> Value {
    let tree = if channel == "release" {
        "releases/mozilla-release"
    } else {
        "releases/mozilla-beta"
    };
    json!({
        "build": {"id": build_id, "date": "2018-10-29T18:51:05Z", "host": "x86_64-pc-linux-gnu",
                  "target": "x86_64-pc-linux-gnu", "cc": "clang", "cxx": "clang++"},
        "source": {"product": product, "repository": format!("https://hg.mozilla.org/{tree}"),
                   "revision": "a7f6c6c6a4a1d9e8b1b0f7e3e2f2b7c0b9d1e8f2", "tree": tree},
        "target": {"platform": platform, "os": "linux", "locale": locale, "version": version,
                   "channel": channel},
        "download": {"url": format!("https://archive.mozilla.org/pub/{product}/candidates/{version}-candidates/build1/{platform}/{locale}/{product}-{version}.tar.bz2"),
                     "mimetype": "application/x-bzip2", "size": 62533287,
                     "date": "2018-10-29T20:11:35.837932+00:00"}
    })
}

#[tokio::test]
async fn import_buildhub_stores_records_once_and_answers_the_true_beta_version() {
    let dir = tempfile::tempdir().unwrap();
    let records = [
        buildhub_record(
            "firefox",
            "20181029185105",
            "64.0b4",
            "beta",
            "linux-x86_64",
            "en-US",
        ),
        buildhub_record(
            "firefox",
            "20181029185111",
            "64.0b4",
            "beta",
            "win64",
            "en-US",
        ),
        buildhub_record(
            "firefox",
            "20181029185122",
            "64.0b4",
            "beta",
            "mac",
            "en-US",
        ),
        buildhub_record(
            "devedition",
            "20181029185133",
            "64.0b4",
            "aurora",
            "linux-x86_64",
            "en-US",
        ),
        buildhub_record(
            "firefox",
            "20181115122917",
            "63.0.3",
            "release",
            "win64",
            "en-US",
        ),
        buildhub_record(
            "firefox",
            "20181115122917",
            "63.0.3",
            "release",
            "win64",
            "de",
        ),
    ];
    let ndjson: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(dir.path().join("builds.ndjson"), ndjson).unwrap();
    let import = |file: &str| {
        treeherd(dir.path())
            .args(["import", "buildhub", file])
            .output()
            .unwrap()
    };
    for _ in 0..2 {
        let output = import("builds.ndjson");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            "imported 6 builds"
        );
    }
    // buildhub2's search answer, with one more build.
    let search = json!({"hits": {"total": 1, "hits": [{"_id": "x", "_source":
        buildhub_record("firefox", "20181029185144", "64.0b4", "beta", "win32", "en-US")}]}});
    std::fs::write(dir.path().join("search.json"), search.to_string()).unwrap();
    let output = import("search.json");
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "imported 1 build"
    );
    // A file with an invalid record stores nothing and says which record and field.
    let mut bad = buildhub_record("firefox", "20181029185155", "64.0b4", "beta", "win64", "fr");
    bad["build"]["id"] = json!("64.0b4");
    let file = json!([
        buildhub_record("firefox", "20181029185155", "64.0b4", "beta", "win64", "it"),
        bad
    ]);
    std::fs::write(dir.path().join("bad.json"), file.to_string()).unwrap();
    let output = import("bad.json");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("record 1: build.id \"64.0b4\" is not a build id"),
        "{stderr}"
    );

    let server = serve(dir.path(), &[]);
    let client = reqwest::Client::new();
    let ask = |query: &str| {
        let request = client.post(server.url()).json(&json!({"query": query}));
        async move {
            let answer: Value = request.send().await.unwrap().json().await.unwrap();
            assert!(answer.get("errors").is_none(), "{answer}");
            answer["data"].clone()
        }
    };
    let release = ask("{ beta: releaseForBuild(product: \"Firefox\", channel: \"beta\", buildId: \"20181029185111\") { version platforms }
        deved: releaseForBuild(product: \"devedition\", channel: \"aurora\", buildId: \"20181029185133\") { version } }").await;
    assert_eq!(
        release,
        json!({"beta": {"version": "64.0b4", "platforms": ["win64"]}, "deved": {"version": "64.0b4"}})
    );
    let builds = ask("{ builds(product: \"firefox\", first: 100) { nodes { buildId platform locale downloadUrl publishedAt } } }").await;
    let nodes = builds["builds"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 6, "{builds}");
    assert_eq!(nodes[0]["buildId"], "20181115122917");
    assert_eq!(nodes[5]["buildId"], "20181029185105");
    assert_eq!(nodes[5]["publishedAt"], "2018-10-29T20:11:35.837932+00:00");
    assert!(nodes.iter().all(|n| n["locale"] != "it"));
}

/// The fixture logs that have a logview artifact: Treeherder's error summary of the same log.
const LOGVIEW_LOGS: [&str; 10] = [
    "asan_too_large",
    "build-fail",
    "crashtest-timeout",
    "mochitest-crash",
    "mochitest-fail",
    "reftest-fail",
    "taskcluster-only",
    "too_many_failures",
    "windows-stuff",
    "xpcshell-crash",
];

/// A fixture log of Treeherder's sample data, or `None` (the test skips) when absent.
fn log_fixture(name: &str) -> Option<std::path::PathBuf> {
    treeherd_testkit::fixture(&format!("treeherder/logs/{name}"))
}

/// What `treeherd log parse LOG --format FORMAT` prints, as JSON.
fn log_parse(log: &Path, format: &str) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let output = treeherd(dir.path())
        .args(["log", "parse"])
        .arg(log)
        .args(["--format", format])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}: {}",
        log.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Compares `treeherd log parse NAME.log.gz` with the `errors` of `NAME.logview.json`;
/// returns the difference, if any.
fn check_logview(name: &str) -> Option<String> {
    let log = log_fixture(&format!("{name}.log.gz"))?;
    let logview: Value = serde_json::from_str(
        &std::fs::read_to_string(log_fixture(&format!("{name}.logview.json"))?).unwrap(),
    )
    .unwrap();
    let ours = log_parse(&log, "treeherder");
    let theirs = json!({ "errors": logview["errors"] });
    (ours != theirs).then(|| format!("{name}:\n ours:   {ours}\n theirs: {theirs}"))
}

#[test]
fn log_parse_prints_treeherders_logview_errors() {
    let failures: Vec<String> = LOGVIEW_LOGS
        .iter()
        .filter_map(|name| check_logview(name))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn log_parse_full_reports_perfherder_data() {
    let Some(log) = log_fixture("linux-awsy.txt.gz") else {
        return;
    };
    let parsed = log_parse(&log, "full");
    let blobs: Vec<(u64, bool, &str)> = parsed["perf_data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["linenumber"].as_u64().unwrap(),
                p["valid"].as_bool().unwrap(),
                p["data"]["framework"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(blobs, [(52, true, "build_metrics"), (1431, true, "awsy")]);
}

#[test]
fn log_parse_of_a_missing_file_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such.log.gz");
    let output = treeherd(dir.path())
        .args(["log", "parse"])
        .arg(&missing)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&missing.display().to_string()), "{stderr}");
}

/// A bug object as Bugzilla's `GET /rest/bug` answers it.
fn bugzilla_bug(id: i64, summary: &str, changed: &str) -> Value {
    json!({"id": id, "status": "NEW", "resolution": "", "summary": summary, "dupe_of": null,
        "cf_crash_signature": "", "keywords": ["intermittent-failure"],
        "last_change_time": changed, "whiteboard": "", "duplicates": []})
}

#[test]
fn import_bugs_reads_answers_and_ndjson_counts_and_refuses_a_bad_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let import = |file: &str, stdin: Option<String>| {
        use std::io::Write;
        let mut child = treeherd(dir.path())
            .args(["import", "bugs", file])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        input
            .write_all(stdin.unwrap_or_default().as_bytes())
            .unwrap();
        drop(input);
        child.wait_with_output().unwrap()
    };
    let answer = json!({"bugs": [
        bugzilla_bug(1, "Intermittent a/test_one.html | boom", "2024-10-29T20:57:46Z"),
        bugzilla_bug(2, "Intermittent b/test_two.html | boom", "2024-10-29T20:57:46Z"),
        bugzilla_bug(3, "Intermittent c/test_three.html | boom", "2024-10-29T20:57:46Z"),
    ]});
    std::fs::write(dir.path().join("bugs.json"), answer.to_string()).unwrap();
    let output = import("bugs.json", None);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "imported 3 bugs: 3 inserted, 0 updated, 0 unchanged"
    );
    // NDJSON on standard input: one bug changed since, two as they were.
    let ndjson = format!(
        "{}\n{}\n{}\n",
        bugzilla_bug(
            1,
            "Intermittent a/test_one.html | boom",
            "2024-10-29T20:57:46Z"
        ),
        bugzilla_bug(
            2,
            "Intermittent b/test_two.html | renamed",
            "2024-11-01T00:00:00Z"
        ),
        bugzilla_bug(
            3,
            "Intermittent c/test_three.html | boom",
            "2024-10-29T20:57:46Z"
        ),
    );
    let output = import("-", Some(ndjson));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "imported 3 bugs: 0 inserted, 1 updated, 2 unchanged"
    );
    // A file with an invalid bug stores none of its bugs and names the record and field.
    let mut bad = bugzilla_bug(5, "x", "2024-10-29T20:57:46Z");
    bad["keywords"] = json!("intermittent-failure");
    let file = json!([
        bugzilla_bug(4, "Intermittent d.html | x", "2024-10-29T20:57:46Z"),
        bad
    ]);
    std::fs::write(dir.path().join("bad.json"), file.to_string()).unwrap();
    let output = import("bad.json", None);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("bad.json") && stderr.contains("record 1: keywords"),
        "{stderr}"
    );
    let output = import("-", Some("{\"bugs\": [".into()));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("standard input"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Bug 4 was not stored by the refused file: importing it now inserts it.
    let output = import(
        "-",
        Some(bugzilla_bug(4, "Intermittent d.html | x", "2024-10-29T20:57:46Z").to_string()),
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "imported 1 bug: 1 inserted, 0 updated, 0 unchanged"
    );
}
