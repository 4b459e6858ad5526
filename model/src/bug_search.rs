//! Treeherder's bug search as a pure rule: which of the bugs whose summary contains a term
//! are suggested for it, in which order, split into open and the rest. The store only finds
//! the candidates (through each backend's text index) and loads them; the choice is made here,
//! so SQLite and PostgreSQL answer alike.
//!
//! The rule is Treeherder's `Bugscache.search` (`treeherder/model/models.py` @dc3080dd):
//! the term is lower-cased; candidates are the bugs whose lower-cased summary contains it;
//! they are ordered by pg_trgm's `similarity(summary, term)`, most similar first (ties: the
//! lower bug id first, where PostgreSQL leaves the order open); the first
//! [`MAX_SUGGESTIONS`] are kept; of those, only summaries where the term starts the summary
//! or follows `/`, ` `, `\` or `,` remain; open bugs (no resolution) are "open recent", the
//! others "all others" (there is no time cut any more, despite the name).
//!
//! [`similarity`] is pg_trgm's algorithm (`contrib/pg_trgm/trgm_op.c`), computed here rather
//! than in PostgreSQL so that both backends order identically: words are runs of
//! alphanumeric characters, lower-cased and padded as `"  word "`; a text's trigrams are the
//! set of three consecutive characters of its padded words; the similarity of two texts is
//! `|A ∩ B| / |A ∪ B|`. For ASCII text it is PostgreSQL's `similarity()` to the bit (a test
//! of the store compares them on Treeherder's fixture summaries); for other letters
//! PostgreSQL follows its locale (`C` counts no non-ASCII letter as alphanumeric), this
//! follows Unicode.

use std::cmp::Ordering;

use crate::BugId;

/// The most candidates Treeherder keeps before its word-boundary filter.
pub const MAX_SUGGESTIONS: usize = 50;

/// A trigram: three characters of a padded word.
type Trigram = [char; 3];

/// The sorted, distinct trigrams of `text` (pg_trgm's `show_trgm`).
pub fn trigrams(text: &str) -> Vec<Trigram> {
    let mut found = Vec::new();
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let padded: Vec<char> = "  "
            .chars()
            .chain(word.chars().flat_map(char::to_lowercase))
            .chain(std::iter::once(' '))
            .collect();
        found.extend(padded.windows(3).map(|w| [w[0], w[1], w[2]]));
    }
    found.sort_unstable();
    found.dedup();
    found
}

/// How alike two texts are, as pg_trgm's `similarity()`: the trigrams they share over the
/// trigrams either has. Kept as the two counts so that ordering is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Similarity {
    shared: u32,
    either: u32,
}

impl Similarity {
    /// PostgreSQL's value (a `real`): 0 when either text has no trigram.
    pub fn value(self) -> f32 {
        if self.either == 0 {
            0.0
        } else {
            // pg_trgm divides two float4s; so does this, to the same bits.
            #[allow(clippy::cast_precision_loss)]
            let (shared, either) = (self.shared as f32, self.either as f32);
            shared / either
        }
    }
}

impl Ord for Similarity {
    fn cmp(&self, other: &Self) -> Ordering {
        // a/b vs c/d as a·d vs c·b (0/0 is 0).
        let left = u64::from(self.shared) * u64::from(other.either.max(1));
        let right = u64::from(other.shared) * u64::from(self.either.max(1));
        left.cmp(&right)
    }
}

impl PartialOrd for Similarity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The similarity of two sets of trigrams from [`trigrams`].
pub fn trigram_similarity(a: &[Trigram], b: &[Trigram]) -> Similarity {
    if a.is_empty() || b.is_empty() {
        return Similarity {
            shared: 0,
            either: 0,
        };
    }
    let (mut i, mut j, mut shared) = (0, 0, 0u32);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let total = u32::try_from(a.len() + b.len()).unwrap_or(u32::MAX);
    Similarity {
        shared,
        either: total - shared,
    }
}

/// pg_trgm's `similarity(a, b)`.
pub fn similarity(a: &str, b: &str) -> Similarity {
    trigram_similarity(&trigrams(a), &trigrams(b))
}

/// A bug the text index found for a term: what the rule needs of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: BugId,
    pub summary: String,
    /// No resolution.
    pub open: bool,
}

/// The bugs suggested for a term, each list in Treeherder's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suggested {
    pub open_recent: Vec<BugId>,
    pub all_others: Vec<BugId>,
}

impl Suggested {
    /// Neither list has a bug.
    pub fn is_empty(&self) -> bool {
        self.open_recent.is_empty() && self.all_others.is_empty()
    }
}

/// The term as the search compares it: lower-cased.
pub fn search_form(term: &str) -> String {
    term.to_lowercase()
}

