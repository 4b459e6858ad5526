DROP TRIGGER bugs_summary_fts_update;
DROP TRIGGER bugs_summary_fts_delete;
DROP TRIGGER bugs_summary_fts_insert;
DROP TABLE bugs_summary_fts;
DROP TABLE bugs;
