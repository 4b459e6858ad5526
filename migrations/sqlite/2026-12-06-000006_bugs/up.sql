-- Bugs kept locally, as Bugzilla gives them, so that bug suggestions for failure lines and
-- counts of failures per bug never ask Bugzilla (`treeherd import bugs`, the periodic fetch).
-- `id` is Bugzilla's own id; `resolution` is '' while the bug is open (Treeherder's
-- Bugscache spelling); keywords are a JSON array of text; times are unix microseconds.
-- `imported_at` is when this row last changed here (not in Bugzilla).

CREATE TABLE bugs (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    resolution TEXT NOT NULL,
    summary TEXT NOT NULL,
    dupe_of BIGINT,
    crash_signature TEXT,
    keywords TEXT NOT NULL,
    whiteboard TEXT,
    last_change BIGINT NOT NULL,
    imported_at BIGINT NOT NULL
);
-- The periodic fetch asks Bugzilla for bugs changed since the newest it holds.
CREATE INDEX bugs_by_last_change ON bugs (last_change);

-- The text index of summaries, for bug suggestions (`summary` contains the search term,
-- ignoring case). SQLite's own: an FTS5 table over `bugs` (external content: the text is
-- stored once, in `bugs`) with the trigram tokenizer, where a phrase query is a substring
-- match for terms of 3 characters or more. PostgreSQL has a pg_trgm GIN index instead (the
-- same migration there); store/tests/migrations accepts exactly this difference.
CREATE VIRTUAL TABLE bugs_summary_fts USING fts5 (
    summary,
    content = 'bugs',
    content_rowid = 'id',
    tokenize = 'trigram'
);
-- The triggers keep the text index equal to `bugs` in the transaction that writes it.
CREATE TRIGGER bugs_summary_fts_insert AFTER INSERT ON bugs BEGIN
    INSERT INTO bugs_summary_fts (rowid, summary) VALUES (new.id, new.summary);
END;
CREATE TRIGGER bugs_summary_fts_delete AFTER DELETE ON bugs BEGIN
    INSERT INTO bugs_summary_fts (bugs_summary_fts, rowid, summary)
        VALUES ('delete', old.id, old.summary);
END;
CREATE TRIGGER bugs_summary_fts_update AFTER UPDATE OF summary ON bugs BEGIN
    INSERT INTO bugs_summary_fts (bugs_summary_fts, rowid, summary)
        VALUES ('delete', old.id, old.summary);
    INSERT INTO bugs_summary_fts (rowid, summary) VALUES (new.id, new.summary);
END;
