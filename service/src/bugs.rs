//! Bugs: importing Bugzilla's (admin only, one transaction per call), reading them, the
//! bug a duplicate stands for, and bug suggestions: for a search term (Treeherder's
//! `Bugscache.search`, done by the store) and for a raw error line of a failed job
//! (Treeherder's `bug_suggestions_line`).
//!
//! A line's suggestions search each of its terms ([`LineSearch`], most specific first) and
//! keep every bug found once, in the order found (open and others apart). When the terms
//! find nothing and the line has a crash signature, that is searched too, and named among
//! the terms searched.

use std::collections::{BTreeMap, HashMap, HashSet};

pub use treeherd_ingest::{BugzillaError, parse_bugzilla};
pub use treeherd_logparse::{LineSearch, SearchTerms};
use treeherd_model::{BugId, NewBug, resolve_duplicate};
use treeherd_store::{Bug, BugSuggestions, BugsImported};

use crate::caller::Caller;
use crate::error::ServiceError;
use crate::service::Service;

/// The most bugs one import call takes (a file is imported in calls of this size, each its
/// own transaction).
pub const MAX_BUGS: usize = 10_000;

/// The highest bug id (GraphQL's `Int`, a signed 32-bit integer).
pub const MAX_BUG_ID: i64 = i32::MAX as i64;

/// The longest search term: Bugzilla summaries are at most 255 characters, so a longer term
/// finds nothing.
pub const MAX_TERM_CHARS: usize = 1_000;

/// A job's distinct search terms are split into store calls of at least this many terms...
const TERMS_PER_CALL: usize = 8;
/// ...run concurrently, at most this many at once.
const MAX_CONCURRENT_CALLS: usize = 4;

/// The longest error line looked at (Treeherder's error lines are cut far shorter).
pub const MAX_LINE_CHARS: usize = 10_000;

/// A line's suggestions and how they were found.
#[derive(Debug, Clone)]
pub struct LineSuggestions {
    /// What the line gives to search with.
    pub search: LineSearch,
    /// The terms searched, in order: the line's terms, then its crash signature when those
    /// found nothing.
    pub searched: Vec<String>,
    pub suggestions: BugSuggestions,
}

impl Service {
    /// Imports bugs (the administrator's: Bugzilla is the one source of bugs) in one
    /// transaction: new ones inserted, changed ones updated, the rest counted unchanged.
    #[tracing::instrument(skip_all, fields(bugs = bugs.len()))]
    pub async fn import_bugs(
        &self,
        caller: &Caller,
        bugs: Vec<NewBug>,
    ) -> Result<BugsImported, ServiceError> {
        self.import_fetched_bugs(caller, bugs, None).await
    }

    /// Like [`Service::import_bugs`], and keeps `fetched_until` (the newest `last_change`
    /// the periodic fetch has seen) in the same transaction.
    pub async fn import_fetched_bugs(
        &self,
        caller: &Caller,
        bugs: Vec<NewBug>,
        fetched_until: Option<i64>,
    ) -> Result<BugsImported, ServiceError> {
        caller.require_admin()?;
        if bugs.len() > MAX_BUGS {
            return Err(ServiceError::bad_input(
                "bugs",
                format!("at most {MAX_BUGS} bugs per call, not {}", bugs.len()),
            ));
        }
        let mut bugs = bugs;
        for (index, bug) in bugs.iter_mut().enumerate() {
            bug.check().map_err(|e| {
                ServiceError::bad_input(format!("bugs[{index}]"), format!("bugs[{index}].{e}"))
            })?;
            // Bugzilla's ids are far below it; GraphQL's Int, which shows them, stops there.
            for (field, id) in [("id", Some(bug.id)), ("dupe_of", bug.dupe_of)] {
                if id.is_some_and(|id| id.0 > MAX_BUG_ID) {
                    return Err(ServiceError::bad_input(
                        format!("bugs[{index}]"),
                        format!("bugs[{index}].{field}: bug ids are at most {MAX_BUG_ID}"),
                    ));
                }
            }
        }
        Ok(self.store.import_bugs(bugs, fetched_until).await?)
    }

