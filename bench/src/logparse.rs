//! `treeherd log parse` end to end, as a user runs it: the release `treeherd` binary as a
//! subprocess on every `.gz` log of the fixtures (`treeherder/logs`), in both output formats,
//! beside `gzip -dc FILE > /dev/null` on the same files and beside the rate of Treeherder's own
//! parser; then on a generated log of at least 1 GB, to show that memory stays bounded.
//!
//! Rates are MB/s of uncompressed text (1 MB = 10^6 bytes), the best of several rounds per
//! file summed over the files, process start included. Peak RSS is GNU time's (`/usr/bin/time
//! -f %M`), when it is installed.
//!
//! The `treeherd` binary is looked for beside the bench's own executable. Cargo does not build
//! another package's binaries for a dependent, so when the bench runs under `cargo run` (which
//! sets `CARGO`) it first runs `cargo build -p treeherd-api --bin treeherd` in the same profile
//! and target folder, as an xtask would: the figures are never those of a stale binary.
//! Otherwise build it first: `cargo build --release -p treeherd-api`.

use anyhow::{Context as _, ensure};
use flate2::{Compression, read::MultiGzDecoder, write::GzEncoder};
use serde_json::Value;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::report::row;

/// Rounds per fixture log and command; the best counts.
const ROUNDS: usize = 7;
/// Rounds on the generated large log (each takes a second or more).
const LARGE_ROUNDS: usize = 3;
/// The generated log holds at least this much text.
const LARGE_BYTES: u64 = 1_000_000_000;
/// Treeherder's own log parser on its 17 sample logs, on this kind of machine: 107.8 MB in
/// 11.6 s (the figure the performance goals are set against: 50 times this).
const TREEHERDER_MB_PER_S: f64 = 9.3;
/// GNU time, for the peak RSS of a child process without `unsafe` `wait4`.
const GNU_TIME: &str = "/usr/bin/time";
/// What `GNU_TIME` prints before the peak RSS (in KiB), to find it among the CLI's stderr.
const RSS_MARKER: &str = "treeherd-bench peak RSS KiB: ";

/// A gzip log and the size of its text.
struct Log {
    path: PathBuf,
    bytes: u64,
}

/// Best times of one set of files (a sum of per-file bests) and the largest peak RSS seen.
#[derive(Default)]
struct Timing {
    treeherder: Duration,
    full: Duration,
    gzip: Duration,
    /// KiB; `None` without GNU time.
    peak_rss: Option<u64>,
}

pub fn section() -> anyhow::Result<()> {
    let Some(dir) = treeherd_testkit::fixture("treeherder/logs") else {
        row(
            "treeherd log parse",
            "-".into(),
            "(fixtures absent: skipped)",
            "-".into(),
            "-".into(),
        );
        return Ok(());
    };
    let logs = gz_logs(&dir)?;
    let treeherd = treeherd_binary()?;
    ensure!(
        logs.iter().any(|log| log.bytes > 0),
        "no .gz log with any text in {}",
        dir.display()
    );
    let small = measure(&treeherd, &logs, ROUNDS)?;
    let small_bytes: u64 = logs.iter().map(|log| log.bytes).sum();
    rate_rows(
        &format!(
            "log parse, {} fixture .gz logs ({:.1} MB)",
            logs.len(),
            small_bytes as f64 / 1e6
        ),
        small_bytes,
        &small,
    );
    let treeherder = mb_per_s(small_bytes, small.treeherder);
    row(
        "  --format treeherder (MB/s)",
        format!("{treeherder:.0}"),
        "Treeherder's parser (goal >= 50x)",
        format!("{TREEHERDER_MB_PER_S:.1}"),
        format!("{:.1}x", treeherder / TREEHERDER_MB_PER_S),
    );
    row(
        "  peak RSS, largest run (MiB)",
        mib(small.peak_rss),
        if small.peak_rss.is_some() {
            ""
        } else {
            "(no /usr/bin/time: RSS not measured)"
        },
        String::new(),
        String::new(),
    );

    let large_file = tempfile::Builder::new()
        .prefix("treeherd-bench-")
        .suffix(".log.gz")
        .tempfile()
        .context("cannot create the large log's temporary file")?;
    let large = Log {
        bytes: generate_large(&logs, large_file.path())?,
        path: large_file.path().to_owned(),
    };
    let timing = measure(&treeherd, std::slice::from_ref(&large), LARGE_ROUNDS)?;
    rate_rows(
        &format!(
            "log parse, generated .gz log ({:.2} GB)",
            large.bytes as f64 / 1e9
        ),
        large.bytes,
        &timing,
    );
    let ratio = match (timing.peak_rss, small.peak_rss) {
        (Some(large), Some(small)) => format!("{:.2}x", large as f64 / small as f64),
        _ => "-".into(),
    };
    row(
        "  peak RSS, largest run (MiB)",
        mib(timing.peak_rss),
        "peak RSS on the fixture logs",
        mib(small.peak_rss),
        ratio,
    );
    Ok(())
}

