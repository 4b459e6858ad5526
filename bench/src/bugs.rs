//! Bug suggestions at scale: 1,000,000 generated bugs with Treeherder-like summaries
//! (`Intermittent dir/test_x.js | message`, some resolved, some crashes), imported through the
//! store in transactions of 10,000; then the suggestions for failed jobs of 40 error lines
//! each, through the whole path the job detail takes (`Service::lines_suggestions`, which the
//! schema's loader calls with a job's lines: Treeherder's terms, the text-index search of each
//! distinct term, the crash signature when they find nothing), p50/p99 per job. The reference is the same search done by a plain
//! `LIKE '%term%'` scan of the bugs table (`ILIKE` on PostgreSQL, where the trigram index is
//! on `lower(summary)` and so not used), for the very terms treeherd searched, chosen by the
//! same rule; its answers are checked equal to treeherd's.
//!
//! Goal (issue 17): p50 under 20 ms for the 40 lines, at least 50 times faster than the scan.

use std::time::Instant;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use treeherd_model::bug_search::{self, Candidate};
use treeherd_model::{BugId, NewBug};
use treeherd_service::{Changes, Service};
use treeherd_tests::TestApp;

use crate::pushlog::thousands;
use crate::report::row;

/// What the section measures, from the command line.
pub struct Sizes {
    /// Bugs generated and imported.
    pub bugs: usize,
    /// Failed jobs whose 40 lines are looked up through treeherd.
    pub jobs: usize,
    /// Failed jobs looked up by the scan (each takes seconds).
    pub scan_jobs: usize,
}

/// Error lines per failed job.
const LINES: usize = 40;
/// Bugs per import transaction (the service's most per call).
const CHUNK: usize = treeherd_service::bugs::MAX_BUGS;
/// Each test has this many bugs (the generator's tests are `bugs / BUGS_PER_TEST`).
const BUGS_PER_TEST: usize = 4;

const DIRS: [&str; 16] = [
    "browser/base/content/test/general",
    "browser/components/sessionstore/test",
    "dom/indexedDB/test/unit",
    "dom/media/test",
    "dom/events/test/pointerevents",
    "toolkit/components/places/tests/unit",
    "toolkit/components/extensions/test/xpcshell",
    "layout/reftests/svg/smil",
    "devtools/client/inspector/test",
    "devtools/client/netmonitor/test",
    "netwerk/test/unit",
    "js/src/jit-test/tests/basic",
    "testing/web-platform/tests/css/css-grid",
    "testing/marionette/harness/marionette_harness/tests/unit",
    "widget/tests",
    "security/manager/ssl/tests/unit",
];
const PREFIXES: [&str; 4] = ["test_", "browser_", "file_", "test_bug"];
const WORDS: [&str; 16] = [
    "tabs", "sync", "quota", "history", "focus", "resize", "scroll", "popup", "frame", "cache",
    "media", "grid", "layout", "timer", "drag", "storage",
];
const EXTENSIONS: [&str; 4] = ["js", "html", "xhtml", "py"];
const MESSAGES: [&str; 12] = [
    "Test timed out",
    "application terminated with exit code 1",
    "Uncaught exception - at chrome://mochitests/content/browser/head.js:42 - TypeError: win is null",
    "Got 0, expected 1",
    "Assertion count 2 is greater than expected range 0-1 assertions.",
    "leaked 2 window(s) until shutdown",
    "single tracking bug",
    "Timed out waiting for the popup to open",
    "Found a tab after previous test timed out",
    "image comparison, max difference: 255, number of differing pixels: 1200",
    "xpcshell return code: 1",
    "A promise chain failed to handle a rejection: NetworkError when attempting to fetch resource.",
];
const RESOLUTIONS: [&str; 4] = ["FIXED", "WORKSFORME", "INCOMPLETE", "DUPLICATE"];

/// A fixed mix of the bits of `n`, so the data is the same every run.
fn mix(n: usize) -> usize {
    let mut x = n as u64 ^ 0x9e37_79b9_7f4a_7c15;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (x ^ (x >> 31)) as usize
}

/// The path of test `t`.
fn test_path(t: usize) -> String {
    let h = mix(t);
    format!(
        "{}/{}{}_{}{}.{}",
        DIRS[h % 16],
        PREFIXES[(h >> 4) % 4],
        WORDS[(h >> 6) % 16],
        WORDS[(h >> 10) % 16],
        t,
        EXTENSIONS[(h >> 14) % 4]
    )
}

