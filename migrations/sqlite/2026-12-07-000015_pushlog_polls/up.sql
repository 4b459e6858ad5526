-- When a repository's pushlog is next due to be polled. A replica's poller polls a repository
-- only if it moves this forward (a conditional update): one replica polls it per interval, and
-- a replica that dies mid-poll leaves it to the others one interval later.
CREATE TABLE pushlog_polls (
    repository_id BIGINT PRIMARY KEY REFERENCES repositories (id) ON DELETE CASCADE,
    next_poll_at BIGINT NOT NULL
);
