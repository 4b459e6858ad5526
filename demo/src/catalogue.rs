//! The names and shapes the demo dresses generated jobs in: platforms and their machines,
//! test suites and the failures they may print, locales, authors and commit messages, the
//! three repositories and their scheduled jobs. Data only.

use treeherd_model::{TestStatus, Vcs};

/// Microseconds, the unit of every time the store keeps.
pub(crate) const MINUTE: i64 = 60_000_000;
pub(crate) const HOUR: i64 = 60 * MINUTE;

/// A platform: where its build runs and the machines its tests run on.
pub(super) struct Platform {
    pub(super) name: &'static str,
    pub(super) build: &'static str,
    /// Test machines: name prefix and pool size.
    pub(super) testers: (&'static str, u32),
}

pub(super) const PLATFORMS: &[Platform] = &[
    Platform {
        name: "linux64",
        build: "build-linux64/opt",
        testers: ("t-linux", 40),
    },
    Platform {
        name: "windows11-64",
        build: "build-win64/opt",
        testers: ("t-win11-64", 30),
    },
    Platform {
        name: "macosx1470-64",
        build: "build-macosx64/opt",
        testers: ("t-osx-1470", 12),
    },
    Platform {
        name: "linux64-asan",
        build: "build-linux64-asan/opt",
        testers: ("t-linux", 40),
    },
    Platform {
        name: "windows11-32",
        build: "build-win32/opt",
        testers: ("t-win11-64", 30),
    },
    Platform {
        name: "android-em-7.0-x86_64",
        build: "build-android-x86_64/opt",
        testers: ("t-android-em", 16),
    },
];

/// Builds (and repacks, docker images, toolchains) run on these.
pub(super) const BUILDERS: (&str, u32) = ("b-linux", 24);

/// A test suite: group symbol and name, suite, symbol prefix, chunks, and tests it may fail.
pub(super) struct Suite {
    pub(super) group: (&'static str, &'static str),
    pub(super) suite: &'static str,
    pub(super) symbol: &'static str,
    pub(super) chunks: u32,
    pub(super) tests: &'static [&'static str],
}

pub(super) const SUITES: &[Suite] = &[
    Suite {
        group: ("M", "Mochitests"),
        suite: "mochitest-plain",
        symbol: "",
        chunks: 5,
        tests: &[
            "dom/base/test/test_bug1453693.html",
            "dom/media/test/test_playback_rate.html",
            "layout/base/tests/test_scroll_snapping.html",
            "toolkit/components/extensions/test/mochitest/test_ext_storage_content.html",
        ],
    },
    Suite {
        group: ("M", "Mochitests"),
        suite: "mochitest-browser-chrome",
        symbol: "bc",
        chunks: 4,
        tests: &[
            "browser/components/urlbar/tests/browser/browser_autocomplete_enter_race.js",
            "browser/base/content/test/tabs/browser_tab_drag_drop_perwindow.js",
            "browser/components/sessionstore/test/browser_restore_reversed_z_order.js",
        ],
    },
    Suite {
        group: ("M", "Mochitests"),
        suite: "mochitest-devtools-chrome",
        symbol: "dt",
        chunks: 2,
        tests: &[
            "devtools/client/webconsole/test/browser/browser_console_enable_network_monitoring.js",
            "devtools/client/inspector/rules/test/browser_rules_edit-property_09.js",
        ],
    },
    Suite {
        group: ("X", "XPCShell tests"),
        suite: "xpcshell",
        symbol: "X",
        chunks: 3,
        tests: &[
            "netwerk/test/unit/test_http3_trans_close.js",
            "toolkit/components/places/tests/unit/test_history_clear.js",
            "security/manager/ssl/tests/unit/test_ocsp_stapling.js",
        ],
    },
    Suite {
        group: ("R", "Reftests"),
        suite: "reftest",
        symbol: "R",
        chunks: 3,
        tests: &[
            "layout/reftests/bugs/1546856-1.html",
            "layout/reftests/svg/text/clipPath-applied.svg",
        ],
    },
    Suite {
        group: ("R", "Reftests"),
        suite: "crashtest",
        symbol: "C",
        chunks: 1,
        tests: &["dom/base/crashtests/1505811.html"],
    },
    Suite {
        group: ("W", "Web platform tests"),
        suite: "web-platform-tests",
        symbol: "",
        chunks: 4,
        tests: &[
            "/css/css-grid/grid-model/grid-container-ignores-first-letter-002.html",
            "/fetch/api/request/request-keepalive-quota.html",
            "/webrtc/RTCPeerConnection-setRemoteDescription-offer.html",
        ],
    },
    Suite {
        group: ("T", "Talos performance tests"),
        suite: "talos-g1",
        symbol: "g1",
        chunks: 1,
        tests: &["tp5n"],
    },
    Suite {
        group: ("", ""),
        suite: "marionette",
        symbol: "Mn",
        chunks: 1,
        tests: &["testing/marionette/harness/marionette_harness/tests/unit/test_navigation.py"],
    },
];

