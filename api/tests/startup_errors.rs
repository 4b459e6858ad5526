//! What `treeherd` says when it cannot start: a database it cannot open (a directory, a
//! missing folder, a folder it may not write, PostgreSQL not listening), a port that is taken,
//! and every documented variable set to a bad value. Each must end quickly with one line
//! naming the path, URL, flag or variable and the cause; never a panic, a flood of retries,
//! or a backtrace (every run here sets `RUST_BACKTRACE=1`).

#![allow(clippy::unwrap_used)] // Test code: a panic is the failure report.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::treeherd;

/// How a run of the binary ended.
struct Ended {
    code: Option<i32>,
    stderr: String,
    took: Duration,
}

/// Runs `treeherd args` in `dir` with `env` (and `RUST_BACKTRACE=1`), killing it after 20 s.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Ended {
    let mut command = treeherd(dir);
    command
        .args(args)
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let started = Instant::now();
    let mut child = command.spawn().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("treeherd {args:?} with {env:?} was still running after 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = started.elapsed();
    Ended {
        code: status.code(),
        stderr: reader.join().unwrap(),
        took,
    }
}

/// `serve` on a free port with `database`.
fn serve_on(dir: &Path, database: &str) -> Ended {
    run(
        dir,
        &["serve", "--bind", "127.0.0.1:0", "--database", database],
        &[],
    )
}

/// The run failed with exit code `code`, within 3 s, and said `expected` in its one
/// `error:` line, once, with nothing else but clap's hints.
fn assert_one_error(ended: &Ended, code: i32, expected: &str) {
    let report = format!("stderr:\n{}", ended.stderr);
    assert_eq!(ended.code, Some(code), "exit code; {report}");
    assert!(
        ended.took < Duration::from_secs(3),
        "took {:?}; {report}",
        ended.took
    );
    assert!(!ended.stderr.contains("panicked"), "a panic; {report}");
    assert!(
        !ended.stderr.contains("acktrace") && !ended.stderr.contains("  0: "),
        "a backtrace; {report}"
    );
    let lines: Vec<&str> = ended
        .stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        // clap's hints below its error line.
        .filter(|line| !line.starts_with("For more information, try '--help'"))
        .filter(|line| !line.starts_with("  [possible values: "))
        .collect();
    assert_eq!(lines.len(), 1, "one line; {report}");
    assert!(lines[0].starts_with("error: "), "{report}");
    assert!(
        lines[0].contains(expected),
        "expected {expected:?}; {report}"
    );
}

#[test]
fn a_directory_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("treeherd.db");
    std::fs::create_dir(&path).unwrap();
    let ended = serve_on(dir.path(), &format!("sqlite://{}", path.display()));
    assert_one_error(
        &ended,
        1,
        &format!(
            "cannot open the SQLite database {}: it is a directory",
            path.display()
        ),
    );
}

#[test]
fn a_database_in_a_missing_folder_names_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing/deeper/treeherd.db");
    let ended = serve_on(dir.path(), &format!("sqlite://{}", path.display()));
    assert_one_error(
        &ended,
        1,
        &format!(
            "cannot open the SQLite database {}: the folder {} does not exist",
            path.display(),
            dir.path().join("missing").display()
        ),
    );
    assert!(!dir.path().join("missing").exists(), "no folder is made");
}

#[test]
fn a_database_under_a_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "not a folder").unwrap();
    let path = file.join("treeherd.db");
    let ended = serve_on(dir.path(), &format!("sqlite://{}", path.display()));
    assert_one_error(
        &ended,
        1,
        &format!(
            "cannot open the SQLite database {}: {} is not a folder",
            path.display(),
            file.display()
        ),
    );
}

#[test]
fn a_database_in_a_folder_it_may_not_write_says_permission_denied() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root writes through permission bits; sysfs refuses new files even to root.
    let folder = if std::fs::write(locked.join("probe"), "").is_err() {
        locked.clone()
    } else if std::fs::write("/sys/treeherd-probe", "")
        .is_err_and(|e| e.kind() == std::io::ErrorKind::PermissionDenied)
    {
        Path::new("/sys").to_path_buf()
    } else {
        eprintln!(
            "SKIPPED a_database_in_a_folder_it_may_not_write_says_permission_denied: running \
             as root without /sys, no folder here refuses a write"
        );
        return;
    };
    let path = folder.join("treeherd.db");
    let ended = serve_on(dir.path(), &format!("sqlite://{}", path.display()));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_one_error(
        &ended,
        1,
        &format!(
            "cannot open the SQLite database {}: permission denied",
            path.display()
        ),
    );
}