/// The heading row of a set of files, then its rate in each format beside `gzip -dc`.
fn rate_rows(heading: &str, bytes: u64, timing: &Timing) {
    row(heading, String::new(), "", String::new(), String::new());
    let gzip = mb_per_s(bytes, timing.gzip);
    for (format, time) in [("treeherder", timing.treeherder), ("full", timing.full)] {
        let ours = mb_per_s(bytes, time);
        row(
            &format!("  --format {format} (MB/s)"),
            format!("{ours:.0}"),
            "gzip -dc > /dev/null (goal >= 1x)",
            format!("{gzip:.0}"),
            format!("{:.2}x", ours / gzip),
        );
    }
}

/// The `treeherd` binary beside this executable; under `cargo run`, built (or found up to
/// date) first.
fn treeherd_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot locate the bench's own executable")?;
    let binary = exe.with_file_name(format!("treeherd{}", std::env::consts::EXE_SUFFIX));
    let profile_dir = exe.parent();
    let profile = profile_dir
        .and_then(Path::file_name)
        .and_then(OsStr::to_str);
    // `target/release/treeherd-bench`: build into the same `target`, in the same profile.
    if let (Some(cargo), Some(target), Some(profile @ ("release" | "debug"))) = (
        std::env::var_os("CARGO"),
        profile_dir.and_then(Path::parent),
        profile,
    ) {
        let mut build = Command::new(cargo);
        build
            .args(["build", "-p", "treeherd-api", "--bin", "treeherd"])
            .env("CARGO_TARGET_DIR", target);
        if profile == "release" {
            build.arg("--release");
        }
        let status = build
            .status()
            .context("cannot run cargo to build `treeherd`")?;
        ensure!(status.success(), "building `treeherd` failed: {status}");
    }
    ensure!(
        binary.is_file(),
        "no `treeherd` binary at {}: build it into the same target folder first, with \
         `cargo build --release -p treeherd-api`",
        binary.display()
    );
    Ok(binary)
}

/// Every `*.gz` file of `dir`, by name, with its uncompressed size.
fn gz_logs(dir: &Path) -> anyhow::Result<Vec<Log>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "gz") {
            paths.push(path);
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let mut text = MultiGzDecoder::new(
                File::open(&path).with_context(|| format!("cannot open {}", path.display()))?,
            );
            let bytes = io::copy(&mut text, &mut io::sink())
                .with_context(|| format!("cannot inflate {}", path.display()))?;
            Ok(Log { path, bytes })
        })
        .collect()
}

