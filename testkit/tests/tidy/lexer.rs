//! Rust source reduced to the tokens the tidy checks read: identifiers, `::`, braces,
//! parentheses and a few punctuation marks, each with its line. Comments, strings and
//! character literals are dropped, so a path written in a doc comment or a message is never
//! mistaken for an import. This is not a Rust parser: it knows just enough to follow `mod`,
//! `use` and `crate::`/`super::`/`self::` paths.

/// What a token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Ident(String),
    /// `::`
    PathSep,
    /// `{`
    Open,
    /// `}`
    Close,
    /// `(`
    OpenParen,
    /// `)`
    CloseParen,
    Comma,
    Semi,
    Star,
    Bang,
    Dollar,
    /// Anything else: operators, numbers, lifetimes, `#`, `[`, ...
    Other,
}

/// A token and the line (from 1) it starts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub line: usize,
}

impl Token {
    pub fn ident(&self) -> Option<&str> {
        match &self.kind {
            Kind::Ident(name) => Some(name),
            _ => None,
        }
    }
}

/// The tokens of `source`.
pub fn tokens(source: &str) -> Vec<Token> {
    Lexer {
        chars: source.chars().collect(),
        at: 0,
        line: 1,
        out: Vec::new(),
    }
    .run()
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
    line: usize,
    out: Vec<Token>,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    /// Moves one character on, counting lines.
    fn bump(&mut self) {
        if self.peek(0) == Some('\n') {
            self.line += 1;
        }
        self.at += 1;
    }

    fn push(&mut self, kind: Kind, line: usize) {
        self.out.push(Token { kind, line });
    }

    fn run(mut self) -> Vec<Token> {
        while let Some(c) = self.peek(0) {
            let line = self.line;
            match c {
                '/' if self.peek(1) == Some('/') => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                '/' if self.peek(1) == Some('*') => self.block_comment(),
                '"' => self.string(),
                '\'' => self.quote(),
                c if c == '_' || c.is_alphabetic() => self.word(),
                c if c.is_ascii_digit() => {
                    while self
                        .peek(0)
                        .is_some_and(|c| c.is_alphanumeric() || c == '_')
                        || (self.peek(0) == Some('.')
                            && self.peek(1).is_some_and(|c| c.is_ascii_digit()))
                    {
                        self.bump();
                    }
                    self.push(Kind::Other, line);
                }
                ':' if self.peek(1) == Some(':') => {
                    self.bump();
                    self.bump();
                    self.push(Kind::PathSep, line);
                }
                c if c.is_whitespace() => self.bump(),
                c => {
                    let kind = match c {
                        '{' => Kind::Open,
                        '}' => Kind::Close,
                        '(' => Kind::OpenParen,
                        ')' => Kind::CloseParen,
                        ',' => Kind::Comma,
                        ';' => Kind::Semi,
                        '*' => Kind::Star,
                        '!' => Kind::Bang,
                        '$' => Kind::Dollar,
                        _ => Kind::Other,
                    };
                    self.bump();
                    self.push(kind, line);
                }
            }
        }
        self.out
    }

    /// `/* ... */`, nested as Rust nests them.
    fn block_comment(&mut self) {
        let mut depth = 0usize;
        while let Some(c) = self.peek(0) {
            if c == '/' && self.peek(1) == Some('*') {
                depth += 1;
                self.bump();
            } else if c == '*' && self.peek(1) == Some('/') {
                depth -= 1;
                self.bump();
                if depth == 0 {
                    self.bump();
                    return;
                }
            }
            self.bump();
        }
    }

    /// A `"..."` string (the opening quote under the cursor), escapes included.
    fn string(&mut self) {
        self.bump();
        while let Some(c) = self.peek(0) {
            self.bump();
            match c {
                '\\' => self.bump(),
                '"' => return,
                _ => {}
            }
        }
    }

    /// `r"..."`, `r#"..."#`: the cursor is on the first `#` or the quote.
    fn raw_string(&mut self) {
        let mut hashes = 0;
        while self.peek(0) == Some('#') {
            hashes += 1;
            self.bump();
        }
        self.bump(); // the opening quote
        while let Some(c) = self.peek(0) {
            self.bump();
            if c == '"' && (0..hashes).all(|i| self.peek(i) == Some('#')) {
                for _ in 0..hashes {
                    self.bump();
                }
                return;
            }
        }
    }

    /// A character literal (`'a'`, `'\n'`, `'\u{1F600}'`) or a lifetime (`'a`).
    fn quote(&mut self) {
        let line = self.line;
        self.bump();
        if self.peek(0) == Some('\\') {
            self.bump();
            self.bump();
            while self.peek(0).is_some_and(|c| c != '\'') {
                self.bump();
            }
            self.bump();
        } else if self.peek(1) == Some('\'') {
            self.bump();
            self.bump();
        } else {
            while self
                .peek(0)
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                self.bump();
            }
        }
        self.push(Kind::Other, line);
    }

    /// An identifier or keyword, or the prefix of a raw string (`r"`, `br#"`), a byte
    /// literal (`b'x'`, `b"x"`) or a raw identifier (`r#type`).
    fn word(&mut self) {
        let line = self.line;
        let start = self.at;
        while self
            .peek(0)
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
        {
            self.bump();
        }
        let word: String = self.chars[start..self.at].iter().collect();
        let next = self.peek(0);
        match (word.as_str(), next) {
            ("r" | "br" | "cr", Some('"')) => self.raw_string(),
            ("r" | "br" | "cr", Some('#')) if matches!(self.peek(1), Some('"') | Some('#')) => {
                self.raw_string()
            }
            ("r", Some('#')) => {
                self.bump();
                let start = self.at;
                while self
                    .peek(0)
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
                {
                    self.bump();
                }
                let name = self.chars[start..self.at].iter().collect();
                self.push(Kind::Ident(name), line);
            }
            ("b" | "c", Some('"')) => self.string(),
            ("b", Some('\'')) => self.quote(),
            _ => self.push(Kind::Ident(word), line),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, tokens};

    fn idents(source: &str) -> Vec<String> {
        tokens(source)
            .into_iter()
            .filter_map(|t| match t.kind {
                Kind::Ident(name) => Some(name),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn comments_strings_and_chars_are_not_code() {
        let source = r##"
            // use crate::a;
            /* use crate::b; /* nested */ still a comment */
            let s = "use crate::c; \" still a string";
            let r = r#"use crate::d; "quoted" "#;
            let c = '"'; let e = '\''; let b = b'x';
            fn f<'a>(x: &'a str) {}
            let t = r#type;
        "##;
        assert_eq!(
            idents(source),
            [
                "let", "s", "let", "r", "let", "c", "let", "e", "let", "b", "fn", "f", "x", "str",
                "let", "t", "type"
            ]
        );
    }

    #[test]
    fn lines_are_counted_through_comments_and_strings() {
        let found = tokens("/* one\ntwo */ \"three\nfour\" x");
        assert_eq!(found.last().map(|t| t.line), Some(3));
    }
}