/// A local port nothing listens on (bound, then let go).
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn an_unreachable_postgres_is_named_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let port = closed_port();
    let ended = serve_on(
        dir.path(),
        &format!("postgres://treeherd:s3cret@127.0.0.1:{port}/treeherd"),
    );
    assert_one_error(
        &ended,
        1,
        &format!(
            "cannot connect to PostgreSQL at postgres://treeherd@127.0.0.1:{port}/treeherd: \
             connection refused"
        ),
    );
    assert!(!ended.stderr.contains("s3cret"), "{}", ended.stderr);
}

#[test]
fn every_command_that_opens_a_database_says_why_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("no/such.db").display());
    for args in [
        vec!["migrate"],
        vec!["demo"],
        vec!["token", "issue", "--subject", "me", "--scope", "admin"],
    ] {
        let mut args = args.clone();
        args.extend(["--database", &database]);
        let ended = run(dir.path(), &args, &[]);
        assert_one_error(
            &ended,
            1,
            &format!(
                "the folder {} does not exist",
                dir.path().join("no").display()
            ),
        );
    }
}

#[test]
fn a_taken_port_stops_serve_before_it_makes_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = taken.local_addr().unwrap().to_string();
    let database = dir.path().join("new.db");
    let ended = run(
        dir.path(),
        &[
            "serve",
            "--bind",
            &bind,
            "--database",
            &format!("sqlite://{}", database.display()),
        ],
        &[],
    );
    assert_one_error(
        &ended,
        1,
        &format!("cannot listen on {bind}: address in use"),
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "no database file is left: {left:?}");
}

/// Every variable of the README's configuration table, each with a value it must refuse.
const BAD_VARIABLES: &[(&str, &str)] = &[
    ("TREEHERD_DATABASE_URL", "mysql://localhost/treeherd"),
    ("TREEHERD_DATABASE_URL", "sqlite://"),
    ("TREEHERD_BIND", "localhost"),
    ("TREEHERD_BIND", "127.0.0.1:99999"),
    ("TREEHERD_JWT_SECRET", ""),
    ("TREEHERD_JWKS_FILE", "/no/such/jwks.json"),
    ("TREEHERD_JWT_ISSUER", ""),
    ("TREEHERD_TRUSTED_NETWORKS", "10.0.0.0/33"),
    ("TREEHERD_TRUSTED_PROXIES", "proxy.internal"),
    ("TREEHERD_GITHUB_WEBHOOK_SECRET", ""),
    ("TREEHERD_PUSHLOG_INTERVAL", "0s"),
    ("TREEHERD_PUSHLOG_INTERVAL", "soon"),
    ("TREEHERD_BUGZILLA_URL", "bugzilla.mozilla.org"),
    ("TREEHERD_BUGZILLA_URL", "ftp://bugzilla.mozilla.org"),
    ("TREEHERD_BUGZILLA_INTERVAL", "0s"),
    ("TREEHERD_BUGZILLA_INTERVAL", "hourly"),
    ("TREEHERD_LOG_PARSE_CONCURRENCY", "-1"),
    ("TREEHERD_LOG_PARSE_CONCURRENCY", "100000000000"),
    ("TREEHERD_LOG_MAX_BYTES", "0"),
    ("TREEHERD_DEMO", "maybe"),
    ("TREEHERD_AUTOCLASSIFY_WINDOW", "0s"),
    ("TREEHERD_AUTOCLASSIFY_WINDOW", "sometimes"),
    ("TREEHERD_POOL_SIZE", "0"),
    ("TREEHERD_POOL_SIZE", "4294967296"),
    ("TREEHERD_WORKERS", "0"),
    ("TREEHERD_WORKERS", "many"),
    ("TREEHERD_MAX_BODY_BYTES", "0"),
    ("TREEHERD_MAX_RESPONSE_BYTES", "0"),
    ("TREEHERD_MAX_RESPONSE_BYTES", "lots"),
    ("TREEHERD_LOG", "treeherd=loud"),
    ("TREEHERD_LOG_FORMAT", "xml"),
    ("TREEHERD_REQUEST_DEADLINE", "0s"),
    ("TREEHERD_REQUEST_DEADLINE", "forever"),
    ("TREEHERD_DRAIN_DELAY", "11m"),
    ("TREEHERD_DRAIN_DELAY", "a while"),
    ("TREEHERD_SHUTDOWN_TIMEOUT", "0s"),
    ("TREEHERD_SHUTDOWN_TIMEOUT", "2h"),
    ("TREEHERD_RETENTION_DAYS", "0"),
    ("TREEHERD_RETENTION_DAYS", "-3"),
    ("TREEHERD_RETENTION_DAYS", "120d"),
    ("TREEHERD_PERF_RETENTION_DAYS", "0"),
    ("TREEHERD_PERF_RETENTION_DAYS", "a year"),
    ("TREEHERD_GRAPH_BUDGET_MB", "0"),
    ("TREEHERD_GRAPH_BUDGET_MB", "-512"),
    ("TREEHERD_GRAPH_BUDGET_MB", "8"),
    ("TREEHERD_GRAPH_BUDGET_MB", "1G"),
];

