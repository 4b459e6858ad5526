//! The `treeherd` binary: parses the command line and hands over to `treeherd_api::cli`.

use clap::Parser;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    treeherd_api::cli::Cli::parse().run().await
}
