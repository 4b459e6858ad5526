//! Job logs: which parser a log gets and how its parse is stored (`parse`), fetching a log
//! while it is parsed (`fetch`), and the unit of work of the parse worker: claim, then
//! fetch, parse and store one log or record why not (`process`).

pub mod fetch;
pub mod parse;
mod process;

pub use fetch::FetchOptions;
pub use parse::{LogKind, parse_log};
