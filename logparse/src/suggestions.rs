//! What Treeherder's bug suggestions derive from one error line of a failed job: the cleaned
//! line, its search terms and test path, its crash signature, and the key under which its
//! recurrences are counted (autoclassification).
//!
//! The rules are those of Treeherder's `treeherder/model/error_summary.py`
//! (`get_cleaned_line`, `cache_clean_error_line`, `get_error_search_term_and_path`,
//! `get_crash_signature`, `is_helpful_search_term`), rewritten as plain string scanning: every
//! pattern there is a literal interleaved with greedy character runs that the next literal
//! cannot continue, so no backtracking is needed and every function is linear in the line.
//! Python's Unicode `\d` and `\s` come from `pytext`. Pure: no IO, no bug database — the
//! search with these terms belongs to the store.

use std::borrow::Cow;

use crate::pytext::{is_digit, is_space};

/// Everything the bug suggestions and autoclassification use for one raw error line, computed
/// the way Treeherder's `bug_suggestions_line` does: first [`cleaned`], then the rest on the
/// cleaned line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineSearch {
    /// The line with the mozharness prefix and process ids removed ([`cleaned`]).
    pub cleaned: String,
    /// The search terms and test path of the cleaned line ([`search_terms`]).
    pub terms: SearchTerms,
    /// The crash signature of the cleaned line ([`crash_signature`]). Treeherder adds it to
    /// the search terms only when those found no bug; that decision is the caller's.
    pub crash_signature: Option<String>,
    /// The key its recurrences are counted under ([`recurrence_key`] of the cleaned line).
    pub recurrence_key: String,
}

impl LineSearch {
    /// Derives everything from a raw error line (as stored in the error summary).
    pub fn of(line: &str) -> Self {
        let cleaned = cleaned(line);
        LineSearch {
            terms: search_terms(&cleaned),
            crash_signature: crash_signature(&cleaned),
            recurrence_key: recurrence_key(&cleaned),
            cleaned,
        }
    }
}

/// What a raw error line's recurrences are counted under, as [`LineSearch::of`] derives them
/// (without the crash signature, which autoclassification does not use): the test path on the
/// cleaned line (empty when none) and its [`recurrence_key`].
pub fn recurrence(line: &str) -> (String, String) {
    let cleaned = cleaned(line);
    (
        search_terms(&cleaned).path_end.unwrap_or_default(),
        recurrence_key(&cleaned),
    )
}

/// The search terms of a line and the test path found on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchTerms {
    /// Most specific first: one term, or two for a test name with `?parameters` (the term and
    /// the name without them). Empty where Treeherder has `[None]` (no helpful term); a term
    /// may be empty where Treeherder's is `""`.
    pub terms: Vec<String>,
    /// The test path on the line (`path_end`), if any.
    pub path_end: Option<String>,
}

/// Terms that would match too many bug summaries (Treeherder's blacklist).
const UNHELPFUL: &[&str] = &[
    "automation.py",
    "remoteautomation.py",
    "Shutdown",
    "undefined",
    "Main app process exited normally",
    "Traceback (most recent call last):",
    "Return code: 0",
    "Return code: 1",
    "Return code: 2",
    "Return code: 10",
    "mozalloc_abort(char const*)",
    "mozalloc_abort",
    "CrashingThread(void *)",
    "gtest",
    "Last test finished",
    "leakcheck",
    "LeakSanitizer",
    "# TBPL FAILURE #",
];

/// Bugzilla summaries are at most 256 characters; longer terms only add false negatives.
const MAX_TERM_CHARS: usize = 100;

/// Whether a term is specific enough to search for: longer than 4 characters once stripped
/// and not a known generic string.
pub fn is_helpful_search_term(term: &str) -> bool {
    let term = term.trim_matches(is_space);
    term.chars().nth(4).is_some() && !UNHELPFUL.contains(&term)
}

