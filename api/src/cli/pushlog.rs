//! `treeherd pushlog`: bring an hg repository's pushlog up to date from its json-pushes, or
//! backfill a repository's pushlog from a local git clone.

use clap::{Args, Subcommand};
use std::path::PathBuf;

use treeherd_service::pushlog::hg::{SyncOptions, sync_repository};
use treeherd_service::{Changes, Service, imports};

use super::DatabaseArgs;
use crate::progress::Progress;

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
    let service = Service::new(args.database.open_migrated().await?, Changes::default());
    let repository = service.store().existing_repository(args.repository).await?;
    let synced = sync_repository(
        &service,
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
    let service = Service::new(args.database.open_migrated().await?, Changes::default());
    let pushes = treeherd_pushlog::first_parent_pushes(&args.path, &args.branch)?;
    let stored = imports::git_pushes(&service, &args.repository, pushes, &Progress::new()).await?;
    println!(
        "imported {stored} pushes of {} into {}",
        args.branch, args.repository
    );
    Ok(())
}