/// What each test may print when it fails (status, message): the demo's intermittents, the
/// same few per test so that they recur. In a message `%d` is a small number and `%f` a
/// duration in seconds, drawn anew for each failure: numbers vary where a recurrence key masks
/// them (`got 2, expected 4`, a decimal between spaces), so those recurrences still match; a
/// reftest's pixel counts vary where nothing masks them, so each of those is a new line to
/// people and to the autoclassifier alike.
pub(super) const TEST_FAILURES: &[(&str, TestStatus, &str)] = &[
    (
        "dom/base/test/test_bug1453693.html",
        TestStatus::Fail,
        "focus moved to the next element - got %d, expected 4",
    ),
    (
        "dom/base/test/test_bug1453693.html",
        TestStatus::Timeout,
        "Test timed out.",
    ),
    (
        "dom/media/test/test_playback_rate.html",
        TestStatus::Fail,
        "currentTime advances at the playback rate - got %d, expected 5",
    ),
    (
        "dom/media/test/test_playback_rate.html",
        TestStatus::Timeout,
        "Test timed out.",
    ),
    (
        "browser/components/urlbar/tests/browser/browser_autocomplete_enter_race.js",
        TestStatus::Fail,
        "Uncaught exception in test bound test_keyword - TypeError: can't access property \"focus\", this.panel is null",
    ),
    (
        "browser/base/content/test/tabs/browser_tab_drag_drop_perwindow.js",
        TestStatus::Timeout,
        "Test timed out",
    ),
    (
        "browser/base/content/test/tabs/browser_tab_drag_drop_perwindow.js",
        TestStatus::Fail,
        "tabs in the target window - got %d, expected 3",
    ),
    (
        "devtools/client/webconsole/test/browser/browser_console_enable_network_monitoring.js",
        TestStatus::Fail,
        "A promise chain failed to handle a rejection: Connection closed, pending request to server0.conn0.child1/consoleActor2, type evaluateJSAsync failed",
    ),
    (
        "devtools/client/inspector/rules/test/browser_rules_edit-property_09.js",
        TestStatus::Timeout,
        "Test timed out",
    ),
    (
        "netwerk/test/unit/test_http3_trans_close.js",
        TestStatus::Fail,
        "xpcshell return code: 0",
    ),
    (
        "netwerk/test/unit/test_http3_trans_close.js",
        TestStatus::Timeout,
        "Test timed out after %f seconds",
    ),
    (
        "toolkit/components/places/tests/unit/test_history_clear.js",
        TestStatus::Fail,
        "A promise chain failed to handle a rejection: NS_ERROR_NOT_AVAILABLE",
    ),
    (
        "layout/reftests/bugs/1546856-1.html",
        TestStatus::Fail,
        "image comparison, max difference: %d, number of differing pixels: %p",
    ),
    (
        "layout/reftests/svg/text/clipPath-applied.svg",
        TestStatus::Fail,
        "image comparison, max difference: %d, number of differing pixels: %p",
    ),
    (
        "dom/base/crashtests/1505811.html",
        TestStatus::Fail,
        "assertion count 1 is more than expected 0 assertions",
    ),
    (
        "/css/css-grid/grid-model/grid-container-ignores-first-letter-002.html",
        TestStatus::Fail,
        "assert_equals: expected 100 but got 96",
    ),
    (
        "/fetch/api/request/request-keepalive-quota.html",
        TestStatus::Timeout,
        "Test timed out",
    ),
    (
        "tp5n",
        TestStatus::Fail,
        "Found crashes after test run, terminating test",
    ),
    (
        "testing/marionette/harness/marionette_harness/tests/unit/test_navigation.py",
        TestStatus::Fail,
        "TimeoutException: Timed out after %f seconds",
    ),
];

/// What a test no entry of [`TEST_FAILURES`] names prints when it fails.
pub(super) const OTHER_FAILURE: (TestStatus, &str) = (TestStatus::Timeout, "Test timed out.");

/// Compiler errors a broken build may print.
pub(super) const BUILD_ERRORS: &[&str] = &[
    "/builds/worker/checkouts/gecko/dom/base/Document.cpp:4172:12: error: use of undeclared identifier 'mPendingTitleChange'",
    "/builds/worker/checkouts/gecko/gfx/layers/wr/WebRenderBridgeParent.cpp:811:3: error: no matching function for call to 'UpdateResources'",
    "error[E0308]: mismatched types --> servo/components/style/values/computed/font.rs:931:9",
];

pub(super) const LOCALES: &[&str] = &["de", "fr", "ja", "es-ES", "it", "pt-BR", "ru", "pl"];

