//! What a job link points at, guessed from its text and URL.
//!
//! Pulse messages carry links (`jobInfo.links`) as bare label/text/URL triples; the store and
//! UI want to know which is the raw log, which the error summary, which a screenshot. There is
//! no field for it, so we guess from names Taskcluster and mozharness actually use, and fall
//! back to `Other` rather than guess wildly.

use treeherd_model::ArtifactKind;

/// Guesses the kind from a link's text (e.g. `errorsummary_json`) and its URL.
///
/// Checked most specific first: an error summary is also a `.log`, a parsed log also
/// mentions `log`, so those come before the raw-log test.
pub fn guess_kind(link_text: &str, url: &str) -> ArtifactKind {
    let text = link_text.to_ascii_lowercase();
    // The file name decides, not the host or the query string.
    let url = url.to_ascii_lowercase();
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let file = path.rsplit('/').next().unwrap_or_default();
    let either = |needle: &str| text.contains(needle) || file.contains(needle);
    let ends = |suffixes: &[&str]| suffixes.iter().any(|s| file.ends_with(s));

    if either("errorsummary") || either("error_summary") {
        ArtifactKind::ErrorSummary
    } else if either("logview") || either("parsed") || text.contains("log_view") {
        ArtifactKind::ParsedLog
    } else if either("screenshot") || ends(&[".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp"]) {
        ArtifactKind::Screenshot
    } else if either("recording")
        || either("video")
        || ends(&[".mp4", ".webm", ".mkv", ".avi", ".mov"])
    {
        ArtifactKind::Recording
    } else if ends(&[".log", ".log.gz", ".txt", ".txt.gz"])
        || text.contains("log")
        || file.contains("live_backing")
    {
        ArtifactKind::RawLog
    } else if ends(&[
        ".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar.zst", ".zst", ".gz",
        ".bz2", ".xz", ".dmg", ".apk", ".aab", ".exe", ".msi", ".msix", ".dll", ".so", ".bin",
        ".jar", ".xpi", ".mar", ".pkg", ".deb", ".rpm", ".snap", ".wasm",
    ]) {
        ArtifactKind::Binary
    } else {
        ArtifactKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::guess_kind;
    use treeherd_model::ArtifactKind::{self, *};

    fn check(text: &str, url: &str, expected: ArtifactKind) {
        assert_eq!(guess_kind(text, url), expected, "{text} {url}");
    }

    #[test]
    fn guesses_from_text_and_file_name() {
        let base =
            "https://firefox-ci-tc.services.mozilla.com/api/queue/v1/task/X/runs/0/artifacts";
        check(
            "errorsummary_json",
            &format!("{base}/public/test_info/jsreftest_errorsummary.log"),
            ErrorSummary,
        );
        check(
            "live_backing_log",
            &format!("{base}/public/logs/live_backing.log"),
            RawLog,
        );
        check(
            "live.log",
            &format!("{base}/public/logs/live.log?x=1"),
            RawLog,
        );
        check("logview", "https://x/parsed.json", ParsedLog);
        check(
            "screenshot",
            &format!("{base}/public/shot-1.png"),
            Screenshot,
        );
        check("video", &format!("{base}/public/test/run.mp4"), Recording);
        check(
            "target.tar.gz",
            &format!("{base}/public/build/target.tar.gz"),
            Binary,
        );
        check(
            "profile",
            &format!("{base}/public/build/profile.json"),
            Other,
        );
        // A host named like a log does not make a log.
        check("report", "https://logs.example.com/report.html", Other);
    }
}
