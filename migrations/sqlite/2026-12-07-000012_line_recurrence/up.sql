-- Each stored failure line carries its recurrence key (the test on it and its cleaned,
-- masked message), derived once by the service when the log is parsed: the autoclassifier
-- and a person's classification read it instead of deriving it again. NULL for lines stored
-- before this migration; readers derive those.
ALTER TABLE log_errors ADD COLUMN recurrence_test TEXT;
ALTER TABLE log_errors ADD COLUMN recurrence_key TEXT;