/// Treeherder's choice among `candidates` (see the module docs). Candidates whose summary
/// does not contain the term are ignored, so a text index may find more than it should.
pub fn suggest(term: &str, candidates: impl IntoIterator<Item = Candidate>) -> Suggested {
    let term = search_form(term);
    let term_trigrams = trigrams(&term);
    let mut ranked: Vec<(Similarity, Candidate, String)> = candidates
        .into_iter()
        .filter_map(|candidate| {
            let lower = candidate.summary.to_lowercase();
            lower.contains(&term).then(|| {
                let similarity = trigram_similarity(&trigrams(&lower), &term_trigrams);
                (similarity, candidate, lower)
            })
        })
        .collect();
    ranked.sort_by(|(sa, a, _), (sb, b, _)| sb.cmp(sa).then(a.id.cmp(&b.id)));
    ranked.truncate(MAX_SUGGESTIONS);
    let mut suggested = Suggested::default();
    for (_, candidate, lower) in ranked {
        if at_word_boundary(&lower, &term) {
            if candidate.open {
                suggested.open_recent.push(candidate.id);
            } else {
                suggested.all_others.push(candidate.id);
            }
        }
    }
    suggested
}

/// Whether the (lower-cased) term starts the summary or follows `/`, ` `, `\` or `,` in it.
pub fn at_word_boundary(summary: &str, term: &str) -> bool {
    summary.starts_with(term)
        || summary.match_indices(term).any(|(at, _)| {
            summary[..at]
                .chars()
                .next_back()
                .is_some_and(|c| matches!(c, '/' | ' ' | '\\' | ','))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> Vec<String> {
        trigrams(text).iter().map(|t| t.iter().collect()).collect()
    }

    #[test]
    fn trigrams_are_pg_trgm_show_trgm() {
        // SELECT show_trgm('Foo, bar!') = {"  b","  f"," ba"," fo","ar ","bar","foo","oo "}
        assert_eq!(
            shown("Foo, bar!"),
            ["  b", "  f", " ba", " fo", "ar ", "bar", "foo", "oo "]
        );
        // A one-letter word: "  a", " a ".
        assert_eq!(shown("a"), ["  a", " a "]);
        // `_` and `.` separate words; repeated words count once.
        assert_eq!(shown("x_x.x"), ["  x", " x "]);
        assert!(shown("--- ! ").is_empty());
    }

    #[test]
    fn similarity_is_shared_over_either() {
        // SELECT similarity('word', 'two words') = 0.36363637
        assert_eq!(similarity("word", "two words").value(), 4.0_f32 / 11.0);
        assert_eq!(similarity("abc", "abc").value(), 1.0);
        assert_eq!(similarity("abc", "xyz").value(), 0.0);
        assert_eq!(similarity("", "abc").value(), 0.0);
        assert_eq!(similarity("ABC", "abc").value(), 1.0);
    }

    #[test]
    fn similarities_order_exactly() {
        let third = Similarity {
            shared: 1,
            either: 3,
        };
        let two_sixths = Similarity {
            shared: 2,
            either: 6,
        };
        let half = Similarity {
            shared: 1,
            either: 2,
        };
        let none = Similarity {
            shared: 0,
            either: 0,
        };
        assert_eq!(third.cmp(&two_sixths), Ordering::Equal);
        assert!(half > third && third > none);
    }

    #[test]
    fn word_boundaries() {
        for (summary, term, expected) in [
            ("match-at-start.html | x", "match-at-start.html", true),
            ("intermittent a/b.html | x", "b.html", true),
            ("intermittent a\\b.html | x", "b.html", true),
            ("intermittent a.html,b.html | x", "b.html", true),
            ("intermittent ab.html | x", "b.html", false),
            ("intermittent ab.html b.html", "b.html", true),
        ] {
            assert_eq!(at_word_boundary(summary, term), expected, "{summary}");
        }
    }

    fn candidate(id: i64, summary: &str, open: bool) -> Candidate {
        Candidate {
            id: BugId(id),
            summary: summary.into(),
            open,
        }
    }

    #[test]
    fn suggests_in_similarity_order_split_by_resolution() {
        let found = suggest(
            "Test_A.html",
            [
                candidate(
                    5,
                    "Intermittent dir/test_a.html | a long message here",
                    true,
                ),
                candidate(4, "Intermittent test_a.html | short", true),
                candidate(3, "Intermittent test_a.html | short", false),
                candidate(2, "Intermittent xtest_a.html | no boundary", true),
                candidate(1, "Unrelated summary", true),
            ],
        );
        assert_eq!(found.open_recent, [BugId(4), BugId(5)]);
        assert_eq!(found.all_others, [BugId(3)]);
    }

    #[test]
    fn only_the_most_similar_fifty_are_filtered() {
        // 60 close matches without a word boundary crowd out a distant one with it.
        let mut candidates: Vec<Candidate> =
            (1..=60).map(|id| candidate(id, "xterm", true)).collect();
        candidates.push(candidate(
            100,
            "a term in a much longer summary of words",
            true,
        ));
        assert!(suggest("term", candidates.clone()).is_empty());
        candidates.truncate(10);
        candidates.push(candidate(
            100,
            "a term in a much longer summary of words",
            true,
        ));
        assert_eq!(suggest("term", candidates).open_recent, [BugId(100)]);
    }
}
