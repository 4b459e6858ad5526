-- Sheriffing: what people and the autoclassifier decided about failed jobs and their failure
-- lines (Treeherder's failure classifications, ids 1-8, with bugs and a note).
--
-- Every decision is a row of `classifications`, never updated: a job's history, newest last.
-- A row with a log and position classifies one failure line (an error line of the job's log);
-- without, the whole job. Classifying a job writes its row and one row per failure line, so
-- that every line a person judged is a precedent for the autoclassifier, found by its
-- recurrence key (the test on the line and the line with numbers masked) in its repository.
-- `failed_at` is when the classified job failed: the autoclassifier's window counts from it.
CREATE TABLE classifications (
    id INTEGER PRIMARY KEY,
    job_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    repository_id BIGINT NOT NULL REFERENCES repositories (id),
    log_id BIGINT REFERENCES job_logs (id) ON DELETE CASCADE,
    position INTEGER,
    classification INTEGER NOT NULL,
    -- The bug ids, ascending, comma-separated ('' for none).
    bugs TEXT NOT NULL,
    note TEXT,
    who TEXT NOT NULL,
    automatic BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    failed_at BIGINT NOT NULL,
    recurrence_test TEXT,
    recurrence_key TEXT
);
CREATE INDEX classifications_by_job ON classifications (job_id, id);
CREATE INDEX classifications_by_recurrence ON classifications (repository_id, recurrence_key, failed_at)
    WHERE recurrence_key IS NOT NULL AND automatic = FALSE;

-- A job's classification now (the newest of its job rows), one row per classified job, kept
-- in the same transaction as the history: the push status, the "failed and unclassified"
-- filter and the intermittent-failures view read it without ranking the history.
CREATE TABLE job_classifications (
    job_id BIGINT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    repository_id BIGINT NOT NULL REFERENCES repositories (id),
    push_row_id BIGINT,
    classification_id BIGINT NOT NULL,
    classification INTEGER NOT NULL,
    automatic BOOLEAN NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX job_classifications_by_time ON job_classifications (failed_at, repository_id);
CREATE INDEX job_classifications_by_push ON job_classifications (push_row_id);

-- The bugs of a job's classification now: failures per bug.
CREATE TABLE job_classification_bugs (
    job_id BIGINT NOT NULL REFERENCES job_classifications (job_id) ON DELETE CASCADE,
    bug_id BIGINT NOT NULL,
    failed_at BIGINT NOT NULL,
    PRIMARY KEY (job_id, bug_id)
);
CREATE INDEX job_classification_bugs_by_bug ON job_classification_bugs (bug_id, failed_at);
CREATE INDEX job_classification_bugs_by_time ON job_classification_bugs (failed_at);
