//! What one source file says about modules: the `mod` files it declares, the names it
//! defines, its `use` items, and the other paths it writes that may name a module of its own
//! crate (`crate::…`, `super::…`, `self::…`, `child::…`). Positions are kept per inline module
//! (`mod tests { … }`), because `super::` inside one means the file itself.

use crate::lexer::{Kind, Token, tokens};

/// A `use` leaf: `use crate::a::{b, c as d, e::*}` gives three.
#[derive(Debug, Clone)]
pub struct Import {
    /// Inline modules of the file the `use` sits in (empty at file level).
    pub scope: Vec<String>,
    /// The path as written, `crate`/`super`/`self` included.
    pub path: Vec<String>,
    /// The name the import binds (`None` for a glob or `as _`).
    pub binds: Option<String>,
    pub glob: bool,
    /// `pub use`/`pub(crate) use`: a re-export, which makes the item reachable through this
    /// module rather than using it here.
    pub public: bool,
    pub line: usize,
}

/// A path outside `use` whose first segment may be a module of the crate.
#[derive(Debug, Clone)]
pub struct PathRef {
    pub scope: Vec<String>,
    pub path: Vec<String>,
    pub line: usize,
}

/// A `mod name;` declaration (a module in another file).
#[derive(Debug, Clone)]
pub struct ModDecl {
    pub scope: Vec<String>,
    pub name: String,
}

#[derive(Debug, Default)]
pub struct SourceFile {
    pub mods: Vec<ModDecl>,
    /// Inline modules, as paths of names below the file's own module.
    pub inline_mods: Vec<Vec<String>>,
    /// Names of items defined anywhere in the file (functions, types, constants, macros).
    pub defines: Vec<String>,
    pub imports: Vec<Import>,
    pub paths: Vec<PathRef>,
}

const ITEM_KEYWORDS: &[&str] = &[
    "fn", "struct", "enum", "trait", "type", "const", "static", "union",
];

/// Reads the module facts of `source`.
pub fn parse(source: &str) -> SourceFile {
    let tokens = tokens(source);
    let mut file = SourceFile::default();
    // Inline modules open around the cursor: (name, brace depth inside it).
    let mut scope: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut public = false;
    let mut i = 0;
    while i < tokens.len() {
        let names: Vec<String> = scope.iter().map(|(name, _)| name.clone()).collect();
        let token = &tokens[i];
        match &token.kind {
            Kind::Open => depth += 1,
            Kind::Close => {
                if scope.last().is_some_and(|(_, d)| *d == depth) {
                    scope.pop();
                }
                depth = depth.saturating_sub(1);
            }
            Kind::Ident(word) if word == "pub" => {
                public = true;
                i += 1;
                if tokens.get(i).map(|t| &t.kind) == Some(&Kind::OpenParen) {
                    while tokens.get(i).is_some_and(|t| t.kind != Kind::CloseParen) {
                        i += 1;
                    }
                    i += 1;
                }
                continue;
            }
            Kind::Ident(word) if word == "use" => {
                i = use_item(&tokens, i + 1, &names, public, &mut file.imports);
                public = false;
                continue;
            }
            Kind::Ident(word) if word == "mod" => {
                if let Some(name) = tokens.get(i + 1).and_then(Token::ident) {
                    match tokens.get(i + 2).map(|t| &t.kind) {
                        Some(Kind::Semi) => file.mods.push(ModDecl {
                            scope: names.clone(),
                            name: name.to_owned(),
                        }),
                        Some(Kind::Open) => {
                            let mut inline = names.clone();
                            inline.push(name.to_owned());
                            file.inline_mods.push(inline);
                            scope.push((name.to_owned(), depth + 1));
                        }
                        _ => {}
                    }
                    file.defines.push(name.to_owned());
                }
            }
            Kind::Ident(word) if ITEM_KEYWORDS.contains(&word.as_str()) => {
                if let Some(name) = tokens.get(i + 1).and_then(Token::ident) {
                    file.defines.push(name.to_owned());
                }
            }
            Kind::Ident(word)
                if word == "macro_rules"
                    && tokens.get(i + 1).map(|t| &t.kind) == Some(&Kind::Bang) =>
            {
                if let Some(name) = tokens.get(i + 2).and_then(Token::ident) {
                    file.defines.push(name.to_owned());
                }
            }
            Kind::Ident(_) if starts_path(&tokens, i) => {
                let line = token.line;
                let (path, next) = read_path(&tokens, i);
                file.paths.push(PathRef {
                    scope: names,
                    path,
                    line,
                });
                public = false;
                i = next;
                continue;
            }
            _ => {}
        }
        public = false;
        i += 1;
    }
    file
}

/// Whether the identifier at `i` begins a path of two segments or more (`a::b`), not one
/// that continues a path or follows `$` (`$crate` is read as `crate`).
fn starts_path(tokens: &[Token], i: usize) -> bool {
    let before = i.checked_sub(1).map(|b| &tokens[b].kind);
    let continues = matches!(before, Some(Kind::PathSep));
    !continues && tokens.get(i + 1).map(|t| &t.kind) == Some(&Kind::PathSep)
}