#[test]
fn serve_refuses_a_bad_value_of_every_variable_by_name() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (variable, value) in BAD_VARIABLES {
        let ended = run(dir.path(), &["serve"], &[(variable, value)]);
        assert_one_error(&ended, 2, variable);
    }
    // The table covers the README's: a variable documented there has a bad value here
    // (TREEHERD_AMQP_URL belongs to `consume`: see below).
    for documented in readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `TREEHERD_"))
        .filter_map(|rest| rest.split('`').next())
        .map(|name| format!("TREEHERD_{name}"))
    {
        assert!(
            documented == "TREEHERD_AMQP_URL"
                || BAD_VARIABLES.iter().any(|(name, _)| *name == documented),
            "{documented} is documented but never set to a bad value here"
        );
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "a refused configuration makes no database"
    );
}

#[test]
fn consume_refuses_a_bad_broker_url_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let ended = run(
        dir.path(),
        &[
            "consume",
            "--exchange",
            "exchange/taskcluster",
            "--queue",
            "q",
        ],
        &[("TREEHERD_AMQP_URL", "rabbit at the office")],
    );
    assert_one_error(&ended, 2, "TREEHERD_AMQP_URL");
}

#[test]
fn a_bad_flag_is_named_as_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let ended = run(dir.path(), &["serve", "--workers", "0"], &[]);
    assert_one_error(&ended, 2, "'--workers <WORKERS>'");
    assert!(
        !ended.stderr.contains("TREEHERD_WORKERS"),
        "{}",
        ended.stderr
    );
}

/// `serve` with `env` up to the line that says where it serves: the lines it logged.
fn start_up_lines(dir: &Path, env: &[(&str, &str)]) -> Vec<String> {
    let mut command = treeherd(dir);
    command
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let mut said = Vec::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let serving = line.contains("serving on http://");
        said.push(line);
        if serving {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        said.last().is_some_and(|line| line.contains("serving on")),
        "with {env:?}, serve did not start: {said:#?}"
    );
    said
}

#[test]
fn treeherd_demo_takes_any_boolean() {
    for off in ["0", "false", "no", "off"] {
        let dir = tempfile::tempdir().unwrap();
        let said = start_up_lines(dir.path(), &[("TREEHERD_DEMO", off)]);
        assert!(
            !said.iter().any(|line| line.contains("demo data in")),
            "TREEHERD_DEMO={off} filled demo data: {said:#?}"
        );
    }
    for on in ["1", "yes"] {
        let dir = tempfile::tempdir().unwrap();
        let said = start_up_lines(dir.path(), &[("TREEHERD_DEMO", on)]);
        assert!(
            said.iter().any(|line| line.contains("demo data in")),
            "TREEHERD_DEMO={on} filled no demo data: {said:#?}"
        );
    }
}
