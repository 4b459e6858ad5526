-- Machines of every build system and what they do now, with a history of state changes;
-- declared intervals of scheduled jobs; releases (a release job whose RELEASE edges fan in
-- over what it waits for).

CREATE TABLE machines (
    id INTEGER PRIMARY KEY,
    build_system TEXT NOT NULL,
    name TEXT NOT NULL,
    platform TEXT,
    os TEXT,
    architecture TEXT,
    -- IDLE BUSY OFFLINE QUARANTINED
    state TEXT NOT NULL,
    current_job_id BIGINT REFERENCES jobs (id) ON DELETE SET NULL,
    last_seen_at BIGINT NOT NULL,
    -- Why it was set to its state by hand (quarantine, offline), and until when.
    reason TEXT,
    until BIGINT,
    UNIQUE (build_system, name)
);
CREATE INDEX machines_by_state ON machines (build_system, state, id);

CREATE TABLE machine_events (
    id INTEGER PRIMARY KEY,
    machine_id BIGINT NOT NULL REFERENCES machines (id) ON DELETE CASCADE,
    at BIGINT NOT NULL,
    state TEXT NOT NULL,
    job_id BIGINT,
    reason TEXT
);
CREATE INDEX machine_events_by_machine ON machine_events (machine_id, id);

-- A machine's jobs, newest first.
CREATE INDEX jobs_by_machine ON jobs (machine, id) WHERE machine IS NOT NULL;
-- Scheduled jobs (few among many) by name.
CREATE INDEX jobs_scheduled ON jobs (repository_id, name, id) WHERE kind = 'SCHEDULED';

CREATE TABLE schedules (
    repository_id BIGINT NOT NULL REFERENCES repositories (id),
    name TEXT NOT NULL,
    interval_us BIGINT NOT NULL,
    PRIMARY KEY (repository_id, name)
);

CREATE TABLE releases (
    id INTEGER PRIMARY KEY,
    product TEXT NOT NULL,
    version TEXT NOT NULL,
    build_number INTEGER NOT NULL,
    channel TEXT NOT NULL,
    repository_id BIGINT NOT NULL REFERENCES repositories (id),
    revision TEXT NOT NULL,
    job_id BIGINT NOT NULL REFERENCES jobs (id),
    -- JSON array: the locales it ships, for its locale matrix.
    locales TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (product, version, build_number)
);
CREATE INDEX releases_by_product ON releases (product, id);
