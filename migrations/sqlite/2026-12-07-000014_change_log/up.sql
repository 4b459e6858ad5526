-- Append-only log of what subscribers hear: a job written, a push added, a machine set by
-- hand, a classification decided; each in the transaction of its write, in commit order
-- (writers that append are serialized, as for graph_changes). Every server replica tails it
-- to announce changes written through any replica; a subscriber resumes after the `seq` of
-- the last event it saw. `subject_id` is the row the event is about (jobs, pushes, machines
-- or classifications by `kind`); `repository_id` is NULL for a machine.
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    repository_id BIGINT,
    subject_id BIGINT NOT NULL
);
CREATE INDEX change_log_by_repository ON change_log (repository_id, seq);
