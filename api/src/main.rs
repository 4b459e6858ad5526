//! The `treeherd` binary: parses the command line and hands over to `treeherd_api::cli`.

use clap::Parser;

// Serving GraphQL allocates many small short-lived values; mimalloc handles them far faster
// than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    match treeherd_api::cli::Cli::parse().without_runtime() {
        Ok(done) => done,
        Err(cli) => actix_web::rt::System::new().block_on((*cli).run()),
    }
}
