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
            eprintln!("error: {}", one_line(&e));
            if e.chain().any(|cause| cause.is::<ConfigError>()) {
                ExitCode::from(ConfigError::EXIT_CODE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// The cause chain on one line, joined by ": " as anyhow's `{:#}` does (`{:?}` would add its
/// backtrace), leaving out a cause whose text the error before it already ends with (an
/// error that says its cause and also keeps it as its source).
fn one_line(e: &anyhow::Error) -> String {
    let mut chain = e.chain().map(ToString::to_string);
    let mut line = chain.next().unwrap_or_default();
    let mut said = line.clone();
    for text in chain {
        if !said.ends_with(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        said = text;
    }
    line
}
