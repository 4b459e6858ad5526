-- The intermittent-failures view counts from `job_classifications` and
-- `job_classification_bugs` alone, through covering indexes, never joining `jobs`: each row
-- carries what the view filters by (when the job failed, its classification, repository and
-- platform). The bugs table is rebuilt with its new columns, filled from the current rows.
ALTER TABLE job_classifications ADD COLUMN platform TEXT;
UPDATE job_classifications
    SET platform = (SELECT j.platform FROM jobs j WHERE j.id = job_classifications.job_id);
DROP INDEX job_classifications_by_time;
CREATE INDEX job_classifications_by_time
    ON job_classifications (failed_at, classification, repository_id, platform);

CREATE TABLE job_classification_bugs_new (
    job_id BIGINT NOT NULL REFERENCES job_classifications (job_id) ON DELETE CASCADE,
    bug_id BIGINT NOT NULL,
    failed_at BIGINT NOT NULL,
    classification INTEGER NOT NULL,
    repository_id BIGINT NOT NULL,
    platform TEXT,
    PRIMARY KEY (job_id, bug_id)
);
INSERT INTO job_classification_bugs_new
        (job_id, bug_id, failed_at, classification, repository_id, platform)
    SELECT b.job_id, b.bug_id, b.failed_at, jc.classification, jc.repository_id, jc.platform
    FROM job_classification_bugs b JOIN job_classifications jc ON jc.job_id = b.job_id;
DROP TABLE job_classification_bugs;
ALTER TABLE job_classification_bugs_new RENAME TO job_classification_bugs;
CREATE INDEX job_classification_bugs_by_bug
    ON job_classification_bugs (bug_id, failed_at, classification, repository_id, platform);
CREATE INDEX job_classification_bugs_by_time
    ON job_classification_bugs (failed_at, classification, repository_id, platform, bug_id);
