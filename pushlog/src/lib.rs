#![doc = include_str!("../README.md")]
//!
//! # Code map
//!
//! - `hg`: hg `json-pushes` pages (versions 1 and 2, full or not) read, and a page's URL;
//! - `render`: pushes written back out as `json-pushes`, key for key as hg writes them;
//! - `github`: GitHub `push` webhook bodies, repository URL normalisation, Taskcluster
//!   message unwrapping;
//! - `signature`: `X-Hub-Signature-256` checked and made;
//! - `git`: a local repository's first-parent history as pushes (the only IO: the `git` CLI);
//! - `generate`: a deterministic stream of realistic pushes for benchmarks;
//! - `json`: typed field readers with the crate's error wording; `error`: [`PushlogError`].

mod error;
pub mod generate;
mod git;
mod github;
mod hg;
mod json;
mod render;
mod signature;

pub use error::PushlogError;
pub use git::{FirstParentPushes, first_parent_pushes};
pub use github::{
    GitHubPush, normalize_repository_url, parse_github_push, unwrap_taskcluster_message,
};
pub use hg::{JsonPushes, json_pushes_from_value, page_url, parse_json_pushes};
pub use render::{RenderOptions, render_json_pushes};
pub use signature::{SignatureError, sign_github_body, verify_github_signature};
/// What every source becomes (defined in the model, shared with the store).
pub use treeherd_model::{CommitRecord, PushRecord};
