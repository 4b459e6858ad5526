//! Pushlog rules of each source: polling an hg server (`hg`), GitHub push webhooks
//! (`github`), and hg's `json-pushes` answered from the store (`json_pushes`). Storing the
//! pushes they bring is `crate::pushes`, the same for every source.

pub mod github;
pub mod hg;
pub mod json_pushes;
