-- A decision about one failed test of a job (its failed results named `test`, `subtest`; an
-- empty subtest is the test's own result), as `log_id`/`position` name one failure line. By
-- name, not by result id, so that it still applies when the job's error summary is parsed
-- again and its results are stored anew.
ALTER TABLE classifications ADD COLUMN test TEXT;
ALTER TABLE classifications ADD COLUMN subtest TEXT;
