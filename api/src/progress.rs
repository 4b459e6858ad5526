//! Progress of long imports (task graphs, git histories), shown on a terminal only.

use std::io::{IsTerminal, Write};

/// A progress line on stderr when it is a terminal (nothing in logs or pipes).
pub(crate) struct Progress {
    shown: bool,
    total: usize,
}

impl Progress {
    pub(crate) fn new(total: usize) -> Progress {
        Progress {
            shown: std::io::stderr().is_terminal(),
            total,
        }
    }

    pub(crate) fn at(&self, done: usize, what: &str) {
        if self.shown {
            let percent = done * 100 / self.total.max(1);
            eprint!("\r{what}: {done}/{} ({percent}%)   ", self.total);
            let _ = std::io::stderr().flush();
        }
    }

    pub(crate) fn finish(&self) {
        if self.shown {
            eprintln!();
        }
    }
}
