-- Builds for crash reporting: what buildhub (or a build system) says of each shipped build.
-- A crash report names a product, a channel and a build id, and only the bare version a beta
-- says of itself (64.0 for 64.0b4): `version` here is the true one. One row per (product,
-- build id, platform, locale, channel); submitting it again updates the row. The repository,
-- push and job link to what treeherd holds, when it does. The push is only ever a pushlog
-- push, never a placeholder (which the pushlog may merge away); one that arrives after the
-- build is found when the build is read.

CREATE TABLE builds (
    id INTEGER PRIMARY KEY,
    product TEXT NOT NULL,
    -- buildhub's 14-digit YYYYMMDDhhmmss; text, so that it sorts and compares as given.
    build_id TEXT NOT NULL,
    version TEXT NOT NULL,
    channel TEXT NOT NULL,
    platform TEXT NOT NULL,
    os TEXT,
    locale TEXT NOT NULL,
    -- As the record gives it; repository_id is the treeherd repository at that URL, if any.
    repository_url TEXT,
    revision TEXT,
    repository_id BIGINT REFERENCES repositories (id),
    push_row_id BIGINT REFERENCES pushes (id) ON DELETE SET NULL,
    job_id BIGINT REFERENCES jobs (id) ON DELETE SET NULL,
    download_url TEXT,
    mimetype TEXT,
    size BIGINT,
    published_at BIGINT,
    built_at BIGINT,
    UNIQUE (product, build_id, platform, locale, channel)
);
-- Listing newest build id first (keyset on build id, then row id), by product alone or with
-- a version or a channel.
CREATE INDEX builds_by_product ON builds (product, build_id, id);
CREATE INDEX builds_by_version ON builds (product, version, build_id, id);
CREATE INDEX builds_by_channel ON builds (product, channel, build_id, id);