/// The line without the mozharness `HH:MM:SS LEVEL - ` prefix and surrounding whitespace,
/// without `PID n | ` / `GECKO(n) | ` and a leading `[n] `, with `.cpp:` line numbers and
/// `[Child n, Name Thread` / `[Parent n, Name Thread` masked as `X` / `Y`.
pub fn cleaned(line: &str) -> String {
    use Piece::*;
    const LEVELS: [&str; 6] = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "FATAL"];
    let prefix = LEVELS.iter().find_map(|level| {
        let pattern = [
            UDigits,
            Lit(":"),
            UDigits,
            Lit(":"),
            UDigits,
            Spaces,
            Lit(level),
            Lit(" - "),
            OptSpace,
        ];
        match_len(line, &pattern)
    });
    let line = line[prefix.unwrap_or(0)..].trim_matches(is_space);
    let line = replace_all(
        line,
        &[
            &[Lit("PID "), UDigits, Lit(" |"), Spaces],
            &[Lit("GECKO("), UDigits, Lit(") |"), Spaces],
        ],
        "",
    );
    let line = replace_all(&line, &[&[AnyChar, Lit("cpp:"), Digits]], ".cpp:X");
    let line = replace_all(
        &line,
        &[&[Lit("[Child "), Digits, Lit(", "), Letters, Lit(" Thread")]],
        "[Child X, Y Thread",
    );
    let line = replace_all(
        &line,
        &[&[Lit("[Parent "), Digits, Lit(", "), Letters, Lit(" Thread")]],
        "[Parent X, Y Thread",
    );
    let pid = match_len(&line, &[Lit("["), UDigits, Lit("]"), Spaces]);
    line[pid.unwrap_or(0)..].to_owned()
}

/// The key under which recurrences of a (cleaned) line are counted: decimals, leak sizes,
/// `value=`s, `got n, expected m`, localhost ports and `finished in n ms` masked.
pub fn recurrence_key(line: &str) -> String {
    use Piece::*;
    let rules: [(&[Piece], &str); 7] = [
        (&[Lit(" "), Digits, Lit("."), Digits, Lit(" ")], " X "),
        (
            &[Lit(" leaked "), Digits, Lit(" windows")],
            " leaked X window(s)",
        ),
        (&[Lit(" "), Digits, Lit(" bytes leaked")], " X bytes leaked"),
        (&[Lit(" value="), Digits], " value=*"),
        (
            &[Lit("ot "), Digits, Lit(", expected "), Digits],
            "ot X, expected Y",
        ),
        (
            &[Lit(" http://localhost:"), Digits, Lit("/")],
            " http://localhost:X/",
        ),
        (&[Lit(" finished in "), UDigits, Lit("ms")], " finished"),
    ];
    let mut key = Cow::Borrowed(line);
    for (pattern, replacement) in rules {
        if let Cow::Owned(changed) = replaced(&key, &[pattern], replacement) {
            key = Cow::Owned(changed);
        }
    }
    key.into_owned()
}

/// The search terms of a (cleaned) line and its test path, as Treeherder derives them from a
/// `FAILURE-TYPE | test path | message` line (for a crash, `PROCESS-CRASH | message | test`):
/// the leaked objects of a leak, the crash message of a crash, else the file name of the test;
/// the whole line when that is not helpful; `TEST-UNEXPECTED-…  | ` / `PROCESS-CRASH | `
/// removed and cut to 100 characters.
pub fn search_terms(line: &str) -> SearchTerms {
    if line.is_empty() {
        // Treeherder has no answer here (its function returns `None` and its caller fails).
        return SearchTerms::default();
    }
    let mut term: Option<String> = None;
    let mut path_end: Option<String> = None;
    let tokens: Vec<&str> = line.splitn(4, " | ").collect();
    if let [first, second, third, ..] = tokens[..] {
        let is_crash = first.contains("PROCESS-CRASH");
        let (test, message) = if is_crash {
            (third, second)
        } else {
            (second, third)
        };
        if let Some(leaked) = leak(message) {
            term = Some(leaked.to_owned());
        } else {
            let mut test = without_reftest_reference(test).replace('\\', "/");
            if is_marionette_test(&test) {
                let file = test.split(".py ").next().unwrap_or_default();
                test = format!("{file}.py");
            }
            let file = test.rsplit('/').next().unwrap_or_default().to_owned();
            term = Some(if is_crash { message.to_owned() } else { file });
            path_end = Some(test);
        }
    }
    if !term.as_deref().is_some_and(is_helpful_search_term) {
        if is_helpful_search_term(line) {
            term = Some(line.to_owned());
        } else {
            term = None;
            if path_end.as_deref().is_some_and(|path| !path.contains('/')) {
                path_end = None;
            }
        }
    }
    let terms = match term {
        None => Vec::new(),
        Some(term) => {
            let rest = &term[prefix_len(&term)..];
            let cut = rest
                .char_indices()
                .nth(MAX_TERM_CHARS)
                .map_or(rest.len(), |(at, _)| at);
            let term = &rest[..cut];
            match term.split_once('?') {
                Some((name, _)) => vec![term.to_owned(), name.to_owned()],
                None => vec![term.to_owned()],
            }
        }
    };
    SearchTerms { terms, path_end }
}

