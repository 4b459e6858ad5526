-- Retention: jobs older than the window go with everything that hangs off them (cascades),
-- while what outlives them stays and lets go of them (SET NULL): an edge whose dependency
-- expired dangles (its guid stays), and a performance value keeps its push, so that series
-- outlive their jobs (Treeherder's performance data has its own, longer window).
ALTER TABLE perf_data ADD COLUMN push_row_id BIGINT REFERENCES pushes (id);
UPDATE perf_data SET push_row_id = jobs.push_row_id FROM jobs WHERE jobs.id = perf_data.job_id;
ALTER TABLE perf_data ALTER COLUMN job_id DROP NOT NULL;
ALTER TABLE perf_data
    DROP CONSTRAINT perf_data_job_id_fkey,
    ADD CONSTRAINT perf_data_job_id_fkey FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE SET NULL,
    DROP CONSTRAINT perf_data_log_id_fkey,
    ADD CONSTRAINT perf_data_log_id_fkey FOREIGN KEY (log_id) REFERENCES job_logs (id) ON DELETE SET NULL;
CREATE INDEX perf_data_by_push ON perf_data (push_row_id);

ALTER TABLE job_dependencies
    DROP CONSTRAINT job_dependencies_dependency_id_fkey,
    ADD CONSTRAINT job_dependencies_dependency_id_fkey FOREIGN KEY (dependency_id) REFERENCES jobs (id) ON DELETE SET NULL;

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