pub(super) const AUTHORS: &[(&str, &str)] = &[
    ("Emilio Cobos Álvarez", "emilio@crisal.io"),
    ("Jan de Mooij", "jdemooij@mozilla.com"),
    ("Olli Pettay", "smaug@iki.fi"),
    ("Dana Keeler", "dkeeler@mozilla.com"),
    ("Andrew McCreight", "continuation@gmail.com"),
    ("Gijs Kruitbosch", "gijskruitbosch@gmail.com"),
    ("Nika Layzell", "nika@thelayzells.com"),
    ("Jamie Nicol", "jnicol@mozilla.com"),
    ("Marco Bonardo", "mak@mozilla.com"),
    ("Valentin Gosu", "valentin.gosu@gmail.com"),
    ("Alexandre Poirot", "poirot.alex@gmail.com"),
    ("Mike Conley", "mconley@mozilla.com"),
];

pub(super) const REVIEWERS: &[&str] = &[
    "smaug", "jandem", "emilio", "mconley", "Gijs", "nika", "valentin", "jrmuizel", "mak",
];

pub(super) const CHANGES: &[&str] = &[
    "Fix a crash when the document is torn down during a title change",
    "Avoid a main-thread IO in the startup cache",
    "Make the urlbar results panel keyboard-accessible again",
    "Remove the unused pref for the old download panel",
    "Update cubeb to the latest revision",
    "Handle a null docshell in the session store listener",
    "Don't flush layout when the frame is display: none",
    "Add telemetry for the HTTP/3 connection fallback",
    "Use the shared memory allocator for WebRender resource updates",
    "Port the remaining about:preferences tests to the new framework",
    "Speed up the style sharing cache for shadow trees",
    "Stop leaking the network monitor actor after a navigation",
    "Add a test for the tab drag-and-drop regression",
    "Vendor the latest version of the glean crate",
    "Support the keepalive quota for fetch requests",
];

/// One demo repository and the shape of its pushes.
pub(super) struct RepoSpec {
    pub(super) name: &'static str,
    pub(super) vcs: Vcs,
    pub(super) url: &'static str,
    pub(super) branch: Option<&'static str>,
    /// Its part of the pushes, in eighteenths.
    pub(super) share: u32,
    pub(super) platforms: usize,
    pub(super) tests_per_build: u32,
    pub(super) locales: usize,
    /// Scheduled jobs beside each push, and repacks of earlier nightlies.
    pub(super) scheduled: u32,
    pub(super) cross_repacks: u32,
    pub(super) interval: i64,
    /// Commits per push (low, high).
    pub(super) commits: (u32, u32),
    /// The newest push landed this many intervals before now (the generator's newest pushes
    /// are left out): a quiet hour, so the newest push is well under way rather than all
    /// waiting on its first builds.
    pub(super) gap: u32,
    /// Nightly releases every this many pushes (0: none).
    pub(super) release_every: u32,
}

pub(super) const REPOSITORIES: &[RepoSpec] = &[
    RepoSpec {
        name: "mozilla-central",
        vcs: Vcs::Hg,
        url: "https://hg.mozilla.org/mozilla-central",
        branch: None,
        share: 5,
        platforms: 6,
        tests_per_build: 24,
        locales: 8,
        scheduled: 1,
        cross_repacks: 1,
        interval: 30 * MINUTE,
        commits: (3, 16),
        gap: 3,
        release_every: 24,
    },
    RepoSpec {
        name: "autoland",
        vcs: Vcs::Hg,
        url: "https://hg.mozilla.org/integration/autoland",
        branch: None,
        share: 10,
        platforms: 6,
        tests_per_build: 24,
        locales: 0,
        scheduled: 0,
        cross_repacks: 0,
        interval: 8 * MINUTE,
        commits: (1, 4),
        gap: 11,
        release_every: 0,
    },
    RepoSpec {
        name: "gecko-dev",
        vcs: Vcs::Git,
        url: "https://github.com/mozilla/gecko-dev",
        branch: Some("master"),
        share: 3,
        platforms: 3,
        tests_per_build: 12,
        locales: 0,
        scheduled: 0,
        cross_repacks: 0,
        interval: 45 * MINUTE,
        commits: (1, 3),
        gap: 1,
        release_every: 0,
    },
];

/// The scheduled jobs of mozilla-central (name, symbol); `bouncer-check` stopped running, so
/// it is overdue. The others take turns beside its pushes (one each every four pushes, every
/// 3 hours at mozilla-central's pace), so their declared interval leaves an hour to spare:
/// a schedule met exactly on time would read as overdue or not by the second of the fill.
pub(super) const SCHEDULED: &[(&str, &str)] = &[
    ("valgrind", "V"),
    ("periodic-update", "pfu"),
    ("searchfox-index", "Sfox"),
    ("bouncer-check", "bncr"),
];
pub(super) const SCHEDULE_EVERY: i64 = 4 * HOUR;
/// The nightly every release of the demo is a build of.
pub(super) const NIGHTLY: &str = "148.0a1";
