//! Which file of a crate imports which: the module tree of each crate root (following
//! `mod name;` to `name.rs` or `name/mod.rs`), and an edge from a file to the file that
//! *defines* each crate item it names through `use` or a `crate::`/`super::`/`self::`/
//! `child::` path.
//!
//! Re-exports are followed, not counted: `crate::StoreError`, re-exported by `lib.rs` from
//! `error.rs`, is an edge to `error.rs`, and a `pub use` (any `pub(…)`) is a facade, not a
//! use, so a `lib.rs` re-exporting its children is in no circle with them. A private `use`
//! or a path in code is a use. A `mod` declaration is not an edge; `super::` inside an inline
//! `mod tests` names the file itself. Names are resolved through explicit imports, then the
//! file's own definitions, then its glob imports; what cannot be resolved to a module of the
//! crate (other crates, `std`, local variables) is ignored.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::source_file::{SourceFile, parse};

/// A use of one file by another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    pub from: PathBuf,
    pub to: PathBuf,
    pub line: usize,
    /// The path as written.
    pub path: String,
}

/// One module: where it is written, and what its file says.
struct Module {
    file: PathBuf,
    /// The inline-module path inside `file` (empty for the file's own module).
    inline: Vec<String>,
}

/// The modules of one crate root, by module path (`[]` is the root).
pub struct ModuleTree {
    modules: BTreeMap<Vec<String>, Module>,
    files: HashMap<PathBuf, SourceFile>,
}

impl ModuleTree {
    /// Follows `mod` declarations from `root`; `read` gives a file's text (`None` when it does
    /// not exist).
    pub fn load(root: &Path, read: &dyn Fn(&Path) -> Option<String>) -> ModuleTree {
        let mut tree = ModuleTree {
            modules: BTreeMap::new(),
            files: HashMap::new(),
        };
        let Some(text) = read(root) else {
            return tree;
        };
        let dir = root.parent().map(Path::to_path_buf).unwrap_or_default();
        tree.add_file(Vec::new(), root.to_path_buf(), text, dir, read);
        tree
    }

    /// Adds the file of module `path`, whose child module files live in `children_dir`.
    fn add_file(
        &mut self,
        path: Vec<String>,
        file: PathBuf,
        text: String,
        children_dir: PathBuf,
        read: &dyn Fn(&Path) -> Option<String>,
    ) {
        if self.files.contains_key(&file) {
            return;
        }
        let source = parse(&text);
        for inline in &source.inline_mods {
            let mut module = path.clone();
            module.extend(inline.iter().cloned());
            self.modules.insert(
                module,
                Module {
                    file: file.clone(),
                    inline: inline.clone(),
                },
            );
        }
        let mods = source.mods.clone();
        self.modules.insert(
            path.clone(),
            Module {
                file: file.clone(),
                inline: Vec::new(),
            },
        );
        self.files.insert(file, source);
        for decl in mods {
            let mut dir = children_dir.clone();
            dir.extend(&decl.scope);
            let flat = dir.join(format!("{}.rs", decl.name));
            let nested = dir.join(&decl.name).join("mod.rs");
            let mut module = path.clone();
            module.extend(decl.scope.iter().cloned());
            module.push(decl.name.clone());
            if let Some(text) = read(&flat) {
                let children = dir.join(&decl.name);
                self.add_file(module, flat, text, children, read);
            } else if let Some(text) = read(&nested) {
                let children = dir.join(&decl.name);
                self.add_file(module, nested, text, children, read);
            }
        }
    }

    /// Every file of the tree.
    pub fn files(&self) -> BTreeSet<&PathBuf> {
        self.modules.values().map(|m| &m.file).collect()
    }

    /// The file-to-file uses of this crate (no file to itself).
    pub fn edges(&self) -> Vec<Edge> {
        let mut edges = BTreeSet::new();
        for (module_path, module) in &self.modules {
            if !module.inline.is_empty() {
                continue; // read with its file below
            }
            let Some(source) = self.files.get(&module.file) else {
                continue;
            };
            let here = |scope: &[String]| {
                let mut path = module_path.clone();
                path.extend(scope.iter().cloned());
                path
            };
            let imports = source
                .imports
                .iter()
                .filter(|i| !i.public)
                .map(|i| (here(&i.scope), i.path.clone(), i.line));
            let paths = source
                .paths
                .iter()
                .map(|p| (here(&p.scope), p.path.clone(), p.line));
            for (scope, path, line) in imports.chain(paths) {
                let Some(absolute) = self.absolute(&scope, &path) else {
                    continue;
                };
                let Some(to) = self.resolve(&absolute, 0) else {
                    continue;
                };
                if to != module.file {
                    edges.insert(Edge {
                        from: module.file.clone(),
                        to,
                        line,
                        path: path.join("::"),
                    });
                }
            }
        }
        edges.into_iter().collect()
    }

