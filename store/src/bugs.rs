//! Bugs kept locally (Bugzilla's, imported or fetched: `bug_writes.rs`) and their reads: bugs
//! by id, the `dupe_of` links duplicates are resolved through, and Treeherder's bug search.
//!
//! The search finds its candidates through each backend's text index, never a scan: on SQLite
//! the FTS5 trigram table `bugs_summary_fts`, on PostgreSQL `lower(summary) LIKE` served by
//! pg_trgm's GIN index, each asked for the term's rarest trigrams (`bug_index.rs`). Which
//! candidates are suggested, and in which order, is the model's pure rule
//! ([`treeherd_model::bug_search`], with pg_trgm's similarity computed in Rust), so both
//! backends answer the same. Neither index can find substrings shorter than a trigram: a term
//! of one or two characters is looked for by a scan, bounded like every search by
//! [`MAX_CANDIDATES`].

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use treeherd_model::BugId;
use treeherd_model::bug_search::{self, Candidate, Suggested};

use crate::bug_index::{Index, TrigramSample};
use crate::db::{BATCH_ROWS, DbConnection};
use crate::schema::bugs;
use crate::{Store, StoreError};

/// A stored bug. Times are unix microseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bug {
    pub id: BugId,
    pub status: String,
    /// `None` while the bug is open.
    pub resolution: Option<String>,
    pub summary: String,
    pub dupe_of: Option<BugId>,
    pub crash_signature: Option<String>,
    pub keywords: Vec<String>,
    pub whiteboard: Option<String>,
    /// When it last changed in Bugzilla.
    pub last_change: i64,
    /// When this copy last changed here.
    pub imported_at: i64,
}

impl Bug {
    /// No resolution.
    pub fn is_open(&self) -> bool {
        self.resolution.is_none()
    }
}

/// The bugs suggested for a search term, in Treeherder's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BugSuggestions {
    /// Open bugs.
    pub open_recent: Vec<Bug>,
    /// Resolved bugs.
    pub all_others: Vec<Bug>,
}

impl BugSuggestions {
    pub fn is_empty(&self) -> bool {
        self.open_recent.is_empty() && self.all_others.is_empty()
    }
}

/// The most bugs one search considers. Treeherder's search terms name a test file or a
/// message, which few summaries contain; a term that most summaries contain ("intermittent")
/// would otherwise load the whole table. Past this many, the suggestions are chosen among the
/// first found, and a warning is logged.
pub const MAX_CANDIDATES: i64 = 10_000;

#[derive(Queryable, Selectable, QueryableByName)]
#[diesel(table_name = bugs)]
pub(crate) struct BugRow {
    pub(crate) id: i64,
    pub(crate) status: String,
    pub(crate) resolution: String,
    pub(crate) summary: String,
    pub(crate) dupe_of: Option<i64>,
    pub(crate) crash_signature: Option<String>,
    pub(crate) keywords: String,
    pub(crate) whiteboard: Option<String>,
    pub(crate) last_change: i64,
    pub(crate) imported_at: i64,
}

impl TryFrom<BugRow> for Bug {
    type Error = StoreError;

    fn try_from(row: BugRow) -> Result<Bug, StoreError> {
        Ok(Bug {
            id: BugId(row.id),
            status: row.status,
            resolution: (!row.resolution.is_empty()).then_some(row.resolution),
            summary: row.summary,
            dupe_of: row.dupe_of.map(BugId),
            crash_signature: row.crash_signature,
            keywords: serde_json::from_str(&row.keywords)?,
            whiteboard: row.whiteboard,
            last_change: row.last_change,
            imported_at: row.imported_at,
        })
    }
}

impl Store {
    /// Bugs by id; ids not stored are left out.
    pub async fn bugs(&self, ids: Vec<BugId>) -> Result<HashMap<BugId, Bug>, StoreError> {
        self.run(move |conn| load(conn, &ids)).await
    }

    /// The `dupe_of` of each stored bug among `ids` (`None`: it duplicates nothing); ids not
    /// stored are left out. What duplicates resolve through
    /// ([`treeherd_model::resolve_duplicate`]).
    pub async fn bug_dupes(
        &self,
        ids: Vec<BugId>,
    ) -> Result<HashMap<BugId, Option<BugId>>, StoreError> {
        self.run(move |conn| {
            let mut found = HashMap::with_capacity(ids.len());
            let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
            for chunk in ids.chunks(BATCH_ROWS) {
                let rows: Vec<(i64, Option<i64>)> = bugs::table
                    .filter(bugs::id.eq_any(chunk))
                    .select((bugs::id, bugs::dupe_of))
                    .load(conn)?;
                found.extend(rows.into_iter().map(|(id, d)| (BugId(id), d.map(BugId))));
            }
            Ok(found)
        })
        .await
    }

    /// The bugs suggested for each of `terms` (Treeherder's `Bugscache.search`, see the
    /// module docs), in the order of `terms`, on one connection: each term's candidates are
    /// read as (id, summary, open) only, and the bugs chosen for all terms in one query at
    /// the end. A blank term finds nothing.
    pub async fn search_bugs(&self, terms: Vec<String>) -> Result<Vec<BugSuggestions>, StoreError> {
        let trigrams = self.bug_trigrams.clone();
        self.run(move |conn| {
            let chosen = terms
                .iter()
                .map(|term| search(conn, &trigrams, term))
                .collect::<Result<Vec<_>, _>>()?;
            let mut ids: Vec<BugId> = chosen
                .iter()
                .flat_map(|s| s.open_recent.iter().chain(&s.all_others))
                .copied()
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let bugs = load(conn, &ids)?;
            let take = |ids: Vec<BugId>| -> Vec<Bug> {
                ids.iter().filter_map(|id| bugs.get(id).cloned()).collect()
            };
            Ok(chosen
                .into_iter()
                .map(|s| BugSuggestions {
                    open_recent: take(s.open_recent),
                    all_others: take(s.all_others),
                })
                .collect())
        })
        .await
    }
}

