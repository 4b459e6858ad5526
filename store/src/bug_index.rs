//! Which trigrams of a search term to ask the text index for: the rarest few, by a sample of
//! summaries this process keeps.
//!
//! Both text indexes answer a substring query by intersecting the lists of rows of the term's
//! trigrams, and a Treeherder term always holds some that nearly every summary has (`tes`,
//! `est`, `.js`, `int` of "Intermittent"): reading those lists costs milliseconds per term on
//! a million bugs, while the rarest two or three trigrams alone find the few candidates in
//! microseconds. So the store asks for the rarest [`MAX_TRIGRAMS`] only (any trigrams of the
//! term find every summary that contains it, and more; the model keeps only those that
//! contain the whole term), and knows which are rare from the trigram counts of a sample of
//! [`SAMPLE_ROWS`] summaries, taken in blocks at random places of the table and retaken
//! every [`SAMPLE_AGE`]. A stale or skewed sample makes a search slower, never wrong.
//!
//! Only trigrams both indexes see exactly as written are chosen: ASCII (SQLite's trigram
//! tokenizer folds case like Rust's `to_lowercase` there) and, for pg_trgm, which indexes the
//! trigrams inside words, alphanumeric. A term with none is searched whole.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::StoreError;
use crate::db::DbConnection;
use crate::schema::bugs;

/// Trigrams asked for per term.
pub(crate) const MAX_TRIGRAMS: usize = 3;
/// Summaries in the sample.
const SAMPLE_ROWS: i64 = 20_000;
/// Blocks of consecutive bugs the sample is taken in.
const SAMPLE_BLOCKS: i64 = 20;
/// How long a sample is used before it is taken again.
const SAMPLE_AGE: Duration = Duration::from_secs(600);

/// A trigram, lower-cased.
type Trigram = [char; 3];

/// This process's sample of trigram counts (shared by every connection of a store).
#[derive(Default)]
pub(crate) struct TrigramSample {
    taken: Mutex<Option<Sample>>,
}

struct Sample {
    at: Instant,
    /// In how many sampled summaries each trigram is.
    counts: HashMap<Trigram, u32>,
}

/// Which dialect of trigrams to choose.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Index {
    /// SQLite's FTS5 trigram tokenizer: every character.
    Fts5,
    /// pg_trgm: trigrams inside words of alphanumerics.
    PgTrgm,
}

impl TrigramSample {
    /// The rarest trigrams of `term` (lower-cased) the index can be asked for, rarest first;
    /// empty when it has none (the term is then searched whole).
    pub(crate) fn rarest(
        &self,
        conn: &mut DbConnection,
        term: &str,
        index: Index,
    ) -> Result<Vec<String>, StoreError> {
        let chars: Vec<char> = term.chars().collect();
        let mut trigrams: Vec<Trigram> = chars
            .windows(3)
            .map(|w| [w[0], w[1], w[2]])
            .filter(|t| {
                t.iter().all(|c| match index {
                    Index::Fts5 => c.is_ascii() && !c.is_ascii_uppercase(),
                    Index::PgTrgm => c.is_ascii_lowercase() || c.is_ascii_digit(),
                })
            })
            .collect();
        trigrams.sort_unstable();
        trigrams.dedup();
        if trigrams.is_empty() {
            return Ok(Vec::new());
        }
        let mut taken = self
            .taken
            .lock()
            .map_err(|_| StoreError::internal("the trigram sample's lock is poisoned"))?;
        // An empty sample (of an empty table) is retaken soon: bugs are imported in bulk.
        let stale = |s: &Sample| {
            s.at.elapsed() > SAMPLE_AGE
                || (s.counts.is_empty() && s.at.elapsed() > Duration::from_secs(5))
        };
        if taken.as_ref().is_none_or(stale) {
            *taken = Some(take_sample(conn)?);
        }
        let counts = taken.as_ref().map(|s| &s.counts);
        let count = |t: &Trigram| counts.and_then(|c| c.get(t)).copied().unwrap_or(0);
        trigrams.sort_by_key(|t| (count(t), *t));
        Ok(trigrams
            .into_iter()
            .take(MAX_TRIGRAMS)
            .map(|t| t.iter().collect())
            .collect())
    }
}

/// Counts the trigrams of up to [`SAMPLE_ROWS`] summaries, in blocks spread over the ids.
fn take_sample(conn: &mut DbConnection) -> Result<Sample, StoreError> {
    let (low, high): (Option<i64>, Option<i64>) = bugs::table
        .select((diesel::dsl::min(bugs::id), diesel::dsl::max(bugs::id)))
        .first(conn)?;
    let mut counts: HashMap<Trigram, u32> = HashMap::new();
    if let (Some(low), Some(high)) = (low, high) {
        let block = SAMPLE_ROWS / SAMPLE_BLOCKS;
        let span = (high - low).max(1);
        // Spread the blocks evenly, from a start that changes with every sample.
        let offset = i64::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos()),
        ) % (span / SAMPLE_BLOCKS).max(1);
        let mut next = low;
        for b in 0..SAMPLE_BLOCKS {
            let start = (low + offset + span * b / SAMPLE_BLOCKS).max(next);
            let rows: Vec<(i64, String)> = bugs::table
                .filter(bugs::id.ge(start))
                .order(bugs::id)
                .select((bugs::id, bugs::summary))
                .limit(block)
                .load(conn)?;
            let Some(&(last, _)) = rows.last() else {
                break;
            };
            next = last + 1;
            for (_, summary) in rows {
                let chars: Vec<char> = summary.to_lowercase().chars().collect();
                let mut seen: Vec<Trigram> = chars.windows(3).map(|w| [w[0], w[1], w[2]]).collect();
                seen.sort_unstable();
                seen.dedup();
                for t in seen {
                    *counts.entry(t).or_default() += 1;
                }
            }
        }
    }
    Ok(Sample {
        at: Instant::now(),
        counts,
    })
}
