-- Bugs kept locally, as Bugzilla gives them, so that bug suggestions for failure lines and
-- counts of failures per bug never ask Bugzilla (`treeherd import bugs`, the periodic fetch).
-- `id` is Bugzilla's own id; `resolution` is '' while the bug is open (Treeherder's
-- Bugscache spelling); keywords are a JSON array of text; times are unix microseconds.
-- `imported_at` is when this row last changed here (not in Bugzilla).

CREATE TABLE bugs (
    id BIGINT PRIMARY KEY,
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
-- ignoring case): pg_trgm's GIN index on the lower-cased summary, which serves
-- `lower(summary) LIKE '%term%'` (what Treeherder's Bugscache uses on PostgreSQL). SQLite
-- has an FTS5 trigram table instead (the same migration there); store/tests/migrations
-- accepts exactly this difference. pg_trgm is a trusted extension (PostgreSQL 13+): the
-- database's owner may create it. The down migration leaves it, as an operator may have
-- installed it for other uses.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX bugs_summary_trgm ON bugs USING gin (lower(summary) gin_trgm_ops);
