//! The demo's local Bugzilla bugs: the intermittent-failure bugs sheriffs would have filed for
//! the demo's failing tests, with the summaries Mozilla's bots and sheriffs write
//! (`Intermittent <test> | single tracking bug`, `Intermittent <test> | <message>`), so that the
//! search terms of the demo's failure lines find them the way Treeherder's would. Most are
//! open; some older ones are RESOLVED (FIXED, WORKSFORME), one is a DUPLICATE of its test's
//! tracking bug. Data only: `sheriffing.rs` imports them and classifies with them.

use treeherd_model::{BugId, NewBug};

use super::catalogue::HOUR;

/// A demo bug: id, status, resolution, the bug it duplicates, summary, whiteboard, days since
/// its last change.
type DemoBug = (
    i64,
    &'static str,
    Option<&'static str>,
    Option<i64>,
    &'static str,
    &'static str,
    i64,
);

/// The bugs, their ids realistic and away from those `examples/bugs.json` and the UI's tests
/// import (199xxxx).
const BUGS: &[DemoBug] = &[
    // One open tracking bug per test, the way Mozilla's intermittent bugs are filed now.
    (
        1931204,
        "NEW",
        None,
        None,
        "Intermittent dom/base/test/test_bug1453693.html | single tracking bug",
        "[stockwell needswork:owner]",
        1,
    ),
    (
        1928871,
        "NEW",
        None,
        None,
        "Intermittent dom/media/test/test_playback_rate.html | single tracking bug",
        "",
        2,
    ),
    (
        1924410,
        "ASSIGNED",
        None,
        None,
        "Intermittent browser/components/urlbar/tests/browser/browser_autocomplete_enter_race.js | single tracking bug",
        "[stockwell disable-recommended]",
        1,
    ),
    (
        1933095,
        "NEW",
        None,
        None,
        "Intermittent browser/base/content/test/tabs/browser_tab_drag_drop_perwindow.js | single tracking bug",
        "",
        3,
    ),
    (
        1917362,
        "NEW",
        None,
        None,
        "Intermittent devtools/client/webconsole/test/browser/browser_console_enable_network_monitoring.js | single tracking bug",
        "",
        1,
    ),
    (
        1935518,
        "NEW",
        None,
        None,
        "Intermittent devtools/client/inspector/rules/test/browser_rules_edit-property_09.js | single tracking bug",
        "",
        4,
    ),
    (
        1921776,
        "NEW",
        None,
        None,
        "Intermittent netwerk/test/unit/test_http3_trans_close.js | single tracking bug",
        "[necko-triaged]",
        2,
    ),
    (
        1929943,
        "NEW",
        None,
        None,
        "Intermittent toolkit/components/places/tests/unit/test_history_clear.js | single tracking bug",
        "",
        5,
    ),
    (
        1926617,
        "NEW",
        None,
        None,
        "Intermittent layout/reftests/bugs/1546856-1.html == layout/reftests/bugs/1546856-1-ref.html | single tracking bug",
        "",
        2,
    ),
    (
        1919030,
        "NEW",
        None,
        None,
        "Intermittent layout/reftests/svg/text/clipPath-applied.svg | single tracking bug",
        "",
        6,
    ),
    (
        1936202,
        "ASSIGNED",
        None,
        None,
        "Intermittent dom/base/crashtests/1505811.html | assertion count 1 is more than expected 0 assertions",
        "[stockwell fixed:other]",
        1,
    ),
    (
        1922589,
        "NEW",
        None,
        None,
        "Intermittent /css/css-grid/grid-model/grid-container-ignores-first-letter-002.html | single tracking bug",
        "",
        3,
    ),
    (
        1930417,
        "NEW",
        None,
        None,
        "Intermittent /fetch/api/request/request-keepalive-quota.html | single tracking bug",
        "",
        2,
    ),
    (
        1914853,
        "NEW",
        None,
        None,
        "Intermittent tp5n | Found crashes after test run, terminating test",
        "",
        8,
    ),
    (
        1934760,
        "NEW",
        None,
        None,
        "Intermittent testing/marionette/harness/marionette_harness/tests/unit/test_navigation.py | single tracking bug",
        "",
        1,
    ),
    (
        1927150,
        "NEW",
        None,
        None,
        "Intermittent layout/base/tests/test_scroll_snapping.html | single tracking bug",
        "",
        9,
    ),
    (
        1932288,
        "NEW",
        None,
        None,
        "Intermittent toolkit/components/extensions/test/mochitest/test_ext_storage_content.html | single tracking bug",
        "",
        4,
    ),
    (
        1925903,
        "NEW",
        None,
        None,
        "Intermittent browser/components/sessionstore/test/browser_restore_reversed_z_order.js | single tracking bug",
        "",
        11,
    ),
    (
        1918641,
        "NEW",
        None,
        None,
        "Intermittent security/manager/ssl/tests/unit/test_ocsp_stapling.js | single tracking bug",
        "",
        7,
    ),
    (
        1933870,
        "NEW",
        None,
        None,
        "Intermittent /webrtc/RTCPeerConnection-setRemoteDescription-offer.html | single tracking bug",
        "",
        3,
    ),
    (
        1902716,
        "NEW",
        None,
        None,
        "Intermittent [taskcluster:error] Task aborted - max run time exceeded",
        "[ci-and-tooling]",
        1,
    ),
    // Older bugs of one message each, most of them closed since: suggested among the others.
    (
        1873402,
        "RESOLVED",
        Some("FIXED"),
        None,
        "Intermittent dom/media/test/test_playback_rate.html | Test timed out.",
        "",
        24,
    ),
    (
        1877209,
        "RESOLVED",
        Some("FIXED"),
        None,
        "Perma dom/base/test/test_bug1453693.html | focus moved to the next element - got 3, expected 4",
        "",
        19,
    ),
    (
        1868115,
        "RESOLVED",
        Some("WORKSFORME"),
        None,
        "Intermittent browser/base/content/test/tabs/browser_tab_drag_drop_perwindow.js | Test timed out",
        "",
        28,
    ),
    (
        1890447,
        "RESOLVED",
        Some("DUPLICATE"),
        Some(1924410),
        "Intermittent browser/components/urlbar/tests/browser/browser_autocomplete_enter_race.js | Uncaught exception in test bound test_keyword - TypeError: can't access property \"focus\", this.panel is null",
        "",
        12,
    ),
    (
        1881930,
        "RESOLVED",
        Some("FIXED"),
        None,
        "Intermittent netwerk/test/unit/test_http3_trans_close.js | xpcshell return code: 0",
        "[necko-triaged]",
        21,
    ),
    (
        1899321,
        "RESOLVED",
        Some("FIXED"),
        None,
        "Intermittent toolkit/components/places/tests/unit/test_history_clear.js | A promise chain failed to handle a rejection: NS_ERROR_NOT_AVAILABLE",
        "",
        16,
    ),
    (
        1911468,
        "RESOLVED",
        Some("FIXED"),
        None,
        "Intermittent devtools/client/webconsole/test/browser/browser_console_enable_network_monitoring.js | A promise chain failed to handle a rejection: Connection closed, pending request to server0.conn0.child1/consoleActor2, type evaluateJSAsync failed",
        "",
        9,
    ),
    (
        1908835,
        "RESOLVED",
        Some("FIXED"),
        None,
        "Intermittent /css/css-grid/grid-model/grid-container-ignores-first-letter-002.html | assert_equals: expected 100 but got 96",
        "",
        30,
    ),
    (
        1904470,
        "RESOLVED",
        Some("WONTFIX"),
        None,
        "Intermittent tp5n | application timed out after 370 seconds with no output",
        "",
        26,
    ),
];

