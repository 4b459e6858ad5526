//! Tidy: rules about the source tree itself, checked by `cargo test --workspace` so they hold
//! on every machine and in CI without another tool. Every `.rs` file starts with a `//!`
//! module doc ([`module_docs`]); no two files of a crate import each other, directly or in a
//! loop ([`file_circles`]). The checks read the files as text: [`lexer`] drops comments and
//! strings, [`source_file`] finds `mod`, `use` and paths, [`import_graph`] resolves them to
//! files.

mod file_circles;
mod import_graph;
mod lexer;
mod module_docs;
mod source_file;
mod workspace;
