//! `treeherd export --since DATE [--until DATE] [--data jobs|test-results|perf] [--output
//! FILE]`: the jobs whose age (submitted, else started, else finished) falls in the range, as
//! NDJSON, one object per job with its push, attributes, edges and current classification;
//! or their test results; or the performance values of the range's pushes
//! (`treeherd_service::export`); as NDJSON or, with `--format parquet`, Parquet
//! (`export_parquet.rs`).
//! The output is opened before anything else, so a path that cannot be written fails at once
//! and touches no database; the jobs stream a page at a time, so memory does not grow with
//! the range. A count of what was written shows on a terminal. A reader that stops reading
//! (`| head`) ends the export quietly, as it ends any Unix filter.

use anyhow::Context as _;
use clap::Args;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use treeherd_service::export::{ExportData, ExportSink, Ndjson};
use treeherd_service::{Changes, Service};

use super::DatabaseArgs;
use super::export_parquet::Parquet;
use crate::config::{self, ConfigError};

/// The flags of `treeherd export`.
#[derive(Args)]
pub(super) struct ExportArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Jobs from this time on: RFC 3339 (`2026-11-01T00:00:00Z`) or a UTC date (`2026-11-01`).
    #[arg(long, value_parser = config::instant)]
    since: i64,
    /// Jobs before this time (default: now), written as `--since`.
    #[arg(long, value_parser = config::instant)]
    until: Option<i64>,
    /// What to write: jobs, their test results, or the performance values of the range's pushes.
    #[arg(long, value_enum, default_value = "jobs")]
    data: Data,
    /// NDJSON (one object per line) or Parquet (columns, for a warehouse).
    #[arg(long, value_enum, default_value = "ndjson")]
    format: Format,
    /// The file to write (created or replaced); `-` is standard output.
    #[arg(long, short, default_value = "-")]
    output: PathBuf,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    Ndjson,
    Parquet,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Data {
    Jobs,
    TestResults,
    Perf,
}

pub(super) async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let until = args
        .until
        .unwrap_or_else(|| chrono::Utc::now().timestamp_micros());
    if args.since >= until {
        return Err(ConfigError("--since must be before --until".into()).into());
    }
    let to_stdout = args.output.as_os_str() == "-";
    let reader_gone = Arc::new(AtomicBool::new(false));
    let out: Box<dyn Write + Send> = if to_stdout {
        Box::new(BufWriter::new(Stdout {
            reader_gone: reader_gone.clone(),
        }))
    } else {
        let file = std::fs::File::create(&args.output)
            .with_context(|| format!("cannot write {}", args.output.display()))?;
        Box::new(BufWriter::with_capacity(1 << 20, file))
    };
    let (data, what) = match args.data {
        Data::Jobs => (ExportData::Jobs, "jobs"),
        Data::TestResults => (ExportData::TestResults, "test results"),
        Data::Perf => (ExportData::Perf, "performance values"),
    };
    let mut sink: Box<dyn ExportSink> = match args.format {
        Format::Ndjson => Box::new(Ndjson(out)),
        Format::Parquet => Box::new(Parquet::new(out, data)?),
    };
    let store = args.database.open_migrated().await?;
    let service = Service::new(store, Changes::default());
    let shown = std::io::stderr().is_terminal();
    let exported = service
        .export(data, args.since, until, sink.as_mut(), |done| {
            if shown {
                eprint!("\rexported {done} {what}   ");
            }
        })
        .await;
    drop(sink);
    let written = match exported {
        Err(_) if reader_gone.load(Ordering::Relaxed) => return Ok(()),
        exported => exported?,
    };
    if shown {
        eprintln!();
    }
    if !to_stdout {
        eprintln!("exported {written} {what} to {}", args.output.display());
    }
    Ok(())
}

/// Standard output that notes when its reader went away (a closed pipe).
struct Stdout {
    reader_gone: Arc<AtomicBool>,
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stdout().write(buf).inspect_err(|e| self.note(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout().flush().inspect_err(|e| self.note(e))
    }
}

impl Stdout {
    fn note(&self, e: &std::io::Error) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            self.reader_gone.store(true, Ordering::Relaxed);
        }
    }
}