/// The crash signature of a (cleaned) line: what is inside the last
/// ` application crashed [@ …] | ` of it, when helpful.
pub fn crash_signature(line: &str) -> Option<String> {
    const MARKER: &str = " application crashed [@ ";
    const CLOSE: &str = "] |";
    // Python's `.` stops at a line break; the pattern is anchored at the start.
    let line = line.split('\n').next().unwrap_or_default();
    // At least one character must follow the closing `] |`.
    let last_char = line.char_indices().last().map_or(0, |(at, _)| at);
    let close = line[..last_char].rfind(CLOSE)?;
    // Greedy: the last marker (not at the very start) that leaves a non-empty signature.
    let open = line[..close]
        .rmatch_indices(MARKER)
        .map(|(at, _)| at)
        .find(|&at| at > 0 && at + MARKER.len() < close)?;
    let signature = &line[open + MARKER.len()..close];
    is_helpful_search_term(signature).then(|| signature.to_owned())
}

/// Length of a leading `TEST-UNEXPECTED-<status> | ` or `PROCESS-CRASH | ` (Python `\s`), or 0.
fn prefix_len(term: &str) -> usize {
    let after_status = if let Some(rest) = term.strip_prefix("TEST-UNEXPECTED-") {
        let status = rest.trim_start_matches(|c| !is_space(c));
        if status.len() == rest.len() {
            return 0;
        }
        status
    } else if let Some(rest) = term.strip_prefix("PROCESS-CRASH") {
        rest
    } else {
        return 0;
    };
    let bar = after_status.trim_start_matches(is_space);
    if bar.len() == after_status.len() {
        return 0;
    }
    let Some(after_bar) = bar.strip_prefix('|') else {
        return 0;
    };
    let rest = after_bar.trim_start_matches(is_space);
    if rest.len() == after_bar.len() {
        return 0;
    }
    term.len() - rest.len()
}

/// The leaked objects of `N bytes leaked (objects)` or what follows `leak at ` at the end of
/// the message: the leftmost of either (Treeherder's `LEAK_RE.search`).
fn leak(message: &str) -> Option<&str> {
    // `$` also matches before a final line break; `.` never matches a line break.
    let end = message.strip_suffix('\n').unwrap_or(message);
    let free_from = end.rfind('\n').map_or(0, |at| at + 1);
    let mut previous_is_digit = false;
    for (at, c) in message.char_indices() {
        // A match starting inside a run of digits also starts at the run's first digit.
        if is_digit(c) && !previous_is_digit {
            let rest = message[at..].trim_start_matches(is_digit);
            if let Some(objects) = rest.strip_prefix(" bytes leaked (") {
                let start = message.len() - objects.len();
                if start >= free_from && end.len() > start + 1 && end.ends_with(')') {
                    return Some(&end[start..end.len() - 1]);
                }
            }
        }
        previous_is_digit = is_digit(c);
        if let Some(rest) = message[at..].strip_prefix("leak at ") {
            let start = message.len() - rest.len();
            if start >= free_from && end.len() > start {
                return Some(&end[start..]);
            }
        }
    }
    None
}

