CREATE TABLE job_classification_bugs_old (
    job_id BIGINT NOT NULL REFERENCES job_classifications (job_id) ON DELETE CASCADE,
    bug_id BIGINT NOT NULL,
    failed_at BIGINT NOT NULL,
    PRIMARY KEY (job_id, bug_id)
);
INSERT INTO job_classification_bugs_old (job_id, bug_id, failed_at)
    SELECT job_id, bug_id, failed_at FROM job_classification_bugs;
DROP TABLE job_classification_bugs;
ALTER TABLE job_classification_bugs_old RENAME TO job_classification_bugs;
CREATE INDEX job_classification_bugs_by_bug ON job_classification_bugs (bug_id, failed_at);
CREATE INDEX job_classification_bugs_by_time ON job_classification_bugs (failed_at);

DROP INDEX job_classifications_by_time;
CREATE INDEX job_classifications_by_time ON job_classifications (failed_at, repository_id);
ALTER TABLE job_classifications DROP COLUMN platform;
