-- Retention: jobs older than the window go with everything that hangs off them (cascades),
-- while what outlives them stays and lets go of them (SET NULL): an edge whose dependency
-- expired dangles (its guid stays), and a performance value keeps its push, so that series
-- outlive their jobs (Treeherder's performance data has its own, longer window). SQLite
-- changes a foreign key only by rebuilding its table; nothing references these two.
CREATE TABLE perf_data_new (
    id INTEGER PRIMARY KEY,
    job_id BIGINT REFERENCES jobs (id) ON DELETE SET NULL,
    log_id BIGINT REFERENCES job_logs (id) ON DELETE SET NULL,
    repository_id BIGINT NOT NULL REFERENCES repositories (id),
    framework TEXT NOT NULL,
    suite TEXT NOT NULL,
    subtest TEXT NOT NULL,
    platform TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    unit TEXT,
    lower_is_better BOOLEAN,
    push_row_id BIGINT REFERENCES pushes (id)
);
INSERT INTO perf_data_new (id, job_id, log_id, repository_id, framework, suite, subtest, platform,
                           value, unit, lower_is_better, push_row_id)
SELECT p.id, p.job_id, p.log_id, p.repository_id, p.framework, p.suite, p.subtest, p.platform,
       p.value, p.unit, p.lower_is_better, (SELECT j.push_row_id FROM jobs j WHERE j.id = p.job_id)
FROM perf_data p;
DROP TABLE perf_data;
ALTER TABLE perf_data_new RENAME TO perf_data;
CREATE INDEX perf_series ON perf_data (repository_id, framework, suite, subtest, platform, job_id);
CREATE INDEX perf_data_by_job ON perf_data (job_id);
CREATE INDEX perf_data_by_push ON perf_data (push_row_id);

CREATE TABLE job_dependencies_new (
    dependent_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    dependency_guid TEXT NOT NULL,
    dependency_id BIGINT REFERENCES jobs (id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (dependent_id, dependency_guid)
);
INSERT INTO job_dependencies_new (dependent_id, dependency_guid, dependency_id, kind)
SELECT dependent_id, dependency_guid, dependency_id, kind FROM job_dependencies;
DROP TABLE job_dependencies;
ALTER TABLE job_dependencies_new RENAME TO job_dependencies;
CREATE INDEX job_dependencies_by_dependency_guid ON job_dependencies (dependency_guid);
CREATE INDEX job_dependencies_by_dependency_id ON job_dependencies (dependency_id);

-- A job's age: when it was submitted, else started, else finished (a job with none is kept).
CREATE INDEX jobs_by_age ON jobs ((COALESCE(submitted_at, started_at, finished_at)), id);

-- Every column that references a job, a log or a test result has an index, so that a deleted
-- row finds what references it without a scan of the referencing table (a cascade or SET NULL
-- runs per deleted row).
CREATE INDEX artifacts_by_test_result ON artifacts (test_result_id);
CREATE INDEX perf_data_by_log ON perf_data (log_id);
CREATE INDEX classifications_by_log ON classifications (log_id);
CREATE INDEX builds_by_job ON builds (job_id);
CREATE INDEX machines_by_current_job ON machines (current_job_id);
CREATE INDEX releases_by_job ON releases (job_id);
