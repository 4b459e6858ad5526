//! Progress of long imports (task graphs, git histories), shown on a terminal only.

use std::io::{IsTerminal, Write};

/// A progress line on stderr when it is a terminal (nothing in logs or pipes).
pub(crate) struct Progress {
    shown: bool,
}

impl Progress {
    pub(crate) fn new() -> Progress {
        Progress {
            shown: std::io::stderr().is_terminal(),
        }
    }
}

impl treeherd_service::imports::Progress for Progress {
    fn at(&self, done: usize, total: usize, what: &str) {
        if self.shown {
            let percent = done * 100 / total.max(1);
            eprint!("\r{what}: {done}/{total} ({percent}%)   ");
            let _ = std::io::stderr().flush();
        }
    }

    fn finish(&self) {
        if self.shown {
            eprintln!();
        }
    }
}
