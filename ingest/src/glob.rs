//! The glob patterns edge rules are written in: `*` (any run of characters), `?` (any one
//! character) and `|` between alternatives (`beetmover*|balrog*`). Nothing else is special.
//!
//! Hand-written because it is a dozen lines and the rules are matched for every edge of a
//! graph; a regex engine would be a heavy dependency for this.

use std::fmt;

/// A glob with alternatives. Matching is case-sensitive, over characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    alternatives: Vec<Vec<char>>,
    text: String,
}

impl Glob {
    /// Matches anything, the empty text included.
    pub fn any() -> Glob {
        Glob::new("*")
    }

    /// The glob written as `pattern` (split on `|`).
    pub fn new(pattern: &str) -> Glob {
        Glob {
            alternatives: pattern.split('|').map(|a| a.chars().collect()).collect(),
            text: pattern.to_owned(),
        }
    }

    /// Whether this glob is `*`, i.e. places no condition.
    pub fn is_any(&self) -> bool {
        self.alternatives.iter().any(|a| a.as_slice() == ['*'])
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        self.alternatives.iter().any(|a| wildcard(a, &text))
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Linear-time wildcard matching: on a mismatch, let the last `*` swallow one more character.
fn wildcard(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(c) if *c == '?' || *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, text: &str, expected: bool) {
        assert_eq!(
            Glob::new(pattern).matches(text),
            expected,
            "{pattern} ~ {text}"
        );
    }

    #[test]
    fn wildcards_and_alternatives() {
        check("*", "", true);
        check("*", "anything", true);
        check("", "", true);
        check("", "x", false);
        check("build", "build", true);
        check("build", "build-signing", false);
        check("build*", "build-signing", true);
        check("*l10n*", "shippable-l10n-signing", true);
        check("*l10n*", "l10n", true);
        check("*l10n*", "l1On", false);
        check("test-?", "test-1", true);
        check("test-?", "test-12", false);
        check("a*b*c", "aXXbYYc", true);
        check("a*b*c", "aXXbYY", false);
        check("beetmover*|balrog*", "balrog-submit", true);
        check("beetmover*|balrog*", "release-balrog", false);
        check("**x", "abx", true);
        check("é*", "été", true);
    }

    #[test]
    fn any_is_recognised() {
        assert!(Glob::any().is_any());
        assert!(Glob::new("x|*").is_any());
        assert!(!Glob::new("x*").is_any());
    }
}
