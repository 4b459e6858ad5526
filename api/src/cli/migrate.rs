//! `treeherd migrate`: applies pending database migrations, says how many, and exits.

use super::DatabaseArgs;

pub(super) async fn run(database: &DatabaseArgs) -> anyhow::Result<()> {
    let store = database.open()?;
    let applied = tokio::task::spawn_blocking(move || store.migrate()).await??;
    println!("applied {} migration(s)", applied.len());
    Ok(())
}
