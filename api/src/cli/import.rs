//! `treeherd import`: what build systems produce, read from a file and stored (a Taskcluster
//! task graph, buildhub records; Bugzilla bugs in `import_bugs`), and the edge-kind rules the
//! task graph import uses.

use anyhow::Context as _;
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use treeherd_ingest::EdgeRules;
use treeherd_model::Revision;
use treeherd_service::{Changes, Service, imports};

use super::DatabaseArgs;
use crate::progress::Progress;

#[derive(Subcommand)]
pub(super) enum ImportCommand {
    /// A Taskcluster task graph (full-task-graph.json, task-graph.json, or queue task
    /// definitions keyed by taskId): UNSCHEDULED jobs of one push, and typed edges.
    Taskgraph(TaskgraphArgs),
    /// Prints the default edge-kind rules, in the format `--rules` reads.
    Rules,
    /// Buildhub records (buildhub2's `buildhub.json` shape, as a JSON array, NDJSON, or a
    /// `{"hits": {"hits": [{"_source": ...}]}}` search answer), stored in one transaction.
    Buildhub(BuildhubArgs),
    /// Bugzilla bugs (`GET /rest/bug`'s answer `{"bugs": [...]}`, a JSON array or NDJSON of
    /// bug objects; `-` reads standard input), for bug suggestions.
    Bugs(super::import_bugs::BugsArgs),
}

/// The flags of `treeherd import taskgraph`.
#[derive(Args)]
pub(super) struct TaskgraphArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The task graph file.
    file: PathBuf,
    #[arg(long)]
    repository: String,
    /// The revision of the push the tasks belong to (40 hexadecimal digits).
    #[arg(long)]
    revision: String,
    /// Edge-kind rules replacing the default table (`treeherd import rules` prints it).
    #[arg(long)]
    rules: Option<PathBuf>,
}

/// The flags of `treeherd import buildhub`.
#[derive(Args)]
pub(super) struct BuildhubArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// The records file.
    file: PathBuf,
}

pub(super) async fn run(command: ImportCommand) -> anyhow::Result<()> {
    match command {
        ImportCommand::Taskgraph(args) => taskgraph(args).await,
        ImportCommand::Rules => {
            print!("{}", EdgeRules::default());
            Ok(())
        }
        ImportCommand::Buildhub(args) => buildhub(args).await,
        ImportCommand::Bugs(args) => super::import_bugs::run(args).await,
    }
}

/// Reads and parses everything (revision, rules, graph) before the database is opened.
async fn taskgraph(args: TaskgraphArgs) -> anyhow::Result<()> {
    let revision: Revision = args.revision.parse()?;
    let rules = args.rules.as_deref().map(read_rules).transpose()?;
    let file = &args.file;
    let text = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let json: serde_json::Value =
        serde_json::from_slice(&text).with_context(|| format!("{} is not JSON", file.display()))?;
    let graph = imports::parse(&json, rules.as_ref())?;
    let service = Service::new(args.database.open_migrated().await?, Changes::default());
    let repository = &args.repository;
    let imported =
        imports::task_graph(&service, graph, repository, &revision, &Progress::new()).await?;
    println!(
        "imported {} jobs and {} edges into {repository}",
        imported.jobs, imported.edges
    );
    Ok(())
}

/// The edge-kind rules of `--rules`; an error names the file.
fn read_rules(path: &Path) -> anyhow::Result<EdgeRules> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    EdgeRules::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

async fn buildhub(args: BuildhubArgs) -> anyhow::Result<()> {
    let file = &args.file;
    let text = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let builds =
        imports::parse_buildhub(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let store = args.database.open_migrated().await?;
    let stored = imports::buildhub(&Service::new(store, Changes::default()), builds).await?;
    println!(
        "imported {stored} build{}",
        if stored == 1 { "" } else { "s" }
    );
    Ok(())
}
