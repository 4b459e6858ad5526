ALTER TABLE log_errors DROP COLUMN recurrence_key;
ALTER TABLE log_errors DROP COLUMN recurrence_test;