/// The test path without a reftest's ` == reference` / ` != reference` (Treeherder's
/// `REFTEST_RE`): from a whitespace run followed by `==` or `!=` and whitespace to the end of
/// the line.
fn without_reftest_reference(test: &str) -> String {
    let mut out = String::with_capacity(test.len());
    let mut copied = 0;
    let mut at = 0;
    while at < test.len() {
        let rest = &test[at..];
        let Some(c) = rest.chars().next() else { break };
        // A match inside a run of whitespace also starts at the run's first character.
        let run_start = at == copied || !test[..at].ends_with(is_space);
        if is_space(c) && run_start {
            let after = rest.trim_start_matches(is_space);
            let is_reference = (after.starts_with("==") || after.starts_with("!="))
                && after[2..].starts_with(is_space);
            if is_reference {
                out.push_str(&test[copied..at]);
                // `.*` runs to the next line break, which stays.
                let line_end = after
                    .find('\n')
                    .map_or(test.len(), |nl| test.len() - after.len() + nl);
                copied = line_end;
                at = line_end;
                continue;
            }
        }
        at += c.len_utf8();
    }
    out.push_str(&test[copied..]);
    out
}

/// Whether a test path is a marionette test followed by a test name (Treeherder's
/// `MARIONETTE_RE`: `.+marionette…/test_….py Name…`).
fn is_marionette_test(test: &str) -> bool {
    test.split('\n').any(|line| {
        // `.+` before `marionette`: at least one character.
        let first = line.chars().next().map_or(0, char::len_utf8);
        let Some(marionette) = line.get(first..).and_then(|s| s.find("marionette")) else {
            return false;
        };
        let after = first + marionette + "marionette".len();
        let Some(slash) = line[after..].find("/test_") else {
            return false;
        };
        // `test_.+.py`: at least one character, then any character, before `py `.
        let name = after + slash + "/test_".len();
        let Some((first_py, _)) = line[name..].char_indices().nth(2) else {
            return false;
        };
        let from = name + first_py;
        line[from..].match_indices("py ").any(|(at, _)| {
            let rest = &line[from + at + 3..];
            rest.starts_with(|c: char| c.is_ascii_alphabetic()) && rest.len() > 1
        })
    })
}

/// One piece of a pattern; runs are greedy and never need to give characters back, because
/// in every pattern here the piece after a run cannot start with a character of the run.
#[derive(Clone, Copy)]
enum Piece<'a> {
    Lit(&'a str),
    /// `[0-9]+`
    Digits,
    /// `\d+` (Unicode)
    UDigits,
    /// `[a-zA-Z]+`
    Letters,
    /// ` +`
    Spaces,
    /// ` ?`
    OptSpace,
    /// `.`: any character but a line break
    AnyChar,
}

/// The length of the match of `pattern` at the start of `s`.
fn match_len(s: &str, pattern: &[Piece]) -> Option<usize> {
    let mut rest = s;
    for piece in pattern {
        rest = match *piece {
            Piece::Lit(lit) => rest.strip_prefix(lit)?,
            Piece::Digits => run(rest, |c| c.is_ascii_digit())?,
            Piece::UDigits => run(rest, is_digit)?,
            Piece::Letters => run(rest, |c| c.is_ascii_alphabetic())?,
            Piece::Spaces => run(rest, |c| c == ' ')?,
            Piece::OptSpace => rest.strip_prefix(' ').unwrap_or(rest),
            Piece::AnyChar => {
                let c = rest.chars().next().filter(|&c| c != '\n')?;
                &rest[c.len_utf8()..]
            }
        };
    }
    Some(s.len() - rest.len())
}

/// `s` without a non-empty leading run of `class`.
fn run(s: &str, class: impl Fn(char) -> bool) -> Option<&str> {
    let rest = s.trim_start_matches(class);
    (rest.len() < s.len()).then_some(rest)
}

/// Python's `re.sub` of the alternatives `patterns` by `replacement`: leftmost, non-overlapping.
fn replace_all(s: &str, patterns: &[&[Piece]], replacement: &str) -> String {
    replaced(s, patterns, replacement).into_owned()
}

