//! Python text semantics that Treeherder's output depends on.
//!
//! Treeherder's parser is Python: `str.rstrip()` strips Python's idea of whitespace, and its
//! regular expressions run on `str`, where `\d`, `\s` and `\w` are Unicode classes. To give
//! byte-for-byte the same error lines, the matchers in `rules.rs` use these predicates instead
//! of Rust's slightly different `char::is_whitespace` / `is_ascii_digit`.

/// `str.isspace()` in Python, which is also what `\s` and `str.rstrip()` use.
///
/// Unlike Rust's `char::is_whitespace` it includes the information separators U+001C..U+001F.
pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | '\u{1c}'..='\u{20}'
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// `str.rstrip()` with no argument.
pub(crate) fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// The first code point of every run of ten decimal digits (general category Nd) in the
/// Unicode database (14.0) Python uses; every Nd digit lies in such a run.
const DIGIT_ZEROS: [u32; 66] = [
    0x30, 0x660, 0x6F0, 0x7C0, 0x966, 0x9E6, 0xA66, 0xAE6, 0xB66, 0xBE6, 0xC66, 0xCE6, 0xD66,
    0xDE6, 0xE50, 0xED0, 0xF20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x16A60, 0x16AC0, 0x16B50,
    0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E950, 0x1FBF0,
];

/// `\d` in a Python `str` pattern: any decimal digit, not only ASCII ones.
pub(crate) fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    let c = c as u32;
    let run = DIGIT_ZEROS.partition_point(|&zero| zero <= c);
    run > 0 && c - DIGIT_ZEROS[run - 1] < 10
}

/// `\w` in a Python `str` pattern.
///
/// Python's definition is `str.isalnum()` or `_`; Rust's `is_alphanumeric` differs only for
/// a few combining marks and symbols with the Other_Alphabetic property, which never occur
/// where the rules use `\w` (a `[name:error]` tag).
pub(crate) fn is_word(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Strips a run of at least one `\d` from the front of `s`.
pub(crate) fn strip_digits1(s: &str) -> Option<&str> {
    let rest = s.trim_start_matches(is_digit);
    (rest.len() < s.len()).then_some(rest)
}

/// Whether `s` ends with at least one `\d`, and where that maximal run of digits starts.
pub(crate) fn trailing_digits_start(s: &str) -> Option<usize> {
    let start = s.trim_end_matches(is_digit).len();
    (start < s.len()).then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn space_matches_python_isspace() {
        let spaces: Vec<char> = (0..=0x3000u32)
            .filter_map(char::from_u32)
            .filter(|&c| is_space(c))
            .collect();
        let python: Vec<char> = [
            0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000,
            0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028,
            0x2029, 0x202f, 0x205f, 0x3000,
        ]
        .iter()
        .filter_map(|&c| char::from_u32(c))
        .collect();
        assert_eq!(spaces, python);
    }

    #[test]
    fn digits() {
        for (c, expected) in [
            ('0', true),
            ('9', true),
            ('a', false),
            ('/', false),
            (':', false),
            ('\u{660}', true),  // ARABIC-INDIC DIGIT ZERO
            ('\u{669}', true),  // ARABIC-INDIC DIGIT NINE
            ('\u{66a}', false), // ARABIC PERCENT SIGN
            ('\u{ff19}', true), // FULLWIDTH DIGIT NINE
            ('\u{b2}', false),  // SUPERSCRIPT TWO is No, not Nd
            ('\u{1fbf9}', true),
            ('\u{1fbfa}', false),
        ] {
            assert_eq!(is_digit(c), expected, "{c:?}");
        }
    }

    #[test]
    fn rstrip_like_python() {
        assert_eq!(rstrip("a b \t\u{1f}\u{a0}\u{3000}"), "a b");
        assert_eq!(rstrip("a\u{200b}"), "a\u{200b}"); // ZERO WIDTH SPACE is not whitespace
        assert_eq!(rstrip("   "), "");
    }
}