/// Times the CLI in both formats and `gzip -dc` on each log (best of `rounds`), and runs the
/// CLI once more per format to check its output and measure its peak RSS.
fn measure(treeherd: &Path, logs: &[Log], rounds: usize) -> anyhow::Result<Timing> {
    let mut timing = Timing::default();
    for log in logs {
        let parse = |format| {
            let mut command = Command::new(treeherd);
            command
                .args(["log", "parse"])
                .arg(&log.path)
                .args(["--format", format]);
            command
        };
        timing.treeherder += best(rounds, || parse("treeherder"))?;
        timing.full += best(rounds, || parse("full"))?;
        timing.gzip += best(rounds, || {
            let mut command = Command::new("gzip");
            command.arg("-dc").arg(&log.path);
            command
        })?;

        let (summary, rss_summary) = run_once(parse("treeherder"))?;
        ensure!(
            summary["errors"].is_array(),
            "`treeherd log parse {}` printed no error list",
            log.path.display()
        );
        let (full, rss_full) = run_once(parse("full"))?;
        // The whole text went through the parser, or the rate means nothing.
        ensure!(
            full["byte_count"].as_u64() == Some(log.bytes),
            "`treeherd log parse {} --format full` counted {} bytes, not {}",
            log.path.display(),
            full["byte_count"],
            log.bytes
        );
        timing.peak_rss = [timing.peak_rss, rss_summary, rss_full]
            .into_iter()
            .flatten()
            .max();
    }
    Ok(timing)
}

/// The shortest of `rounds` runs of the command `make` gives, its output thrown away.
fn best(rounds: usize, make: impl Fn() -> Command) -> anyhow::Result<Duration> {
    let mut best = Duration::MAX;
    for _ in 0..rounds {
        let mut command = make();
        command.stdout(Stdio::null());
        let started = Instant::now();
        let status = command
            .status()
            .with_context(|| format!("cannot run {command:?}"))?;
        let took = started.elapsed();
        ensure!(status.success(), "{command:?} failed: {status}");
        best = best.min(took);
    }
    Ok(best)
}

/// Runs the CLI once (under GNU time when installed) and returns the JSON it printed and its
/// peak RSS in KiB.
fn run_once(command: Command) -> anyhow::Result<(Value, Option<u64>)> {
    let mut run = if Path::new(GNU_TIME).is_file() {
        let mut timed = Command::new(GNU_TIME);
        timed
            .arg("-f")
            .arg(format!("{RSS_MARKER}%M"))
            .arg(command.get_program())
            .args(command.get_args());
        timed
    } else {
        command
    };
    let output = run
        .stderr(Stdio::piped())
        .output()
        .with_context(|| format!("cannot run {run:?}"))?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    ensure!(output.status.success(), "{run:?} failed: {stderr}");
    let json = serde_json::from_slice(&output.stdout)
        .with_context(|| format!("{run:?} printed no JSON"))?;
    let rss = stderr
        .lines()
        .find_map(|line| line.strip_prefix(RSS_MARKER)?.trim().parse().ok());
    Ok((json, rss))
}

/// Writes the text of `logs`, over and over, as one gzip member into `out` until it holds at
/// least `LARGE_BYTES`; returns the size of the text. Only a buffer's worth is in memory.
fn generate_large(logs: &[Log], out: &Path) -> anyhow::Result<u64> {
    let file = File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    // Level 6, gzip's default, as CI logs are usually compressed.
    let mut gz = GzEncoder::new(
        BufWriter::with_capacity(1 << 20, file),
        Compression::default(),
    );
    let mut total = 0;
    'fill: loop {
        for log in logs {
            if total >= LARGE_BYTES {
                break 'fill;
            }
            let mut text = MultiGzDecoder::new(File::open(&log.path)?);
            total += io::copy(&mut text, &mut gz)
                .with_context(|| format!("cannot write {}", out.display()))?;
        }
    }
    gz.finish()?
        .flush()
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(total)
}

fn mb_per_s(bytes: u64, time: Duration) -> f64 {
    bytes as f64 / 1e6 / time.as_secs_f64()
}

/// KiB as MiB, or `-` without GNU time.
fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "-".into(), |kib| format!("{:.1}", kib as f64 / 1024.0))
}
