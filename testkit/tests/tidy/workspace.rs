//! The repository as the tidy checks see it: its Rust packages, their crate roots, and every
//! `.rs` file, as paths relative to the repository root (so messages and the allow-list read
//! `api/src/routes.rs`). Build output (`target`), `node_modules` and hidden folders are not
//! part of it.

use std::fs;
use std::path::{Path, PathBuf};

/// The repository root (testkit's parent folder).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Every `.rs` file of the repository, relative to `root`, sorted.
pub fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    walk(root, Path::new(""), &mut found);
    found.sort();
    found
}

fn walk(root: &Path, dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(root.join(dir)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let relative = dir.join(&*name);
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if !(name.starts_with('.') || name == "target" || name == "node_modules") {
                walk(root, &relative, found);
            }
        } else if name.ends_with(".rs") {
            found.push(relative);
        }
    }
}

/// A folder with a `Cargo.toml` that has a `[package]`.
pub struct Package {
    /// Its crate roots (library, binaries, tests, benches, examples, build script).
    pub roots: Vec<PathBuf>,
}

/// The packages among `files`' folders, with their crate roots: Cargo's default places
/// (`src/lib.rs`, `src/main.rs`, `src/bin/*`, `tests/*`, `benches/*`, `examples/*`,
/// `build.rs`) and every `path = "….rs"` of the manifest.
pub fn packages(root: &Path, files: &[PathBuf]) -> Vec<Package> {
    let mut dirs: Vec<PathBuf> = files
        .iter()
        .flat_map(|f| f.ancestors().skip(1))
        .map(Path::to_path_buf)
        .collect();
    dirs.sort();
    dirs.dedup();
    let mut packages = Vec::new();
    for dir in dirs {
        let Ok(manifest) = fs::read_to_string(root.join(&dir).join("Cargo.toml")) else {
            continue;
        };
        if !manifest.lines().any(|l| l.trim() == "[package]") {
            continue;
        }
        let mut roots: Vec<PathBuf> = manifest
            .lines()
            .filter_map(|line| {
                let value = line.trim().strip_prefix("path")?.trim_start();
                let value = value.strip_prefix('=')?.trim().trim_matches('"');
                value.ends_with(".rs").then(|| dir.join(value))
            })
            .collect();
        for file in files.iter().filter(|f| f.starts_with(&dir)) {
            let Ok(inner) = file.strip_prefix(&dir) else {
                continue;
            };
            let parts: Vec<&str> = inner.iter().filter_map(|p| p.to_str()).collect();
            let default_root = matches!(
                parts.as_slice(),
                ["build.rs"]
                    | ["src", "lib.rs" | "main.rs"]
                    | ["src", "bin", _]
                    | ["src", "bin", _, "main.rs"]
                    | ["tests" | "benches" | "examples", _]
                    | ["tests" | "benches" | "examples", _, "main.rs"]
            );
            if default_root {
                roots.push(file.clone());
            }
        }
        roots.sort();
        roots.dedup();
        packages.push(Package { roots });
    }
    packages
}