/// The stored bugs among `ids`.
pub(crate) fn load(
    conn: &mut DbConnection,
    ids: &[BugId],
) -> Result<HashMap<BugId, Bug>, StoreError> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(BATCH_ROWS) {
        let rows: Vec<BugRow> = bugs::table
            .filter(bugs::id.eq_any(chunk))
            .select(BugRow::as_select())
            .load(conn)?;
        for row in rows {
            let bug = Bug::try_from(row)?;
            found.insert(bug.id, bug);
        }
    }
    Ok(found)
}

/// One search: candidates through the text index, the model's choice.
fn search(
    conn: &mut DbConnection,
    trigrams: &TrigramSample,
    term: &str,
) -> Result<Suggested, StoreError> {
    if term.trim().is_empty() {
        return Ok(Suggested::default());
    }
    let found = candidates(conn, trigrams, &bug_search::search_form(term))?;
    if found.len() > usize::try_from(MAX_CANDIDATES).unwrap_or(usize::MAX) {
        tracing::warn!(
            term,
            limit = MAX_CANDIDATES,
            "a bug search term matches too many bugs: suggesting among the first found"
        );
    }
    Ok(bug_search::suggest(
        term,
        found.into_iter().map(|row| Candidate {
            id: BugId(row.id),
            summary: row.summary,
            open: row.resolution.is_empty(),
        }),
    ))
}

/// What a search needs of a candidate bug.
#[derive(QueryableByName, Queryable, Selectable)]
#[diesel(table_name = bugs)]
struct CandidateRow {
    id: i64,
    summary: String,
    resolution: String,
}

/// The bugs whose summary may contain `term` (lower-cased), whole, at most
/// [`MAX_CANDIDATES`] + 1 (one more says there were too many). May include some that do not: the model filters
/// again. The text index is asked for the term's rarest trigrams (`bug_index.rs`), or for
/// the whole term when it has none it can be asked for.
fn candidates(
    conn: &mut DbConnection,
    trigrams: &TrigramSample,
    term: &str,
) -> Result<Vec<CandidateRow>, StoreError> {
    let limit = MAX_CANDIDATES + 1;
    // A trigram index finds substrings of three characters or more.
    if term.chars().count() < 3 {
        return Ok(bugs::table
            .filter(lower(bugs::summary).like(like_pattern(term)).escape('\\'))
            .select(CandidateRow::as_select())
            .limit(limit)
            .load(conn)?);
    }
    let index = match conn {
        DbConnection::Sqlite(_) => Index::Fts5,
        DbConnection::Pg(_) => Index::PgTrgm,
    };
    let rare = trigrams.rarest(conn, term, index)?;
    let rows: Vec<CandidateRow> = match conn {
        DbConnection::Sqlite(c) => {
            // An AND of single trigrams, or the term as one phrase when it has no trigram
            // to choose.
            let query = if rare.is_empty() {
                fts_phrase(term)
            } else {
                rare.iter()
                    .map(|t| fts_phrase(t))
                    .collect::<Vec<_>>()
                    .join(" AND ")
            };
            diesel::sql_query(
                "SELECT b.id, b.summary, b.resolution FROM bugs_summary_fts f \
                 JOIN bugs b ON b.id = f.rowid WHERE bugs_summary_fts MATCH ? LIMIT ?",
            )
            .bind::<Text, _>(query)
            .bind::<BigInt, _>(limit)
            .load(c)?
        }
        DbConnection::Pg(c) => {
            // The chosen trigrams go to the GIN index (`LIKE '%abc%'` asks for `abc` alone);
            // `strpos` is no index condition, so the whole term only filters what it found.
            let mut patterns: Vec<String> = rare.iter().map(|t| format!("%{t}%")).collect();
            if patterns.is_empty() {
                patterns.push(like_pattern(term));
            }
            let mut sql = String::from("SELECT id, summary, resolution FROM bugs WHERE ");
            for n in 1..=patterns.len() {
                sql.push_str(&format!("lower(summary) LIKE ${n} ESCAPE '\\' AND "));
            }
            let term_at = patterns.len() + 1;
            sql.push_str(&format!(
                "strpos(lower(summary), ${term_at}) > 0 LIMIT ${}",
                term_at + 1
            ));
            let mut query = diesel::sql_query(sql).into_boxed();
            for pattern in patterns {
                query = query.bind::<Text, _>(pattern);
            }
            query
                .bind::<Text, _>(term.to_owned())
                .bind::<BigInt, _>(limit)
                .load(c)?
        }
    };
    Ok(rows)
}

diesel::define_sql_function! {
    /// Lower case (ASCII only on SQLite, which is why the model compares again).
    fn lower(text: Text) -> Text;
}

/// `%term%` for `LIKE ... ESCAPE '\'`: the term's `%`, `_` and `\` match only themselves.
fn like_pattern(term: &str) -> String {
    let mut pattern = String::with_capacity(term.len() + 2);
    pattern.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The term as one FTS5 phrase (a string in double quotes, its quotes doubled): every
/// character literal, matched as a substring by the trigram tokenizer.
fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_and_phrases_escape_what_they_must() {
        assert_eq!(like_pattern("a_b%c\\d"), "%a\\_b\\%c\\\\d%");
        assert_eq!(fts_phrase("say \"hi\" OR x*"), "\"say \"\"hi\"\" OR x*\"");
    }
}
