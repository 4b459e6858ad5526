//! The README's examples, run as written, in order, against `treeherd serve --demo`: what a
//! newcomer does in a second terminal at the repository's root.
//!
//! Every fenced `sh` and `graphql` block runs, but those marked with a
//! `<!-- readme-test: skip: REASON -->` line right above them; the skipped ones are counted,
//! so a new skip is a deliberate change to this file. What the test changes, and why:
//! - the server gets a free port, so `localhost:8000` in a block becomes its address;
//! - `TREEHERD_DATABASE_URL` names the server's database for the shell blocks (the README's
//!   reader runs both in one folder, on the default `./treeherd.db`);
//! - `PATH` starts with the folder of the `treeherd` this test was built with.
//!
//! A shell block runs in `bash -e -o pipefail`; the variables it sets reach the blocks after it
//! (as in one terminal). It must exit 0 and print no JSON answer with `errors`, an `error`, a
//! `null` top-level field or a rejected message. A GraphQL block is one operation, sent with
//! the README's `$TOKEN`; its answer must have no `errors`, no `null` top-level field and no
//! empty list anywhere, since an example that answers `null` or `[]` shows nothing. A query
//! is asked again for a while when its answer is still empty (a log is parsed a moment after
//! it is attached); a mutation is sent once.

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod support;

use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How many blocks the README marks as not run (each says why).
const SKIPPED: usize = 5;

/// The secret the GitHub webhook example signs with (the README says to start the server so).
const WEBHOOK_SECRET: &str = "s3cret";

/// A fenced code block of the README.
struct Block {
    /// The info string's first word: `sh`, `graphql`, …
    language: String,
    body: String,
    /// The line of its opening fence (1-based), to name it in a failure.
    line: usize,
    /// Why it is not run, when it is marked so.
    skip: Option<String>,
}

/// The fenced blocks of a Markdown text, with the skip marks right above them.
fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines().enumerate();
    let mut previous = "";
    while let Some((index, line)) = lines.next() {
        if let Some(info) = line.strip_prefix("```") {
            let mut body = String::new();
            for (_, inner) in lines.by_ref() {
                if inner.starts_with("```") {
                    break;
                }
                body.push_str(inner);
                body.push('\n');
            }
            let skip = previous
                .trim()
                .strip_prefix("<!-- readme-test: skip:")
                .and_then(|rest| rest.strip_suffix("-->"))
                .map(|reason| reason.trim().to_owned());
            blocks.push(Block {
                language: info.split_whitespace().next().unwrap_or("").to_owned(),
                body,
                line: index + 1,
                skip,
            });
            previous = "";
        } else {
            previous = line;
        }
    }
    blocks
}

/// What is wrong with a GraphQL answer as an example's result, if anything.
fn graphql_problem(answer: &Value) -> Option<String> {
    if let Some(errors) = answer.get("errors") {
        return Some(format!("errors: {errors}"));
    }
    let Some(data) = answer.get("data").and_then(Value::as_object) else {
        return Some(format!("no data in {answer}"));
    };
    if let Some((field, _)) = data.iter().find(|(_, v)| v.is_null()) {
        return Some(format!("{field} is null"));
    }
    empty_list(&answer["data"], "data").map(|path| format!("{path} is an empty list"))
}

/// The path of the first empty list in `value`, if any.
fn empty_list(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::Array(items) if items.is_empty() => Some(path.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| empty_list(v, &format!("{path}[{i}]"))),
        Value::Object(fields) => fields
            .iter()
            .find_map(|(k, v)| empty_list(v, &format!("{path}.{k}"))),
        _ => None,
    }
}

/// What is wrong with a shell block's output, if anything: each line that is a JSON object
/// (a curl answer) must be a success.
fn shell_problem(stdout: &str) -> Option<String> {
    for line in stdout.lines() {
        let Ok(Value::Object(answer)) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        // GraphQL's errors have a message; a parsed log's `errors` are its error lines.
        let graphql_errors = answer
            .get("errors")
            .and_then(Value::as_array)
            .is_some_and(|errors| errors.iter().any(|e| e.get("message").is_some()));
        if graphql_errors || answer.contains_key("error") {
            return Some(format!("an answer with errors: {line}"));
        }
        if let Some(Value::Object(data)) = answer.get("data")
            && let Some((field, _)) = data.iter().find(|(_, v)| v.is_null())
        {
            return Some(format!("{field} is null in {line}"));
        }
        if answer
            .get("rejected")
            .and_then(Value::as_array)
            .is_some_and(|r| !r.is_empty())
        {
            return Some(format!("rejected messages: {line}"));
        }
    }
    None
}

/// The process groups of the shell blocks (a block may leave a server running in the
/// background, as the README's reader does), ended when the test ends.
#[derive(Default)]
struct Groups(Vec<u32>);

