-- The pushlog: the branch a git repository's pushlog follows, what hg and git say of each
-- commit (branch, tags, files, parents: JSON arrays), and indexes for listing pushes by
-- author and for finding a push by a revision prefix.

ALTER TABLE repositories ADD COLUMN branch TEXT;

ALTER TABLE commits ADD COLUMN branch TEXT;
ALTER TABLE commits ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
ALTER TABLE commits ADD COLUMN files TEXT NOT NULL DEFAULT '[]';
ALTER TABLE commits ADD COLUMN parents TEXT NOT NULL DEFAULT '[]';

CREATE INDEX pushes_by_author ON pushes (repository_id, author, push_id);
