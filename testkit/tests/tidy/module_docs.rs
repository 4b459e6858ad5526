//! Every Rust file of the repository (crate roots, modules, tests, benches, build scripts,
//! the fuzz targets) opens with a `//!` module doc saying what lives there and why, or with
//! `#![doc = …]` (a crate that takes its README as its docs). A new maintainer opens a file
//! and reads its purpose first.

use crate::workspace;

/// Whether `text` opens with a module doc: its first non-blank line is a `//!` comment with
/// words in it, or a `#![doc` attribute.
fn has_module_doc(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).skip_while(|l| l.is_empty());
    match lines.next() {
        Some(line) if line.starts_with("#![doc") => true,
        Some(line) if line.starts_with("//!") => {
            let mut doc = std::iter::once(line)
                .chain(lines.take_while(|l| l.starts_with("//!")))
                .map(|l| l.trim_start_matches("//!").trim());
            doc.any(|words| !words.is_empty())
        }
        _ => false,
    }
}

#[test]
fn every_rust_file_opens_with_a_module_doc() {
    let root = workspace::root();
    let files = workspace::rust_files(&root);
    assert!(
        files.len() > 10,
        "found only {} .rs files under {}",
        files.len(),
        root.display()
    );
    let missing: Vec<String> = files
        .iter()
        .filter(|file| {
            std::fs::read_to_string(root.join(file)).map_or(true, |text| !has_module_doc(&text))
        })
        .map(|file| format!("  {}", file.display()))
        .collect();
    assert!(
        missing.is_empty(),
        "these files do not open with a `//!` module doc saying what lives there and why:\n{}",
        missing.join("\n")
    );
}

#[test]
fn what_counts_as_a_module_doc() {
    assert!(has_module_doc("//! Jobs: reads.\n\nuse x;"));
    assert!(has_module_doc("\n//!\n//! After a blank doc line.\n"));
    assert!(has_module_doc("#![doc = include_str!(\"../README.md\")]\n"));
    assert!(!has_module_doc("use x;\n//! Too late.\n"));
    assert!(!has_module_doc("// A plain comment.\n"));
    assert!(!has_module_doc("//!\n//!   \nfn f() {}"));
    assert!(!has_module_doc(""));
}
