//! No two source files of a crate import each other, directly or in a loop: a circle of
//! files is one module in several files, which nobody can read, test or move on its own.
//! The check builds each crate's file graph ([`import_graph`]) and reports every circle with
//! its files and the lines that close it.
//! There is no allow-list: the circles the tree had when the check came (issue 16) are
//! broken, and a new one fails the test.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::import_graph::{Edge, ModuleTree, circles};
use crate::workspace;

#[test]
fn no_two_files_of_a_crate_import_each_other() {
    let root = workspace::root();
    let files = workspace::rust_files(&root);
    let packages = workspace::packages(&root, &files);
    assert!(
        packages.len() > 3,
        "found only {} packages under {}",
        packages.len(),
        root.display()
    );
    let read = |path: &std::path::Path| std::fs::read_to_string(root.join(path)).ok();
    let mut found: Vec<(Vec<PathBuf>, Vec<Edge>)> = Vec::new();
    let mut reached: BTreeSet<PathBuf> = BTreeSet::new();
    for package in &packages {
        for crate_root in &package.roots {
            let tree = ModuleTree::load(crate_root, &read);
            reached.extend(tree.files().into_iter().cloned());
            let edges = tree.edges();
            for circle in circles(&edges) {
                if found.iter().any(|(known, _)| *known == circle) {
                    continue;
                }
                let inside: Vec<Edge> = edges
                    .iter()
                    .filter(|e| circle.contains(&e.from) && circle.contains(&e.to))
                    .cloned()
                    .collect();
                found.push((circle, inside));
            }
        }
    }

    // A file no crate root reaches would escape the check.
    let unreached: Vec<String> = files
        .iter()
        .filter(|f| !reached.contains(*f))
        .map(|f| format!("  {}", f.display()))
        .collect();
    assert!(
        unreached.is_empty(),
        "no crate root reaches these files through `mod` (a new kind of crate root, or a \
         file nothing declares?):\n{}",
        unreached.join("\n")
    );

    let circles: Vec<String> = found
        .iter()
        .map(|(circle, edges)| describe(circle, edges))
        .collect();
    assert!(
        circles.is_empty(),
        "files of one crate that import each other (break each circle: move what both need \
         into a file they both use, or pass it in):\n{}",
        circles.join("\n")
    );
}

/// A circle's files, then each import inside it (`from:line uses path (to)`).
fn describe(circle: &[PathBuf], edges: &[Edge]) -> String {
    let files: Vec<String> = circle.iter().map(|f| f.display().to_string()).collect();
    let mut text = format!("  circle of {}: {}", files.len(), files.join(", "));
    for edge in edges {
        text.push_str(&format!(
            "\n    {}:{} uses {} ({})",
            edge.from.display(),
            edge.line,
            edge.path,
            edge.to.display()
        ));
    }
    text
}