/// The crash signature of crashing test `t`.
fn signature(t: usize) -> String {
    format!(
        "mozilla::dom::{}Child::Recv{}{t}",
        WORDS[t % 16],
        WORDS[(t / 16) % 16]
    )
}

/// Whether test `t`'s bugs are crashes.
fn crashes(t: usize) -> bool {
    t.is_multiple_of(25)
}

/// Bug `i` (ids from 1,000,000, as Bugzilla's are).
fn bug(i: usize, tests: usize) -> NewBug {
    let t = i % tests;
    let message = if crashes(t) {
        format!("application crashed [@ {}]", signature(t))
    } else {
        MESSAGES[mix(i) % MESSAGES.len()].to_owned()
    };
    let kind = [
        "Intermittent",
        "Intermittent",
        "Perma",
        "[tier 2] Intermittent",
    ][mix(i + 7) % 4];
    let resolved = mix(i + 3) % 10 < 3;
    let resolution = resolved.then(|| RESOLUTIONS[mix(i + 5) % 4].to_owned());
    let id = 1_000_000 + i as i64;
    NewBug {
        id: BugId(id),
        status: if resolved { "RESOLVED" } else { "NEW" }.into(),
        dupe_of: (resolution.as_deref() == Some("DUPLICATE")).then(|| BugId(id - 1)),
        resolution,
        summary: format!("{kind} {} | {message}", test_path(t)),
        crash_signature: crashes(t).then(|| format!("[@ {}]", signature(t))),
        keywords: vec!["intermittent-failure".into()],
        whiteboard: None,
        last_change: 1_764_000_000_000_000 + i as i64 * 1_000_000,
    }
}

/// The 40 error lines of failed job `j`: most name a test with bugs, some a test without,
/// some a crash (found by its message), one a line with no helpful term.
fn error_lines(j: usize, tests: usize) -> Vec<String> {
    (0..LINES)
        .map(|k| {
            let h = mix(j * LINES + k);
            let t = h % tests;
            match k % 10 {
                0 => format!(
                    "[task 2026-11-25T10:30:09.000Z] 10:30:09  WARNING - TEST-UNEXPECTED-FAIL | {} | {}",
                    test_path(tests + t),
                    MESSAGES[h % 12]
                ),
                1 => {
                    let t = t - t % 25;
                    format!(
                        "PROCESS-CRASH | application crashed [@ {}] | {}",
                        signature(t),
                        test_path(t)
                    )
                }
                2 if k == 2 => "Return code: 1".to_owned(),
                _ => format!(
                    "[task 2026-11-25T10:30:09.000Z] 10:30:09  WARNING - TEST-UNEXPECTED-FAIL | {} | {}",
                    test_path(t),
                    MESSAGES[h % 12]
                ),
            }
        })
        .collect()
}

/// p50 and p99 of durations in milliseconds.
fn percentiles(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    (at(0.50), at(0.99))
}