/// The demo's bugs as Bugzilla would answer them, last changed relative to `now`.
pub(super) fn demo_bugs(now: i64) -> Vec<NewBug> {
    BUGS.iter()
        .map(
            |&(id, status, resolution, dupe_of, summary, whiteboard, days)| NewBug {
                id: BugId(id),
                status: status.to_owned(),
                resolution: resolution.map(str::to_owned),
                summary: summary.to_owned(),
                dupe_of: dupe_of.map(BugId),
                crash_signature: None,
                keywords: vec!["intermittent-failure".to_owned()],
                whiteboard: Some(whiteboard.to_owned()).filter(|w| !w.is_empty()),
                // A few hours into the day, so that bugs of one age do not share an instant.
                last_change: now - days * 24 * HOUR - (id % 7) * HOUR,
            },
        )
        .collect()
}

/// The open tracking bug of a test, the one a sheriff classifies its intermittents with.
pub(super) fn tracking_bug(test: &str) -> Option<i64> {
    BUGS.iter()
        .find(|(_, _, resolution, _, summary, _, _)| {
            resolution.is_none()
                && summary
                    .strip_prefix("Intermittent ")
                    .is_some_and(|rest| rest.starts_with(&format!("{test} ")))
        })
        .map(|(id, ..)| *id)
}

/// The open bug of the task-level failure every Taskcluster worker may print.
pub(super) const MAX_RUN_TIME_BUG: i64 = 1902716;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::{SUITES, TEST_FAILURES};

    #[test]
    fn every_demo_bug_is_valid_and_every_failing_test_has_an_open_tracking_bug() {
        let mut bugs = demo_bugs(1_800_000_000_000_000);
        for bug in &mut bugs {
            bug.check().unwrap_or_else(|e| panic!("{}: {e}", bug.id));
        }
        let mut ids: Vec<i64> = bugs.iter().map(|b| b.id.0).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), bugs.len(), "bug ids are unique");
        assert!(ids.iter().all(|id| !(1_990_000..2_000_000).contains(id)));
        for (test, _, _) in TEST_FAILURES {
            assert!(tracking_bug(test).is_some(), "{test}");
        }
        assert!(
            SUITES
                .iter()
                .all(|s| s.tests.iter().all(|t| tracking_bug(t).is_some()))
        );
        assert_eq!(
            bugs.iter()
                .filter(|b| b.resolution.as_deref() == Some("DUPLICATE"))
                .count(),
            1
        );
    }
}