/// [`replace_all`], borrowing `s` when nothing matches (most rules, on most lines).
fn replaced<'s>(s: &'s str, patterns: &[&[Piece]], replacement: &str) -> Cow<'s, str> {
    let mut starts: Vec<Option<usize>> = patterns.iter().map(|p| next_start(s, 0, p)).collect();
    if starts.iter().all(Option::is_none) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    let mut at = 0;
    // Leftmost first, the first pattern winning at a place, as a regex alternation. The
    // places where no pattern can start (its literal absent) are skipped by a substring
    // search instead of tried one by one; each pattern's next possible start is searched
    // again only once passed (a literal gone for good stays gone).
    loop {
        for (start, pattern) in starts.iter_mut().zip(patterns) {
            if start.is_some_and(|place| place < at) {
                *start = next_start(s, at, pattern);
            }
        }
        let Some(place) = starts.iter().flatten().min().copied() else {
            break;
        };
        at = place;
        if let Some(len) = patterns.iter().find_map(|p| match_len(&s[at..], p)) {
            out.push_str(&s[copied..at]);
            out.push_str(replacement);
            // Every pattern holds a literal: a match is never empty.
            at += len;
            copied = at;
        } else {
            at += s[at..].chars().next().map_or(1, char::len_utf8);
        }
    }
    if copied == 0 {
        // No match (a match ends past the start).
        return Cow::Borrowed(s);
    }
    out.push_str(&s[copied..]);
    Cow::Owned(out)
}

/// Where `needle` first occurs in `haystack` (a byte offset, on a character boundary since
/// the needle is whole characters): `memchr`'s search, cheaper to start than `str::find` on
/// the short lines and literals here.
fn find(haystack: &str, needle: &str) -> Option<usize> {
    memchr::memmem::find(haystack.as_bytes(), needle.as_bytes())
}