impl Drop for Groups {
    fn drop(&mut self) {
        for group in &self.0 {
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{group}")])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Runs a shell block as the README's reader would, in the repository's root.
fn run_shell(
    block: &Block,
    root: &Path,
    state: &Path,
    env: &[(&str, String)],
    groups: &mut Groups,
) {
    let vars = state.join("vars.sh");
    let script = format!(
        "set -a\n[ -f '{vars}' ] && . '{vars}'\nset -e -o pipefail\ncd '{root}'\n{body}\nexport -p > '{vars}'\nprintf '%s' \"${{TOKEN:-}}\" > '{token}'\n",
        vars = vars.display(),
        root = root.display(),
        body = block.body,
        token = state.join("token").display(),
    );
    let stdout_path = state.join("stdout");
    let stderr_path = state.join("stderr");
    let mut command = Command::new("bash");
    command
        .arg("-c")
        .arg(&script)
        .current_dir(root)
        .stdin(Stdio::null())
        // Files, not pipes: a server the block leaves in the background must not hold them.
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .process_group(0);
    for (name, _) in std::env::vars() {
        if name.starts_with("TREEHERD_") {
            command.env_remove(name);
        }
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    groups.0.push(child.id());
    let status = child.wait().unwrap();
    let stdout = std::fs::read_to_string(&stdout_path).unwrap();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(
        status.success(),
        "README line {}: the block failed ({status}):\n{}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        block.line,
        block.body
    );
    if let Some(problem) = shell_problem(&stdout) {
        panic!(
            "README line {}: {problem}\n{}\nstdout:\n{stdout}",
            block.line, block.body
        );
    }
}

/// Sends a GraphQL block with the README's token and checks its answer.
async fn run_graphql(block: &Block, url: &str, token: &str) {
    let body = block.body.trim_start();
    let mutation = body.starts_with("mutation");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer: Value = client
            .post(url)
            .bearer_auth(token)
            .json(&json!({"query": block.body}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let Some(problem) = graphql_problem(&answer) else {
            return;
        };
        let again = !mutation && answer.get("errors").is_none() && Instant::now() < deadline;
        assert!(
            again,
            "README line {}: {problem}\n{}\nanswer: {answer:#}",
            block.line, block.body
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn every_readme_example_runs_as_written() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = blocks(&readme);

    let skipped: Vec<&Block> = blocks.iter().filter(|b| b.skip.is_some()).collect();
    assert_eq!(
        skipped.len(),
        SKIPPED,
        "the README's blocks marked not run: {:?}",
        skipped.iter().map(|b| b.line).collect::<Vec<_>>()
    );
    assert!(
        skipped
            .iter()
            .all(|b| b.skip.as_ref().is_some_and(|r| r.len() > 10)),
        "each block the test does not run says why"
    );

    let dir = tempfile::tempdir().unwrap();
    let postgres = support::postgres_database("readme");
    let database = match &postgres {
        Some(database) => database.url().to_owned(),
        None => format!("sqlite://{}", dir.path().join("treeherd.db").display()),
    };
    let server = support::serve_with(
        dir.path(),
        &["--demo"],
        &[
            ("TREEHERD_DATABASE_URL", &database),
            ("TREEHERD_GITHUB_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ],
    );
    let address = format!("127.0.0.1:{}", server.port);
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_treeherd"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = [("TREEHERD_DATABASE_URL", database.clone()), ("PATH", path)];
    let state = tempfile::tempdir().unwrap();
    let mut groups = Groups::default();

    let mut ran = 0;
    for block in blocks.iter().filter(|b| b.skip.is_none()) {
        let block = Block {
            body: block
                .body
                .replace("localhost:8000", &address)
                .replace("127.0.0.1:8000", &address),
            language: block.language.clone(),
            line: block.line,
            skip: None,
        };
        match block.language.as_str() {
            "sh" => run_shell(&block, &root, state.path(), &env, &mut groups),
            "graphql" => {
                let token = std::fs::read_to_string(state.path().join("token")).unwrap_or_default();
                assert!(
                    !token.is_empty(),
                    "README line {}: a GraphQL block before the block that gets $TOKEN",
                    block.line
                );
                run_graphql(&block, &server.url(), &token).await;
            }
            other => panic!(
                "README line {}: a ```{other} block the test does not know how to run",
                block.line
            ),
        }
        ran += 1;
    }
    assert!(ran > 20, "only {ran} README blocks ran");
}

#[test]
fn the_checks_catch_what_a_broken_example_shows() {
    assert!(graphql_problem(&json!({"data": {"job": null}})).is_some());
    assert!(graphql_problem(&json!({"data": {"a": {"b": [{"c": []}]}}})).is_some());
    assert!(graphql_problem(&json!({"errors": [{"message": "x"}]})).is_some());
    assert!(graphql_problem(&json!({"data": {"a": {"b": [{"c": [1]}], "d": null}}})).is_none());
    assert!(shell_problem("{\"errors\":[{\"message\":\"x\"}]}\n").is_some());
    assert!(shell_problem("{\"stored\":2,\"rejected\":[{\"index\":1}]}").is_some());
    assert!(shell_problem("{\"data\":{\"createRepository\":null}}").is_some());
    assert!(shell_problem("imported 4 builds\n{\"stored\":2,\"rejected\":[]}").is_none());
    assert!(
        shell_problem("{\"errors\":[{\"linenumber\":11,\"line\":\"TEST-UNEXPECTED-FAIL\"}]}")
            .is_none()
    );

    let marked = "<!-- readme-test: skip: it runs forever -->\n```sh\nserve\n```\n\n```graphql\n{ a }\n```\n";
    let found = blocks(marked);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].skip.as_deref(), Some("it runs forever"));
    assert_eq!(found[1].language, "graphql");
    assert_eq!(found[1].skip, None);
    assert_eq!(found[1].line, 6);
}
