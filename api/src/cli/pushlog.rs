//! `treeherd pushlog`: bring an hg repository's pushlog up to date from its json-pushes, or
//! backfill a repository's pushlog from a local git clone.

use clap::{Args, Subcommand};
use std::path::PathBuf;

use super::DatabaseArgs;
use crate::pushlog_sync::{self, SyncOptions};

#[derive(Subcommand)]
pub(super) enum PushlogCommand {
    /// Brings an hg repository's pushlog up to date from its json-pushes.
    Sync(SyncArgs),
    /// Backfills a repository's pushlog from a local git clone: each commit on the branch's
    /// first-parent history becomes a push holding the commits it brought in.
    ImportGit(ImportGitArgs),
}

/// The flags of `treeherd pushlog sync`.
#[derive(Args)]
pub(super) struct SyncArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[arg(long)]
    repository: String,
}

/// The flags of `treeherd pushlog import-git`.
#[derive(Args)]
pub(super) struct ImportGitArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[arg(long)]
    repository: String,
    /// The local repository.
    #[arg(long)]
    path: PathBuf,
    #[arg(long)]
    branch: String,
}

pub(super) async fn run(command: PushlogCommand) -> anyhow::Result<()> {
    match command {
        PushlogCommand::Sync(args) => sync(args).await,
        PushlogCommand::ImportGit(args) => import_git(args).await,
    }
}

/// One sync, as `serve --pushlog-interval` runs them, announcing to no one.
async fn sync(args: SyncArgs) -> anyhow::Result<()> {
    let store = args.database.open_migrated().await?;
    let repository = store.existing_repository(args.repository).await?;
    let synced = pushlog_sync::sync_repository(
        &store,
        &treeherd_schema::PushEvents::default(),
        &reqwest::Client::new(),
        &repository,
        &SyncOptions::default(),
    )
    .await?;
    println!(
        "{}: {} pushes stored, {} without changesets skipped, last push {}",
        repository.name, synced.pushes, synced.empty, synced.last_push_id
    );
    Ok(())
}

async fn import_git(args: ImportGitArgs) -> anyhow::Result<()> {
    let store = args.database.open_migrated().await?;
    let pushes = treeherd_pushlog::first_parent_pushes(&args.path, &args.branch)?;
    let stored = crate::import::git_pushes(&store, &args.repository, pushes).await?;
    println!(
        "imported {stored} pushes of {} into {}",
        args.branch, args.repository
    );
    Ok(())
}
