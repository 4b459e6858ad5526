DROP INDEX releases_by_job;
DROP INDEX machines_by_current_job;
DROP INDEX builds_by_job;
DROP INDEX classifications_by_log;
DROP INDEX artifacts_by_test_result;
DROP INDEX jobs_by_age;
ALTER TABLE job_dependencies
    DROP CONSTRAINT job_dependencies_dependency_id_fkey,
    ADD CONSTRAINT job_dependencies_dependency_id_fkey FOREIGN KEY (dependency_id) REFERENCES jobs (id) ON DELETE CASCADE;
DELETE FROM perf_data WHERE job_id IS NULL;
ALTER TABLE perf_data
    DROP CONSTRAINT perf_data_job_id_fkey,
    ADD CONSTRAINT perf_data_job_id_fkey FOREIGN KEY (job_id) REFERENCES jobs (id) ON DELETE CASCADE,
    DROP CONSTRAINT perf_data_log_id_fkey,
    ADD CONSTRAINT perf_data_log_id_fkey FOREIGN KEY (log_id) REFERENCES job_logs (id) ON DELETE CASCADE;
ALTER TABLE perf_data ALTER COLUMN job_id SET NOT NULL;
DROP INDEX perf_data_by_push;
DROP INDEX perf_data_by_log;
ALTER TABLE perf_data DROP COLUMN push_row_id;
