//! `treeherd demo`: fills a database with demo data and exits, saying what it made (what
//! `serve --demo` does first, with the default [`DemoOptions`]).

use clap::Args;
use treeherd_demo::DemoOptions;
use treeherd_service::AutoclassifyOptions;

use super::DatabaseArgs;
use crate::config;

/// The flags of `treeherd demo`.
#[derive(Args, Debug)]
pub struct DemoArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Pushes over all repositories.
    #[arg(long, default_value_t = DemoOptions::default().pushes)]
    pub pushes: u32,
    /// The same seed (at the same time) gives the same data.
    #[arg(long, default_value_t = DemoOptions::default().seed)]
    pub seed: u64,
    /// How far back a person's classification counts for the autoclassifier (as `serve`).
    #[arg(long, env = "TREEHERD_AUTOCLASSIFY_WINDOW", default_value = "14d",
          value_parser = config::autoclassify_window)]
    pub autoclassify_window: AutoclassifyOptions,
}

impl From<&DemoArgs> for DemoOptions {
    fn from(args: &DemoArgs) -> DemoOptions {
        DemoOptions {
            pushes: args.pushes,
            seed: args.seed,
            autoclassify: args.autoclassify_window,
        }
    }
}

pub(super) async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let store = args.database.open_migrated().await?;
    let now = chrono::Utc::now().timestamp_micros();
    println!(
        "{}",
        treeherd_demo::fill(&store, &DemoOptions::from(&args), now).await?
    );
    Ok(())
}
