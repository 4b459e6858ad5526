ALTER TABLE classifications DROP COLUMN subtest;
ALTER TABLE classifications DROP COLUMN test;
