//! Throughput on Treeherder's sample logs, printed as a table (no criterion: one run of a
//! few seconds, best of several rounds, is what we compare).
//!
//! For every `.gz` log in the fixtures it times, on the uncompressed size:
//! - `gzip -dc FILE > /dev/null` as a separate process: the bar to beat;
//! - `parse_full` on the `.gz` file, end to end (read, inflate and parse on two threads);
//! - `LogParser` on the text already in memory, on one thread: the parser alone;
//! - inflating alone (zlib-rs), for reference.
//!
//! Run with `cargo bench -p treeherd-logparse`.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use treeherd_logparse::{LogParser, parse_full};

const ROUNDS: usize = 7;
const CHUNK: usize = 256 << 10;

struct Row {
    name: String,
    bytes: usize,
    gzip_cli: Duration,
    from_gz: Duration,
    from_text: Duration,
    inflate: Duration,
}

fn best(mut run: impl FnMut()) -> Duration {
    (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn inflate(path: &Path) -> Vec<u8> {
    let mut text = Vec::new();
    if let Ok(file) = File::open(path) {
        let _ = flate2::read::MultiGzDecoder::new(file).read_to_end(&mut text);
    }
    text
}

fn measure(path: &Path) -> Row {
    let text = inflate(path);
    let gzip_cli = best(|| {
        let status = Command::new("gzip")
            .arg("-dc")
            .arg(path)
            .stdout(Stdio::null())
            .status();
        assert!(status.is_ok_and(|s| s.success()), "gzip -dc failed");
    });
    let from_gz = best(|| {
        let parsed = File::open(path)
            .map_err(|e| e.to_string())
            .and_then(|f| parse_full(f).map_err(|e| e.to_string()));
        assert!(parsed.is_ok_and(|p| p.byte_count == text.len() as u64));
    });
    let from_text = best(|| {
        let mut parser = LogParser::new();
        for chunk in text.chunks(CHUNK) {
            parser.feed(chunk);
        }
        std::hint::black_box(parser.finish());
    });
    let inflate = best(|| {
        std::hint::black_box(inflate(path));
    });
    Row {
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes: text.len(),
        gzip_cli,
        from_gz,
        from_text,
        inflate,
    }
}

fn mb_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / 1e6 / time.as_secs_f64().max(1e-9)
}

fn main() {
    let Some(dir) = treeherd_testkit::fixture("treeherder/logs") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "gz"));
    files.sort();
    let rows: Vec<Row> = files.iter().map(|p| measure(p)).collect();

    println!("best of {ROUNDS} rounds; MB/s of uncompressed text (1 MB = 10^6 bytes)\n");
    println!(
        "{:<28} {:>9} {:>12} {:>14} {:>16} {:>12}",
        "log", "MB", "gzip -dc", "parse .gz", "parse text 1cpu", "inflate"
    );
    let line = |name: &str, bytes: usize, row: [Duration; 4]| {
        println!(
            "{:<28} {:>9.2} {:>12.0} {:>14.0} {:>16.0} {:>12.0}",
            name,
            bytes as f64 / 1e6,
            mb_per_s(bytes, row[0]),
            mb_per_s(bytes, row[1]),
            mb_per_s(bytes, row[2]),
            mb_per_s(bytes, row[3]),
        );
    };
    for row in &rows {
        line(
            &row.name,
            row.bytes,
            [row.gzip_cli, row.from_gz, row.from_text, row.inflate],
        );
    }
    let total = |f: fn(&Row) -> Duration| rows.iter().map(f).sum::<Duration>();
    let bytes: usize = rows.iter().map(|r| r.bytes).sum();
    let sums = [
        total(|r| r.gzip_cli),
        total(|r| r.from_gz),
        total(|r| r.from_text),
        total(|r| r.inflate),
    ];
    println!("{}", "-".repeat(96));
    line("total", bytes, sums);

    let (gzip, from_gz, from_text) = (
        mb_per_s(bytes, sums[0]),
        mb_per_s(bytes, sums[1]),
        mb_per_s(bytes, sums[2]),
    );
    let verdict = |ok: bool| if ok { "ok" } else { "MISSED" };
    println!();
    println!(
        "goal: parse .gz >= 465 MB/s ............ {from_gz:.0} MB/s  {}",
        verdict(from_gz >= 465.0)
    );
    println!(
        "goal: parse .gz not slower than gzip -dc  {from_gz:.0} vs {gzip:.0} MB/s  {}",
        verdict(from_gz >= gzip)
    );
    println!(
        "goal: parse text >= 1000 MB/s per core .. {from_text:.0} MB/s  {}",
        verdict(from_text >= 1000.0)
    );
}
