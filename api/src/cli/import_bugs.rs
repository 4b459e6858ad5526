//! `treeherd import bugs FILE|-`: Bugzilla bugs from a file or standard input, as
//! `GET /rest/bug` answers them (`{"bugs": [...]}`), a JSON array or NDJSON of bug objects.
//!
//! The whole input is read and every bug checked before the database is opened, so a
//! malformed file (not JSON, Bugzilla's error answer, a bug that breaks a rule: each named
//! by its index and field) stores nothing and exits 1. The bugs are then imported in
//! transactions of [`MAX_BUGS`]; an import is idempotent, so running it again after a failure
//! completes it. It prints what it did: inserted, updated and unchanged bugs.

use anyhow::Context as _;
use clap::Args;
use std::io::Read;
use std::path::PathBuf;
use treeherd_service::bugs::{MAX_BUGS, parse_bugzilla};
use treeherd_service::{Caller, Changes, Service};
use treeherd_store::BugsImported;

use super::DatabaseArgs;

/// The flags of `treeherd import bugs`.
#[derive(Args)]
pub(super) struct BugsArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The bugs file; `-` reads standard input.
    file: PathBuf,
}

pub(super) async fn run(args: BugsArgs) -> anyhow::Result<()> {
    let file = &args.file;
    let (name, text) = if file.as_os_str() == "-" {
        let mut text = Vec::new();
        std::io::stdin()
            .read_to_end(&mut text)
            .context("cannot read standard input")?;
        ("standard input".to_owned(), text)
    } else {
        let text =
            std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
        (file.display().to_string(), text)
    };
    let bugs = parse_bugzilla(&text).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let total = bugs.len();
    let service = Service::new(args.database.open_migrated().await?, Changes::default());
    let mut done = BugsImported::default();
    let mut bugs = bugs.into_iter().peekable();
    while bugs.peek().is_some() {
        let chunk: Vec<_> = bugs.by_ref().take(MAX_BUGS).collect();
        // The import runs with the database's own access, as every CLI import does.
        let imported = service.import_bugs(&Caller::Trusted, chunk).await?;
        done.inserted += imported.inserted;
        done.updated += imported.updated;
        done.unchanged += imported.unchanged;
    }
    println!(
        "imported {total} bug{}: {} inserted, {} updated, {} unchanged",
        if total == 1 { "" } else { "s" },
        done.inserted,
        done.updated,
        done.unchanged
    );
    Ok(())
}
