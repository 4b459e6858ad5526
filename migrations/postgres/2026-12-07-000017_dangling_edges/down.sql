CREATE INDEX job_dependencies_by_dependency_guid ON job_dependencies (dependency_guid);
DROP INDEX job_dependencies_dangling;
CREATE INDEX job_dependencies_by_dependency_id ON job_dependencies (dependency_id);
DROP INDEX job_dependencies_by_dependency;
