//! Test support shared by every crate's tests: finding the real-world fixtures.
//!
//! Fixtures live outside the repository (`../shared/fixtures` beside the checkout, or wherever
//! `TREEHERD_FIXTURES` points) and are never committed. A test that needs one calls
//! [`fixture`]: when the file is missing it gets `None` and should return early (a user's
//! clone has no fixtures), unless `TREEHERD_REQUIRE_FIXTURES=1` (CI), where a missing fixture
//! fails the test instead of skipping it silently.

use std::path::PathBuf;

/// The fixtures folder: `TREEHERD_FIXTURES`, else `../shared/fixtures` beside the checkout.
pub fn fixtures_dir() -> PathBuf {
    match std::env::var_os("TREEHERD_FIXTURES") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures"),
    }
}

/// The path of a fixture relative to the fixtures folder, or `None` (with a note on stderr)
/// when it is absent and fixtures are not required.
///
/// # Panics
/// When the fixture is absent and `TREEHERD_REQUIRE_FIXTURES=1`: in CI a missing fixture is a
/// failure, not a skip.
pub fn fixture(relative: &str) -> Option<PathBuf> {
    let path = fixtures_dir().join(relative);
    if path.exists() {
        return Some(path);
    }
    let required = std::env::var("TREEHERD_REQUIRE_FIXTURES").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "fixture {} is missing and TREEHERD_REQUIRE_FIXTURES=1",
        path.display()
    );
    eprintln!("skipping: fixture {} is absent", path.display());
    None
}
