DROP INDEX releases_by_job;
DROP INDEX machines_by_current_job;
DROP INDEX builds_by_job;
DROP INDEX classifications_by_log;
DROP INDEX artifacts_by_test_result;
DROP INDEX jobs_by_age;
CREATE TABLE job_dependencies_old (
    dependent_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    dependency_guid TEXT NOT NULL,
    dependency_id BIGINT REFERENCES jobs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    PRIMARY KEY (dependent_id, dependency_guid)
);
INSERT INTO job_dependencies_old SELECT dependent_id, dependency_guid, dependency_id, kind FROM job_dependencies;
DROP TABLE job_dependencies;
ALTER TABLE job_dependencies_old RENAME TO job_dependencies;
CREATE INDEX job_dependencies_by_dependency_guid ON job_dependencies (dependency_guid);
CREATE INDEX job_dependencies_by_dependency_id ON job_dependencies (dependency_id);

CREATE TABLE perf_data_old (
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
INSERT INTO perf_data_old SELECT id, job_id, log_id, repository_id, framework, suite, subtest,
    platform, value, unit, lower_is_better FROM perf_data WHERE job_id IS NOT NULL;
DROP TABLE perf_data;
ALTER TABLE perf_data_old RENAME TO perf_data;
CREATE INDEX perf_series ON perf_data (repository_id, framework, suite, subtest, platform, job_id);
CREATE INDEX perf_data_by_job ON perf_data (job_id);