/// The first place at or after `at` where `pattern` can match, judged by its leading
/// literal (or the literal after one leading [`Piece::AnyChar`]); `None` when that literal is
/// not in the rest of `s`. A pattern that starts otherwise can start anywhere: `at`.
fn next_start(s: &str, at: usize, pattern: &[Piece]) -> Option<usize> {
    let rest = s.get(at..)?;
    match pattern {
        [Piece::Lit(lit), ..] => find(rest, lit).map(|i| at + i),
        [Piece::AnyChar, Piece::Lit(lit), ..] => {
            // The literal follows one character that is at or after `at`.
            let first = rest.chars().next()?.len_utf8();
            let found = at + first + find(&rest[first..], lit)?;
            let before = s[..found].chars().next_back().map_or(0, char::len_utf8);
            Some(found - before)
        }
        _ if rest.is_empty() => None,
        _ => Some(at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_blank_lines() {
        assert_eq!(LineSearch::of("").terms, SearchTerms::default());
        let blank = LineSearch::of(" \t ");
        assert_eq!(blank.cleaned, "");
        assert_eq!(blank.terms, SearchTerms::default());
        assert_eq!(blank.crash_signature, None);
        assert_eq!(blank.recurrence_key, "");
    }

    #[test]
    fn prefix_only_term_is_empty_not_absent() {
        // Treeherder: `["" ]`, not `[None]`.
        assert_eq!(
            search_terms("TEST-UNEXPECTED-FAIL | ").terms,
            vec![String::new()]
        );
    }

    #[test]
    fn cleaning() {
        for (line, expected) in [
            ("12:00:00  INFO -  PID 12 |   [3] boom", "boom"),
            ("[7] GECKO(99) | a/b.cpp:12 c.cpp:", "a/b.cpp:X c.cpp:"),
            ("[Parent 12, IPC Thread] x", "[Parent X, Y Thread] x"),
            ("1:2:3 NOTICE - x", "1:2:3 NOTICE - x"),
            ("\u{661}2:00:00 INFO - é", "é"),
        ] {
            assert_eq!(cleaned(line), expected, "{line:?}");
        }
    }

    #[test]
    fn recurrence_keys() {
        for (line, expected) in [
            ("a 1.5 2.5 b", "a X 2.5 b"),
            ("x leaked 3 windows", "x leaked X window(s)"),
            ("got 3, expected 4; value=7", "got X, expected Y; value=*"),
            (" http://localhost:8888/a", " http://localhost:X/a"),
            ("é finished in ١٢ms", "é finished"),
        ] {
            assert_eq!(recurrence_key(line), expected, "{line:?}");
        }
    }

    #[test]
    fn replacing_is_leftmost_first_and_skips_on_characters() {
        use Piece::*;
        // At one place the first pattern that matches wins; places go left to right.
        let patterns: [&[Piece]; 2] = [&[Lit("ab")], &[Lit("a")]];
        assert_eq!(replace_all("aab", &patterns, "X"), "XX");
        assert_eq!(replace_all("zzz", &patterns, "X"), "zzz");
        // One character of any width before the literal, never before the start.
        let cpp: [&[Piece]; 1] = [&[AnyChar, Lit("cpp:"), Digits]];
        for (line, expected) in [
            ("ééécpp:12 x", "éé.cpp:X x"),
            ("cpp:1 a.cpp:2", "cpp:1 a.cpp:X"),
            ("\ncpp:1", "\ncpp:1"),
            ("a.cpp:x b.cpp:3", "a.cpp:x b.cpp:X"),
        ] {
            assert_eq!(replace_all(line, &cpp, ".cpp:X"), expected, "{line:?}");
        }
    }

    #[test]
    fn recurrence_is_line_search_s() {
        for line in [
            "",
            "12:00:00  INFO -  TEST-UNEXPECTED-FAIL | a/b/test_c.html | got 3, expected 4",
            "PROCESS-CRASH | x | application crashed [@ mozilla::Foo] 1.5 ms",
        ] {
            let search = LineSearch::of(line);
            assert_eq!(
                recurrence(line),
                (
                    search.terms.path_end.unwrap_or_default(),
                    search.recurrence_key
                ),
                "{line:?}"
            );
        }
    }

    #[test]
    fn reftest_reference_and_marionette_and_backslashes() {
        let terms = search_terms("TEST-UNEXPECTED-FAIL | C:\\t\\a.html  ==  b.html | x");
        assert_eq!(terms.terms, vec!["a.html"]);
        assert_eq!(terms.path_end.as_deref(), Some("C:/t/a.html"));
        let marionette =
            search_terms("TEST-UNEXPECTED-FAIL | tests/marionette/x/test_a.py TestA.test_b | boom");
        assert_eq!(marionette.terms, vec!["test_a.py"]);
    }

    #[test]
    fn leaks_and_crashes() {
        assert_eq!(
            search_terms("TEST-UNEXPECTED-FAIL | x | leak at Alpha, Beta").terms,
            vec!["Alpha, Beta"]
        );
        assert_eq!(
            crash_signature(
                "x application crashed [@ first] | b application crashed [@ second] | c"
            ),
            Some("second".to_owned())
        );
        assert_eq!(
            crash_signature(" application crashed [@ signature] | c"),
            None
        );
        assert_eq!(crash_signature("x application crashed [@ tiny] | c"), None);
        assert_eq!(crash_signature("x application crashed [@ longer] |"), None);
    }

    #[test]
    fn non_ascii_is_cut_on_characters() {
        let line = format!("TEST-UNEXPECTED-FAIL | {}", "é".repeat(300));
        let terms = search_terms(&line).terms;
        assert_eq!(terms, vec!["é".repeat(100)]);
    }

    #[test]
    fn long_adversarial_lines_are_linear() {
        // Quadratic work on these would take minutes; linear takes well under a second.
        let n = 50_000;
        for unit in [
            "1",
            " ",
            "PID 1",
            " application crashed [@ ",
            "] |",
            "marionette/test_",
            "py ",
            " 1.",
            " == ",
            " | ",
            "leak at ",
            "1 bytes leaked (",
            "[Child 1, ",
        ] {
            let body = unit.repeat(n / unit.len());
            for line in [
                body.clone(),
                format!("TEST-UNEXPECTED-FAIL | {body} | {body}"),
                format!("PROCESS-CRASH | {body} | {body}"),
            ] {
                let search = LineSearch::of(&line);
                assert!(
                    search.terms.terms.iter().all(|t| t.chars().count() <= 100),
                    "{unit:?}"
                );
            }
        }
    }
}
