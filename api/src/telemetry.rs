//! Structured logs through `tracing`, set up once: human-readable by default, JSON lines for
//! log collectors; the filter comes from `TREEHERD_LOG` (e.g. `info`, `treeherd=debug`).

use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// A log filter in tracing's `EnvFilter` syntax, checked when the command line is read: a
/// typo (`treeherd=dbug`) is refused there instead of silently logging at another level.
pub(crate) fn filter(text: &str) -> Result<String, String> {
    EnvFilter::try_new(text)
        .map(|_| text.to_owned())
        .map_err(|e| format!("{e} (e.g. info, or treeherd_store=debug,info)"))
}

pub fn init(filter: &str, format: LogFormat) {
    // Checked by `filter` on the command line; a caller in code that passes a bad one gets
    // the default rather than no logs.
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    // A second call (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
