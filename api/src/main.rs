//! The `treeherd` binary: parses the command line and hands over to `treeherd_api::cli`.

use clap::Parser;

// Serving GraphQL allocates many small short-lived values; mimalloc handles them far faster
// than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    treeherd_api::cli::Cli::parse().run().await
}