    /// `path`, written in module `scope`, as a path from the crate root; `None` when it does
    /// not start in this crate.
    fn absolute(&self, scope: &[String], path: &[String]) -> Option<Vec<String>> {
        let first = path.first()?;
        let mut absolute = match first.as_str() {
            "crate" => Vec::new(),
            "self" => scope.to_vec(),
            "super" => {
                let mut up = scope.to_vec();
                let mut rest = path;
                while rest.first().is_some_and(|s| s == "super") {
                    up.pop()?;
                    rest = &rest[1..];
                }
                up.extend(rest.iter().cloned());
                return Some(up);
            }
            child => {
                let mut module = scope.to_vec();
                module.push(child.to_owned());
                if !self.modules.contains_key(&module) {
                    return None;
                }
                scope.to_vec()
            }
        };
        let skip = usize::from(matches!(first.as_str(), "crate" | "self"));
        absolute.extend(path[skip..].iter().cloned());
        Some(absolute)
    }

    /// The file that defines what the absolute `path` names (following imports, re-exports
    /// included), or `None` when it names nothing in this crate.
    fn resolve(&self, path: &[String], hops: usize) -> Option<PathBuf> {
        let mut module = Vec::new();
        let mut rest = path;
        while let Some(first) = rest.first() {
            module.push(first.clone());
            if !self.modules.contains_key(&module) {
                module.pop();
                break;
            }
            rest = &rest[1..];
        }
        let found = self.modules.get(&module)?;
        let Some(item) = rest.first() else {
            return Some(found.file.clone());
        };
        if hops > 16 {
            return Some(found.file.clone());
        }
        let source = self.files.get(&found.file)?;
        let in_module = |i: &&crate::source_file::Import| i.scope == found.inline;
        // An explicit import (or re-export) of the name: go where it points.
        if let Some(import) = source
            .imports
            .iter()
            .filter(in_module)
            .find(|i| i.binds.as_deref() == Some(item.as_str()))
        {
            if let Some(mut target) = self.absolute(&module, &import.path) {
                target.extend(rest[1..].iter().cloned());
                return self.resolve(&target, hops + 1).or(Some(found.file.clone()));
            }
            return Some(found.file.clone());
        }
        if source.defines.iter().any(|d| d == item) {
            return Some(found.file.clone());
        }
        // A glob import that provides the name.
        for import in source.imports.iter().filter(in_module).filter(|i| i.glob) {
            let Some(mut target) = self.absolute(&module, &import.path) else {
                continue;
            };
            if self.provides(&target, item) {
                target.extend(rest.iter().cloned());
                return self.resolve(&target, hops + 1);
            }
        }
        Some(found.file.clone())
    }

    /// Whether module `path` defines or imports `name`.
    fn provides(&self, path: &[String], name: &str) -> bool {
        let Some(module) = self.modules.get(path) else {
            return false;
        };
        let mut child = path.to_vec();
        child.push(name.to_owned());
        self.modules.contains_key(&child)
            || self.files.get(&module.file).is_some_and(|source| {
                source.defines.iter().any(|d| d == name)
                    || source
                        .imports
                        .iter()
                        .any(|i| i.scope == module.inline && i.binds.as_deref() == Some(name))
            })
    }
}

