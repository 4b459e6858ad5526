//! The `treeherd` binary: parses the command line, hands over to `treeherd_api::cli`, and
//! reports a failure as one line, `error: <cause chain>`, with an exit code: 2 for a
//! configuration value that cannot be used (as clap exits for one it refuses), 1 otherwise.
//! Never a backtrace for an error, even with `RUST_BACKTRACE=1` (a panic keeps its own).

use clap::Parser;
use std::process::ExitCode;
use treeherd_api::config::ConfigError;

// Serving GraphQL allocates many small short-lived values; mimalloc handles them far faster
// than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match treeherd_api::cli::Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version end here too, with clap's own output and code.
        Err(e) => treeherd_api::cli::name_the_variable(e).exit(),
    };
    let outcome = match cli.without_runtime() {
        Ok(done) => done,
        Err(cli) => actix_web::rt::System::new().block_on((*cli).run()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // `{:#}` is the cause chain on one line; `{:?}` would add anyhow's backtrace.
            eprintln!("error: {e:#}");
            if e.chain().any(|cause| cause.is::<ConfigError>()) {
                ExitCode::from(ConfigError::EXIT_CODE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
