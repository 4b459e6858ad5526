//! `treeherd export --since DATE [--until DATE] [--data jobs|test-results|perf] [--output
//! FILE]`: the jobs whose age (submitted, else started, else finished) falls in the range, as
//! NDJSON, one object per job with its push, attributes, edges and current classification;
//! or their test results; or the performance values of the range's pushes
//! (`treeherd_service::export`).
//! The output is opened before anything else, so a path that cannot be written fails at once
//! and touches no database; the jobs stream a page at a time, so memory does not grow with
//! the range. A count of what was written shows on a terminal. A reader that stops reading
//! (`| head`) ends the export quietly, as it ends any Unix filter.

use anyhow::Context as _;
use clap::Args;
use std::cell::Cell;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::rc::Rc;
use treeherd_service::export::ExportData;
use treeherd_service::{Changes, Service};

use super::DatabaseArgs;
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
    /// The file to write (created or replaced); `-` is standard output.
    #[arg(long, short, default_value = "-")]
    output: PathBuf,
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
    let reader_gone = Rc::new(Cell::new(false));
    let mut out: Box<dyn Write> = if to_stdout {
        Box::new(BufWriter::new(Stdout {
            reader_gone: reader_gone.clone(),
        }))
    } else {
        let file = std::fs::File::create(&args.output)
            .with_context(|| format!("cannot write {}", args.output.display()))?;
        Box::new(BufWriter::with_capacity(1 << 20, file))
    };
    let store = args.database.open_migrated().await?;
    let service = Service::new(store, Changes::default());
    let shown = std::io::stderr().is_terminal();
    let (data, what) = match args.data {
        Data::Jobs => (ExportData::Jobs, "jobs"),
        Data::TestResults => (ExportData::TestResults, "test results"),
        Data::Perf => (ExportData::Perf, "performance values"),
    };
    let exported = service
        .export(data, args.since, until, &mut out, |done| {
            if shown {
                eprint!("\rexported {done} {what}   ");
            }
        })
        .await;
    drop(out);
    let written = match exported {
        Err(_) if reader_gone.get() => return Ok(()),
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
    reader_gone: Rc<Cell<bool>>,
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
            self.reader_gone.set(true);
        }
    }
}