    /// The bug `id`, if stored.
    pub async fn bug(&self, id: BugId) -> Result<Option<Bug>, ServiceError> {
        check_id(id)?;
        Ok(self.store.bugs(vec![id]).await?.remove(&id))
    }

    /// The stored bugs among `ids`.
    pub async fn bugs(&self, ids: Vec<BugId>) -> Result<HashMap<BugId, Bug>, ServiceError> {
        for id in &ids {
            check_id(*id)?;
        }
        Ok(self.store.bugs(ids).await?)
    }

    /// The bug each of `ids` stands for: itself, or the end of its chain of duplicates as
    /// stored ([`resolve_duplicate`]; a target not stored is still the target).
    pub async fn resolve_duplicates(
        &self,
        ids: Vec<BugId>,
    ) -> Result<BTreeMap<BugId, BugId>, ServiceError> {
        for id in &ids {
            check_id(*id)?;
        }
        // Walk the chains a link at a time, every chain at once.
        let mut dupe_of: HashMap<BugId, Option<BugId>> = HashMap::new();
        let mut wanted: Vec<BugId> = ids.clone();
        while !wanted.is_empty() {
            let found = self.store.bug_dupes(wanted.clone()).await?;
            let mut next = HashSet::new();
            for id in &wanted {
                let target = found.get(id).copied().flatten();
                dupe_of.insert(*id, target);
                if let Some(target) = target.filter(|t| !dupe_of.contains_key(t)) {
                    next.insert(target);
                }
            }
            wanted = next.into_iter().collect();
        }
        Ok(ids
            .into_iter()
            .map(|id| {
                (
                    id,
                    resolve_duplicate(id, |b| dupe_of.get(&b).copied().flatten()),
                )
            })
            .collect())
    }

    /// The bugs suggested for a search term, in Treeherder's order. A blank term finds
    /// nothing.
    pub async fn bug_suggestions(&self, term: &str) -> Result<BugSuggestions, ServiceError> {
        check_length("searchTerm", term, MAX_TERM_CHARS)?;
        let mut found = self.store.search_bugs(vec![term.to_owned()]).await?;
        Ok(found.pop().unwrap_or_default())
    }

    /// What a raw error line gives to search with (Treeherder's terms, test path, cleaned
    /// line, crash signature and recurrence key).
    pub fn line_search(&self, line: &str) -> Result<LineSearch, ServiceError> {
        check_line(line)?;
        Ok(LineSearch::of(line))
    }

    /// What a raw error line gives to search with, and the bugs its terms find.
    pub async fn line_suggestions(&self, line: &str) -> Result<LineSuggestions, ServiceError> {
        let mut found = self.lines_suggestions(&[line]).await?;
        found
            .pop()
            .ok_or_else(|| ServiceError::Internal("a line's suggestions went missing".into()))
    }

    /// [`Service::line_suggestions`] for every line of `lines` (a failed job's, say), in
    /// their order: each distinct term searched once, all in one store call (and one more
    /// for the crash signatures of the lines whose terms found nothing).
    pub async fn lines_suggestions<S: AsRef<str>>(
        &self,
        lines: &[S],
    ) -> Result<Vec<LineSuggestions>, ServiceError> {
        let mut answers: Vec<LineSuggestions> = lines
            .iter()
            .map(|line| {
                let search = self.line_search(line.as_ref())?;
                let searched = search
                    .terms
                    .terms
                    .iter()
                    .filter(|t| !t.trim().is_empty())
                    .cloned()
                    .collect();
                Ok(LineSuggestions {
                    search,
                    searched,
                    suggestions: BugSuggestions::default(),
                })
            })
            .collect::<Result<_, ServiceError>>()?;
        let found = self
            .search_once(answers.iter().flat_map(|a| &a.searched))
            .await?;
        for answer in &mut answers {
            answer.suggestions =
                union(answer.searched.iter().filter_map(|t| found.get(t).cloned()));
        }
        // The crash signatures of the lines whose terms found nothing.
        let unfound = |a: &LineSuggestions| a.suggestions.is_empty();
        let signatures = self
            .search_once(
                answers
                    .iter()
                    .filter(|a| unfound(a))
                    .filter_map(|a| a.search.crash_signature.as_ref()),
            )
            .await?;
        for answer in answers.iter_mut().filter(|a| unfound(a)) {
            if let Some(signature) = &answer.search.crash_signature {
                answer.searched.push(signature.clone());
                answer.suggestions = signatures.get(signature).cloned().unwrap_or_default();
            }
        }
        Ok(answers)
    }

