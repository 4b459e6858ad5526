//! Test support shared by every crate's tests: finding the real-world fixtures, saying
//! out loud when a test cannot run, and the GraphQL test data both test suites send
//! ([`documents`]).
//!
//! Fixtures live outside the repository (`../shared/fixtures` beside the checkout, or wherever
//! `TREEHERD_FIXTURES` points) and are never committed. A test that needs one calls
//! [`fixture`]: when the file is missing it gets `None` and should return early (a user's
//! clone has no fixtures), unless `TREEHERD_REQUIRE_FIXTURES=1` (CI), where a missing fixture
//! fails the test instead of skipping it.
//!
//! libtest has no "skipped" outcome decided at run time, and it captures what a passing test
//! prints with `eprintln!`, so a test that returned early used to look passed. [`skip`] writes
//! its line straight to the process's standard error, which libtest does not capture:
//! `cargo test` shows `SKIPPED <test>: <reason>` among its results, for every test that did
//! not run, with or without `--nocapture`.

pub mod documents;

use std::fmt::Display;
use std::io::Write;
use std::path::PathBuf;

/// The fixtures folder: `TREEHERD_FIXTURES`, else `../shared/fixtures` beside the checkout.
pub fn fixtures_dir() -> PathBuf {
    match std::env::var_os("TREEHERD_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures"),
    }
}

/// The path of a fixture relative to the fixtures folder, or `None` (the test is reported
/// [skipped](skip)) when it is absent and fixtures are not required.
///
/// # Panics
/// When the fixture is absent and `TREEHERD_REQUIRE_FIXTURES=1`: in CI a missing fixture is a
/// failure, not a skip.
pub fn fixture(relative: &str) -> Option<PathBuf> {
    let path = fixtures_dir().join(relative);
    if path.exists() {
        return Some(path);
    }
    skip(
        "TREEHERD_REQUIRE_FIXTURES",
        format_args!(
            "fixture {} is absent (place Treeherder's fixtures at ../shared/fixtures or set TREEHERD_FIXTURES)",
            path.display()
        ),
    );
    None
}

/// Reports that the calling test does not run, for `reason`, where a person sees it: one line
/// `SKIPPED <test>: <reason>` on the process's standard error, past libtest's capture. The
/// caller then returns early.
///
/// # Panics
/// When the environment variable `required` is `1`: whoever set it (CI) wants the test to
/// run, so a skip is a failure there.
pub fn skip(required: &str, reason: impl Display) {
    assert!(
        !std::env::var(required).is_ok_and(|v| v == "1"),
        "{reason}, and {required}=1 requires this test to run"
    );
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    // Not eprintln!: libtest captures the print macros of a test that passes.
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test}: {reason}");
}
