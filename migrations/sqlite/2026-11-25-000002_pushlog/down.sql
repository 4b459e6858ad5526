DROP INDEX pushes_by_author;
ALTER TABLE commits DROP COLUMN parents;
ALTER TABLE commits DROP COLUMN files;
ALTER TABLE commits DROP COLUMN tags;
ALTER TABLE commits DROP COLUMN branch;
ALTER TABLE repositories DROP COLUMN branch;
