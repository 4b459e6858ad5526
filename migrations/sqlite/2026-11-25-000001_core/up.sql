-- Core tables: repositories, pushes with their commits, jobs with indexed attributes, typed
-- dependency edges, and the server's own settings. Times are unix microseconds (UTC).

CREATE TABLE repositories (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    vcs TEXT NOT NULL,
    url TEXT NOT NULL,
    -- JSON array of the attribute keys whose values are indexed in job_attributes.
    indexed_attributes TEXT NOT NULL
);

CREATE TABLE pushes (
    id INTEGER PRIMARY KEY,
    repository_id BIGINT NOT NULL REFERENCES repositories (id),
    -- NULL while the push is a placeholder: a job named its revision before the pushlog
    -- brought the push. The pushlog fills the row in (push id, author, time) when it does.
    push_id BIGINT,
    revision TEXT NOT NULL,
    author TEXT NOT NULL,
    pushed_at BIGINT NOT NULL,
    UNIQUE (repository_id, push_id),
    UNIQUE (repository_id, revision)
);

CREATE TABLE commits (
    push_row_id BIGINT NOT NULL REFERENCES pushes (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    revision TEXT NOT NULL,
    author TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (push_row_id, position)
);
CREATE INDEX commits_by_revision ON commits (revision);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    guid TEXT NOT NULL UNIQUE,
    repository_id BIGINT NOT NULL REFERENCES repositories (id),
    push_row_id BIGINT REFERENCES pushes (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    symbol TEXT,
    group_symbol TEXT,
    group_name TEXT,
    platform TEXT,
    build_system TEXT,
    state TEXT NOT NULL,
    result TEXT NOT NULL,
    tier INTEGER NOT NULL,
    machine TEXT,
    submitted_at BIGINT,
    started_at BIGINT,
    finished_at BIGINT,
    -- The whole free-form attribute object, as JSON text.
    attributes TEXT NOT NULL
);
CREATE INDEX jobs_by_push ON jobs (push_row_id, id);
CREATE INDEX jobs_by_repository ON jobs (repository_id, id);

-- Values of the attribute keys a repository declares indexed (one row per scalar value; an
-- array contributes one row per scalar element), so that filters on them use an index.
CREATE TABLE job_attributes (
    job_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (job_id, key, value)
);
CREATE INDEX job_attributes_by_value ON job_attributes (key, value, job_id);

-- dependent waits on dependency. The dependent is a stored job; the dependency is named by
-- guid and may not have arrived yet (dependency_id NULL): the edge binds, and dependency_id is
-- set, when a job with that guid arrives.
CREATE TABLE job_dependencies (
    dependent_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    dependency_guid TEXT NOT NULL,
    dependency_id BIGINT REFERENCES jobs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    PRIMARY KEY (dependent_id, dependency_guid)
);
CREATE INDEX job_dependencies_by_dependency_guid ON job_dependencies (dependency_guid);
CREATE INDEX job_dependencies_by_dependency_id ON job_dependencies (dependency_id);

-- Append-only log of the jobs whose status or edges changed, in commit order (writers that
-- append are serialized). Every server process keeps its in-memory dependency graph current by
-- reading what follows the last sequence number it applied.
CREATE TABLE graph_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id BIGINT NOT NULL
);

-- Logs of a job, kept as pointers (URLs) and queued for parsing: status PENDING until the
-- parser has read them (PARSED, FAILED, SKIPPED).
CREATE TABLE job_logs (
    id INTEGER PRIMARY KEY,
    job_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    UNIQUE (job_id, name)
);
CREATE INDEX job_logs_by_status ON job_logs (status, id);

-- The results dictionary of a job: raw and parsed logs, screenshots, recordings, binaries.
CREATE TABLE artifacts (
    id INTEGER PRIMARY KEY,
    job_id BIGINT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    content_type TEXT,
    size BIGINT,
    sha256 TEXT,
    UNIQUE (job_id, name, url)
);

-- Server-wide settings shared by every process on this database (e.g. the token secret).
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