pub async fn section(sizes: &Sizes) -> anyhow::Result<()> {
    anyhow::ensure!(
        sizes.bugs >= BUGS_PER_TEST && sizes.jobs > 0,
        "nothing to measure"
    );
    let app = TestApp::spawn().await;
    let tests = sizes.bugs / BUGS_PER_TEST;

    // 1. The bugs, through the store in transactions of 10,000.
    let started = Instant::now();
    for start in (0..sizes.bugs).step_by(CHUNK) {
        let chunk: Vec<NewBug> = (start..(start + CHUNK).min(sizes.bugs))
            .map(|i| bug(i, tests))
            .collect();
        let imported = app.store().import_bugs(chunk, None).await?;
        anyhow::ensure!(
            imported.updated == 0 && imported.unchanged == 0,
            "{imported:?}"
        );
    }
    let import_rate = sizes.bugs as f64 / started.elapsed().as_secs_f64();
    row(
        &format!("{} bugs imported, x10,000 (bugs/s)", thousands(sizes.bugs)),
        format!("{import_rate:.0}"),
        "",
        String::new(),
        String::new(),
    );

    // 2. Suggestions for failed jobs of 40 lines, through the service.
    let service = Service::new(app.store().clone(), Changes::default());
    let mut times = Vec::with_capacity(sizes.jobs);
    let mut answers = Vec::new();
    let (mut found, mut lines_found) = (0usize, 0usize);
    // Two jobs first to warm the caches, not counted.
    for j in 0..sizes.jobs + 2 {
        let lines = error_lines(j, tests);
        let started = Instant::now();
        let job = service.lines_suggestions(&lines).await?;
        let elapsed = started.elapsed().as_secs_f64() * 1e3;
        if j >= 2 {
            times.push(elapsed);
            for line in &job {
                let n = line.suggestions.open_recent.len() + line.suggestions.all_others.len();
                found += n;
                lines_found += usize::from(n > 0);
            }
            if answers.len() < sizes.scan_jobs {
                answers.push(job);
            }
        }
    }
    let (p50, p99) = percentiles(times);

    // 3. The same searches by a scan, for the same terms, on a job's worth of lines each.
    let url = app.database_url().to_owned();
    let scan_ms = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<f64>> {
        let mut scan_times = Vec::with_capacity(answers.len());
        let mut conn = Scan::open(&url)?;
        for job in &answers {
            let started = Instant::now();
            for line in job {
                let mut open = Vec::new();
                let mut others = Vec::new();
                for term in &line.searched {
                    let chosen = bug_search::suggest(term, conn.candidates(term)?);
                    open.extend(chosen.open_recent);
                    others.extend(chosen.all_others);
                }
                let ids = |bugs: &[treeherd_store::Bug]| -> Vec<BugId> {
                    bugs.iter().map(|b| b.id).collect()
                };
                let mut seen = std::collections::HashSet::new();
                open.retain(|id| seen.insert(*id));
                others.retain(|id| seen.insert(*id));
                anyhow::ensure!(
                    open == ids(&line.suggestions.open_recent)
                        && others == ids(&line.suggestions.all_others),
                    "the scan and treeherd disagree on {:?}",
                    line.searched
                );
            }
            scan_times.push(started.elapsed().as_secs_f64() * 1e3);
        }
        Ok(scan_times)
    })
    .await??;
    let (scan_p50, scan_p99) = percentiles(scan_ms);
    row(
        "bug suggestions, job of 40 lines, p50 (ms)",
        format!("{p50:.2}"),
        "LIKE '%term%' scan, same terms",
        format!("{scan_p50:.1}"),
        format!("{:.0}x", scan_p50 / p50),
    );
    row(
        "  p99 (ms)",
        format!("{p99:.2}"),
        "",
        format!("{scan_p99:.1}"),
        format!("{:.0}x", scan_p99 / p99),
    );
    println!(
        "  ({} jobs through treeherd, {} by the scan; {:.1} bugs suggested per line, {:.0}% of lines with a suggestion)",
        sizes.jobs,
        sizes.scan_jobs.min(sizes.jobs),
        found as f64 / (sizes.jobs * LINES) as f64,
        100.0 * lines_found as f64 / (sizes.jobs * LINES) as f64
    );
    Ok(())
}

/// A connection of the reference: the bugs table scanned with `LIKE`.
enum Scan {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    summary: String,
    #[diesel(sql_type = Text)]
    resolution: String,
}

impl Scan {
    fn open(url: &str) -> anyhow::Result<Scan> {
        Ok(match url.strip_prefix("sqlite://") {
            Some(path) => Scan::Sqlite(SqliteConnection::establish(path)?),
            None => Scan::Postgres(PgConnection::establish(url)?),
        })
    }

    /// Every bug whose summary contains `term`, ignoring case, by reading them all.
    fn candidates(&mut self, term: &str) -> anyhow::Result<Vec<Candidate>> {
        let mut pattern = String::from("%");
        for c in term.chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        let rows: Vec<Row> = match self {
            // SQLite's LIKE ignores ASCII case.
            Scan::Sqlite(c) => diesel::sql_query(
                "SELECT id, summary, resolution FROM bugs WHERE summary LIKE ? ESCAPE '\\'",
            )
            .bind::<Text, _>(&pattern)
            .load(c)?,
            Scan::Postgres(c) => diesel::sql_query(
                "SELECT id, summary, resolution FROM bugs WHERE summary ILIKE $1 ESCAPE '\\'",
            )
            .bind::<Text, _>(&pattern)
            .load(c)?,
        };
        Ok(rows
            .into_iter()
            .map(|r| Candidate {
                id: BugId(r.id),
                summary: r.summary,
                open: r.resolution.is_empty(),
            })
            .collect())
    }
}
