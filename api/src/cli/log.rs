//! `treeherd log parse`: the log parser on a file, without a server, printing the same JSON
//! Treeherder's logview artifact holds (or everything the parser finds). Runs without an
//! async runtime (see `Cli::without_runtime`).

use anyhow::Context as _;
use clap::Subcommand;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub(super) enum LogCommand {
    /// Parses a log file (plain or gzip; `-` reads standard input) and prints what it holds
    /// as JSON.
    Parse {
        file: PathBuf,
        /// `treeherder`: `{"errors": [...]}` exactly as Treeherder's logview artifact;
        /// `full`: errors, steps, PERFHERDER_DATA and counts.
        #[arg(long, value_enum, default_value = "treeherder")]
        format: LogFormat,
    },
}

/// What `treeherd log parse` prints.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(super) enum LogFormat {
    /// `{"errors": [{"linenumber": N, "line": "..."}]}`, as Treeherder's logview.
    Treeherder,
    /// Errors, steps, PERFHERDER_DATA, line and byte counts.
    Full,
}

pub(super) fn run(command: LogCommand) -> anyhow::Result<()> {
    match command {
        LogCommand::Parse { file, format } => parse(&file, format),
    }
}

/// Parses `path` (`-` is standard input) and prints the result as one line of JSON.
fn parse(path: &Path, format: LogFormat) -> anyhow::Result<()> {
    let input: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path).with_context(|| format!("cannot open {}", path.display()))?)
    };
    let mut out = BufWriter::new(io::stdout().lock());
    match format {
        LogFormat::Treeherder => {
            let summary = treeherd_logparse::parse_treeherder(input)
                .with_context(|| format!("cannot parse {}", path.display()))?;
            serde_json::to_writer(&mut out, &summary)?;
        }
        LogFormat::Full => {
            let parsed = treeherd_logparse::parse_full(input)
                .with_context(|| format!("cannot parse {}", path.display()))?;
            serde_json::to_writer(&mut out, &parsed)?;
        }
    }
    writeln!(out)?;
    out.flush()?;
    Ok(())
}
