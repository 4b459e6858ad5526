-- Test objects: what the parse worker finds in a job's logs (errors, steps, perf data, test
-- results from mozlog error summaries), test results submitted directly, and artifacts of a
-- test result. A log's parsing state: tries so far, when it may be tried next (also the lease
-- of the worker holding it), why it failed or was skipped, and what the parse counted.

ALTER TABLE job_logs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE job_logs ADD COLUMN next_attempt_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE job_logs ADD COLUMN reason TEXT;
ALTER TABLE job_logs ADD COLUMN parsed_at BIGINT;
ALTER TABLE job_logs ADD COLUMN line_count BIGINT;
ALTER TABLE job_logs ADD COLUMN byte_count BIGINT;
ALTER TABLE job_logs ADD COLUMN error_count BIGINT;
DROP INDEX job_logs_by_status;
CREATE INDEX job_logs_due ON job_logs (status, next_attempt_at, id);

-- Treeherder's error summary of a log (at most 40 lines), with the step each line fell in.
CREATE TABLE log_errors (
    log_id BIGINT NOT NULL REFERENCES job_logs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    line_number BIGINT NOT NULL,
    line TEXT NOT NULL,
    step INTEGER,
    PRIMARY KEY (log_id, position)
);

-- The steps of a log (taskcluster, mozharness, buildbot), lines 0-based.
CREATE TABLE log_steps (
    log_id BIGINT NOT NULL REFERENCES job_logs (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    result TEXT NOT NULL,
    first_line BIGINT NOT NULL,
    last_line BIGINT,
    started TEXT,
    finished TEXT,
    duration_ms BIGINT,
    error_count BIGINT NOT NULL,
    PRIMARY KEY (log_id, position)
);

-- One result per (job, test, subtest); subtest '' is the test's own result. `failed` is the
-- model's rule (a failing status not expected), kept for the failure queries.
CREATE TABLE test_results (
    id INTEGER PRIMARY KEY,
    job_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    repository_id BIGINT NOT NULL REFERENCES repositories (id),
    test TEXT NOT NULL,
    subtest TEXT NOT NULL,
    status TEXT NOT NULL,
    expected TEXT,
    failed BOOLEAN NOT NULL,
    duration_ms BIGINT,
    message TEXT,
    stack TEXT,
    test_group TEXT,
    UNIQUE (job_id, test, subtest)
);
CREATE INDEX test_results_by_test ON test_results (repository_id, test, id);
CREATE INDEX test_results_failed ON test_results (repository_id, failed, job_id);

-- An artifact may belong to one test result of its job.
ALTER TABLE artifacts ADD COLUMN test_result_id BIGINT REFERENCES test_results (id) ON DELETE CASCADE;

-- PERFHERDER_DATA values: a suite's value (subtest '') or a subtest's, per job; `log_id` is
-- the log they were read from. Platform is the job's, kept for the series lookup.
CREATE TABLE perf_data (
    id INTEGER PRIMARY KEY,
    job_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    log_id BIGINT REFERENCES job_logs (id) ON DELETE CASCADE,
    repository_id BIGINT NOT NULL REFERENCES repositories (id),
    framework TEXT NOT NULL,
    suite TEXT NOT NULL,
    subtest TEXT NOT NULL,
    platform TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    unit TEXT,
    lower_is_better BOOLEAN
);
CREATE INDEX perf_series ON perf_data (repository_id, framework, suite, subtest, platform, job_id);
CREATE INDEX perf_data_by_job ON perf_data (job_id);