    /// The suggestions for each distinct term of `terms`, each searched once.
    async fn search_once<'a>(
        &self,
        terms: impl Iterator<Item = &'a String>,
    ) -> Result<HashMap<String, BugSuggestions>, ServiceError> {
        let mut distinct: Vec<String> = Vec::new();
        let mut seen = HashSet::new();
        for term in terms {
            if seen.insert(term.as_str()) {
                distinct.push(term.clone());
            }
        }
        if distinct.is_empty() {
            return Ok(HashMap::new());
        }
        // A job's terms are searched in a few concurrent store calls (each its own pooled
        // connection), so a 40-line job waits for the slowest part, not for the sum.
        let parts = distinct
            .len()
            .div_ceil(TERMS_PER_CALL)
            .clamp(1, MAX_CONCURRENT_CALLS);
        let per_part = distinct.len().div_ceil(parts);
        let answers = futures_util::future::try_join_all(
            distinct
                .chunks(per_part)
                .map(|chunk| self.store.search_bugs(chunk.to_vec())),
        )
        .await?;
        Ok(distinct
            .into_iter()
            .zip(answers.into_iter().flatten())
            .collect())
    }
}

/// Every bug of `answers` once, in the order found.
fn union(answers: impl IntoIterator<Item = BugSuggestions>) -> BugSuggestions {
    let mut seen = HashSet::new();
    let mut all = BugSuggestions::default();
    for answer in answers {
        all.open_recent
            .extend(answer.open_recent.into_iter().filter(|b| seen.insert(b.id)));
        all.all_others
            .extend(answer.all_others.into_iter().filter(|b| seen.insert(b.id)));
    }
    all
}

/// Whether `line` is one the service looks at (at most [`MAX_LINE_CHARS`] characters).
pub fn check_line(line: &str) -> Result<(), ServiceError> {
    check_length("line", line, MAX_LINE_CHARS)
}

fn check_id(id: BugId) -> Result<(), ServiceError> {
    if id.0 <= 0 {
        return Err(ServiceError::bad_input(
            "id",
            format!("{id} is not a bug id: bug ids are positive integers"),
        ));
    }
    Ok(())
}

fn check_length(field: &str, text: &str, max: usize) -> Result<(), ServiceError> {
    if text.chars().nth(max).is_some() {
        return Err(ServiceError::bad_input(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bug(id: i64) -> Bug {
        Bug {
            id: BugId(id),
            status: "NEW".into(),
            resolution: None,
            summary: String::new(),
            dupe_of: None,
            crash_signature: None,
            keywords: Vec::new(),
            whiteboard: None,
            last_change: 0,
            imported_at: 0,
        }
    }

    #[test]
    fn the_union_keeps_each_bug_once_in_the_order_found() {
        let answer = |open: &[i64], others: &[i64]| BugSuggestions {
            open_recent: open.iter().copied().map(bug).collect(),
            all_others: others.iter().copied().map(bug).collect(),
        };
        let all = union(vec![answer(&[3, 1], &[9]), answer(&[2, 3], &[9, 8])]);
        let ids = |bugs: &[Bug]| bugs.iter().map(|b| b.id.0).collect::<Vec<_>>();
        assert_eq!(ids(&all.open_recent), [3, 1, 2]);
        assert_eq!(ids(&all.all_others), [9, 8]);
    }
}
