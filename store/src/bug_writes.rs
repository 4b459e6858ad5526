//! Writing bugs: an import of Bugzilla bugs is one transaction, idempotent, and says what it
//! did (inserted, updated, unchanged). The periodic fetch's high-water mark (the newest
//! `last_change` Bugzilla has given it) is written in the same transaction as the bugs it
//! came with, so a fetch is either wholly kept or wholly asked for again.
//!
//! A bug already stored is updated only when it differs and is not older than the stored one
//! (by `last_change`): an old file imported after a fetch does not move a bug back. The text
//! index follows the `bugs` table by itself (triggers on SQLite, the GIN index on PostgreSQL).

use std::collections::HashMap;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use treeherd_model::{BugId, NewBug};

use crate::bugs::{Bug, load};
use crate::db::{self, BATCH_ROWS, DbConnection};
use crate::schema::{bugs, settings};
use crate::{Store, StoreError};

/// What an import did, bug by distinct bug.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BugsImported {
    /// Not stored before.
    pub inserted: usize,
    /// Stored, and changed by this import.
    pub updated: usize,
    /// Stored already as given, or stored with a later change.
    pub unchanged: usize,
}

/// The setting that holds the periodic fetch's high-water mark (unix microseconds).
const FETCHED_UNTIL: &str = "bugzilla_fetched_until";

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = bugs, treat_none_as_null = true, treat_none_as_default_value = false)]
struct BugValues<'a> {
    id: i64,
    status: &'a str,
    resolution: &'a str,
    summary: &'a str,
    dupe_of: Option<i64>,
    crash_signature: Option<&'a str>,
    keywords: String,
    whiteboard: Option<&'a str>,
    last_change: i64,
    imported_at: i64,
}

impl<'a> BugValues<'a> {
    fn of(bug: &'a NewBug, imported_at: i64) -> Result<BugValues<'a>, StoreError> {
        Ok(BugValues {
            id: bug.id.0,
            status: &bug.status,
            resolution: bug.resolution.as_deref().unwrap_or_default(),
            summary: &bug.summary,
            dupe_of: bug.dupe_of.map(|d| d.0),
            crash_signature: bug.crash_signature.as_deref(),
            keywords: serde_json::to_string(&bug.keywords)?,
            whiteboard: bug.whiteboard.as_deref(),
            last_change: bug.last_change,
            imported_at,
        })
    }
}

impl Store {
    /// Imports bugs in one transaction, each checked first (the model's rules): a bug given
    /// twice counts once, as last given. `fetched_until`, when given, becomes the periodic
    /// fetch's high-water mark in the same transaction.
    pub async fn import_bugs(
        &self,
        mut new: Vec<NewBug>,
        fetched_until: Option<i64>,
    ) -> Result<BugsImported, StoreError> {
        for (index, bug) in new.iter_mut().enumerate() {
            bug.check()
                .map_err(|e| StoreError::Invalid(format!("bug {index} ({}): {e}", bug.id)))?;
        }
        self.run(move |conn| {
            let imported = db::write(conn, |conn| {
                let imported = import(conn, &new)?;
                if let Some(until) = fetched_until {
                    set_fetched_until(conn, until)?;
                }
                Ok(imported)
            })?;
            let grew = imported.inserted;
            if let DbConnection::Pg(c) = conn
                && imported.inserted + imported.updated > 0
            {
                // New entries of a GIN index wait in a pending list that every search reads
                // whole until it is merged (at 4 MB, or by autovacuum): merge them now.
                c.batch_execute("SELECT gin_clean_pending_list('bugs_summary_trgm'::regclass)")?;
            }
            if grew > 0 {
                let total: i64 = bugs::table.count().get_result(conn)?;
                let before = total - i64::try_from(grew).unwrap_or(0);
                if db::doubled(before, total) {
                    db::analyze(conn, &["bugs"])?;
                }
            }
            Ok(imported)
        })
        .await
    }

    /// The periodic fetch's high-water mark: the newest `last_change` (unix microseconds)
    /// of the bugs it has imported, or `None` before its first import.
    pub async fn bugzilla_fetched_until(&self) -> Result<Option<i64>, StoreError> {
        self.run(|conn| {
            let value: Option<String> = settings::table
                .find(FETCHED_UNTIL)
                .select(settings::value)
                .first(conn)
                .optional()?;
            value
                .map(|v| {
                    v.parse::<i64>().map_err(|e| {
                        StoreError::caused_by(&format!("setting {FETCHED_UNTIL} is {v:?}"), e)
                    })
                })
                .transpose()
        })
        .await
    }
}

fn set_fetched_until(conn: &mut DbConnection, until: i64) -> Result<(), StoreError> {
    let value = until.to_string();
    per_backend!(conn, |c| diesel::insert_into(settings::table)
        .values((settings::name.eq(FETCHED_UNTIL), settings::value.eq(&value)))
        .on_conflict(settings::name)
        .do_update()
        .set(settings::value.eq(&value))
        .execute(c)?);
    Ok(())
}

fn import(conn: &mut DbConnection, new: &[NewBug]) -> Result<BugsImported, StoreError> {
    // The last version of a bug given twice wins; each counts once.
    let mut last: HashMap<BugId, usize> = HashMap::with_capacity(new.len());
    let mut order: Vec<BugId> = Vec::with_capacity(new.len());
    for (i, bug) in new.iter().enumerate() {
        if last.insert(bug.id, i).is_none() {
            order.push(bug.id);
        }
    }
    let stored = load(conn, &order)?;
    let now = db::now_micros();
    let mut imported = BugsImported::default();
    let mut inserts = Vec::new();
    for id in &order {
        let bug = &new[last[id]];
        match stored.get(id) {
            None => {
                inserts.push(BugValues::of(bug, now)?);
                imported.inserted += 1;
            }
            Some(old) if old.last_change > bug.last_change || same(old, bug) => {
                imported.unchanged += 1;
            }
            Some(_) => {
                let values = BugValues::of(bug, now)?;
                diesel::update(bugs::table.find(id.0))
                    .set(&values)
                    .execute(conn)?;
                imported.updated += 1;
            }
        }
    }
    for chunk in inserts.chunks(BATCH_ROWS) {
        per_backend!(conn, |c| diesel::insert_into(bugs::table)
            .values(chunk)
            .execute(c)?);
    }
    Ok(imported)
}

/// Whether the stored bug is what the import gives (`imported_at` aside).
fn same(old: &Bug, new: &NewBug) -> bool {
    old.status == new.status
        && old.resolution == new.resolution
        && old.summary == new.summary
        && old.dupe_of == new.dupe_of
        && old.crash_signature == new.crash_signature
        && old.keywords == new.keywords
        && old.whiteboard == new.whiteboard
        && old.last_change == new.last_change
}
