-- An edge is looked up by its dependency's guid only while it dangles (the dependency has
-- not arrived, or has expired), and by its dependency's id only while it does not. Each of
-- the two indexes holds just the edges its lookups can find. With one full index on each
-- column, the query that binds a new job's dangling edges (guid in the batch, id null) was
-- planned on the id index whenever the statistics said few ids were null. After retention
-- left a day's edges dangling, every ingested batch walked all of them: at 2 M jobs a batch
-- of 100 went from 12 ms to 41 ms (treeherd-scale-bench).
CREATE INDEX job_dependencies_dangling ON job_dependencies (dependency_guid)
    WHERE dependency_id IS NULL;
DROP INDEX job_dependencies_by_dependency_guid;
CREATE INDEX job_dependencies_by_dependency ON job_dependencies (dependency_id)
    WHERE dependency_id IS NOT NULL;
DROP INDEX job_dependencies_by_dependency_id;