/// `a::b::c` from `i`: the segments, and the index after them.
fn read_path(tokens: &[Token], mut i: usize) -> (Vec<String>, usize) {
    let mut path = Vec::new();
    while let Some(name) = tokens.get(i).and_then(Token::ident) {
        path.push(name.to_owned());
        i += 1;
        if tokens.get(i).map(|t| &t.kind) != Some(&Kind::PathSep) {
            break;
        }
        i += 1;
    }
    (path, i)
}

/// Reads a use tree from `i` (just after `use`) to its `;`, pushing its leaves; returns the
/// index after the `;`.
fn use_item(
    tokens: &[Token],
    i: usize,
    scope: &[String],
    public: bool,
    out: &mut Vec<Import>,
) -> usize {
    let line = tokens.get(i).map_or(0, |t| t.line);
    let mut leaf = |path: Vec<String>, binds: Option<String>, glob: bool| {
        out.push(Import {
            scope: scope.to_vec(),
            path,
            binds,
            glob,
            public,
            line,
        })
    };
    let next = use_tree(tokens, i, &[], &mut leaf);
    let mut j = next;
    while tokens.get(j).is_some_and(|t| t.kind != Kind::Semi) {
        j += 1;
    }
    j + 1
}

/// One use tree under `prefix`, from `i`; returns the index after it.
fn use_tree(
    tokens: &[Token],
    mut i: usize,
    prefix: &[String],
    leaf: &mut dyn FnMut(Vec<String>, Option<String>, bool),
) -> usize {
    let mut path = prefix.to_vec();
    loop {
        match tokens.get(i).map(|t| &t.kind) {
            Some(Kind::PathSep) | Some(Kind::Dollar) => i += 1,
            Some(Kind::Ident(name)) if name == "self" && !path.is_empty() => {
                // `a::{self}` binds `a`.
                i += 1;
                let binds = path.last().cloned();
                return finish(tokens, i, path, binds, leaf);
            }
            Some(Kind::Ident(name)) => {
                path.push(name.clone());
                i += 1;
                if tokens.get(i).map(|t| &t.kind) != Some(&Kind::PathSep) {
                    let binds = path.last().cloned();
                    return finish(tokens, i, path, binds, leaf);
                }
            }
            Some(Kind::Star) => {
                leaf(path, None, true);
                return i + 1;
            }
            Some(Kind::Open) => {
                i += 1;
                loop {
                    match tokens.get(i).map(|t| &t.kind) {
                        Some(Kind::Close) => return i + 1,
                        Some(Kind::Comma) => i += 1,
                        None => return i,
                        _ => i = use_tree(tokens, i, &path, leaf),
                    }
                }
            }
            _ => return i,
        }
    }
}

/// After a use path: an optional `as name`, then the leaf.
fn finish(
    tokens: &[Token],
    mut i: usize,
    path: Vec<String>,
    mut binds: Option<String>,
    leaf: &mut dyn FnMut(Vec<String>, Option<String>, bool),
) -> usize {
    if tokens.get(i).and_then(Token::ident) == Some("as") {
        binds = tokens
            .get(i + 1)
            .and_then(Token::ident)
            .map(str::to_owned)
            .filter(|name| name != "_");
        i += 2;
    }
    leaf(path, binds, false);
    i
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn use_trees_give_one_leaf_each() {
        let file = parse("pub(crate) use crate::a::{self, b as c, d::{e, *}};\nuse std::fmt;");
        let leaves: Vec<(String, Option<String>, bool, bool)> = file
            .imports
            .iter()
            .map(|i| (i.path.join("::"), i.binds.clone(), i.glob, i.public))
            .collect();
        assert_eq!(
            leaves,
            [
                ("crate::a".into(), Some("a".into()), false, true),
                ("crate::a::b".into(), Some("c".into()), false, true),
                ("crate::a::d::e".into(), Some("e".into()), false, true),
                ("crate::a::d".into(), None, true, true),
                ("std::fmt".into(), Some("fmt".into()), false, false),
            ]
        );
    }

    #[test]
    fn paths_mods_and_definitions_are_found_with_their_inline_module() {
        let file = parse(
            "mod jobs;\npub struct Store;\nfn f() { crate::jobs::insert(); }\n\
             #[cfg(test)]\nmod tests {\n    use super::*;\n    fn g() { $crate::x::y(); }\n}\nfn h() {}",
        );
        assert_eq!(file.mods.len(), 1);
        assert_eq!(file.inline_mods, [vec!["tests".to_owned()]]);
        assert!(file.defines.iter().any(|d| d == "Store"));
        let paths: Vec<(Vec<String>, String)> = file
            .paths
            .iter()
            .map(|p| (p.scope.clone(), p.path.join("::")))
            .collect();
        assert_eq!(
            paths,
            [
                (vec![], "crate::jobs::insert".to_owned()),
                (vec!["tests".to_owned()], "crate::x::y".to_owned()),
            ]
        );
        assert_eq!(file.imports[0].scope, ["tests"]);
    }
}
