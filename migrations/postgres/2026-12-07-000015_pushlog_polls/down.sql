DROP TABLE pushlog_polls;