/// The circles of `edges`: every group of two or more files that reach one another
/// (Tarjan's strongly connected components), each sorted, in sorted order.
pub fn circles(edges: &[Edge]) -> Vec<Vec<PathBuf>> {
    let mut nodes: BTreeMap<&PathBuf, Vec<&PathBuf>> = BTreeMap::new();
    for edge in edges {
        nodes.entry(&edge.from).or_default().push(&edge.to);
        nodes.entry(&edge.to).or_default();
    }
    let names: Vec<&PathBuf> = nodes.keys().copied().collect();
    let index_of: HashMap<&PathBuf, usize> =
        names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let successors: Vec<Vec<usize>> = names
        .iter()
        .map(|n| nodes[n].iter().map(|to| index_of[to]).collect())
        .collect();

    struct Tarjan<'a> {
        successors: &'a [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        components: Vec<Vec<usize>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, v: usize) {
            self.index[v] = Some(self.next);
            self.low[v] = self.next;
            self.next += 1;
            self.stack.push(v);
            self.on_stack[v] = true;
            for &w in &self.successors[v] {
                match self.index[w] {
                    None => {
                        self.visit(w);
                        self.low[v] = self.low[v].min(self.low[w]);
                    }
                    Some(index) if self.on_stack[w] => self.low[v] = self.low[v].min(index),
                    Some(_) => {}
                }
            }
            if Some(self.low[v]) == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                self.components.push(component);
            }
        }
    }
    let count = names.len();
    let mut tarjan = Tarjan {
        successors: &successors,
        index: vec![None; count],
        low: vec![0; count],
        on_stack: vec![false; count],
        stack: Vec::new(),
        next: 0,
        components: Vec::new(),
    };
    for v in 0..count {
        if tarjan.index[v].is_none() {
            tarjan.visit(v);
        }
    }
    let mut found: Vec<Vec<PathBuf>> = tarjan
        .components
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| {
            let mut files: Vec<PathBuf> = c.into_iter().map(|v| names[v].clone()).collect();
            files.sort();
            files
        })
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::{ModuleTree, circles};
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};

    fn tree(files: &[(&str, &str)]) -> ModuleTree {
        let files: HashMap<PathBuf, String> = files
            .iter()
            .map(|(path, text)| (PathBuf::from(path), (*text).to_owned()))
            .collect();
        ModuleTree::load(Path::new("src/lib.rs"), &|p| files.get(p).cloned())
    }

    fn circles_of(files: &[(&str, &str)]) -> Vec<Vec<String>> {
        circles(&tree(files).edges())
            .into_iter()
            .map(|c| c.iter().map(|p| p.display().to_string()).collect())
            .collect()
    }

    #[test]
    fn two_siblings_that_use_each_other_are_a_circle() {
        let found = circles_of(&[
            ("src/lib.rs", "mod a;\nmod b;\npub use a::A;"),
            ("src/a.rs", "use crate::b::B;\npub struct A;"),
            ("src/b/mod.rs", "pub struct B;\nfn f() { super::a::A; }"),
        ]);
        assert_eq!(found, [["src/a.rs", "src/b/mod.rs"]]);
    }

    #[test]
    fn a_loop_through_three_files_is_one_circle() {
        let found = circles_of(&[
            ("src/lib.rs", "mod a; mod b; mod c;"),
            ("src/a.rs", "pub fn a() { crate::b::b() }"),
            ("src/b.rs", "pub fn b() { crate::c::c() }"),
            ("src/c.rs", "use crate::a::a;\npub fn c() {}"),
        ]);
        assert_eq!(found, [["src/a.rs", "src/b.rs", "src/c.rs"]]);
    }

    #[test]
    fn re_exports_lead_to_the_defining_file_and_are_not_uses() {
        // lib.rs re-exports a and b and defines Store; a uses Store and (through the root)
        // b's error; b uses nothing of a. No circle: the facade is not a use.
        let found = circles_of(&[
            (
                "src/lib.rs",
                "mod a; mod b; mod c;\npub use a::Thing;\npub use b::*;\npub struct Store;",
            ),
            ("src/a.rs", "use crate::{Store, Error};\npub struct Thing;"),
            ("src/b.rs", "pub enum Error {}\nfn f() { crate::c::g() }"),
            ("src/c.rs", "pub fn g() {}"),
        ]);
        assert!(found.is_empty(), "{found:?}");
        let edges: Vec<(String, String)> = tree(&[
            ("src/lib.rs", "mod a; mod b;\npub use b::*;"),
            ("src/a.rs", "use crate::Error;"),
            ("src/b.rs", "pub enum Error {}"),
        ])
        .edges()
        .into_iter()
        .map(|e| (e.from.display().to_string(), e.to.display().to_string()))
        .collect();
        assert_eq!(edges, [("src/a.rs".into(), "src/b.rs".into())]);
    }

    #[test]
    fn a_parent_that_uses_a_child_that_uses_it_is_a_circle() {
        let found = circles_of(&[
            (
                "src/lib.rs",
                "mod a;\npub struct Config;\nfn f() { a::run() }",
            ),
            ("src/a.rs", "use crate::Config;\npub fn run() {}"),
        ]);
        assert_eq!(found, [["src/a.rs", "src/lib.rs"]]);
    }

    #[test]
    fn tests_inside_a_file_use_the_file_itself() {
        let found = circles_of(&[
            ("src/lib.rs", "mod a; mod b;"),
            (
                "src/a.rs",
                "pub fn a() {}\n#[cfg(test)]\nmod tests { use super::*; use crate::b::B; }",
            ),
            (
                "src/b.rs",
                "pub struct B;\n#[cfg(test)]\nmod tests { use super::*; }",
            ),
        ]);
        assert!(found.is_empty(), "{found:?}");
    }
}
