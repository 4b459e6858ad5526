DROP TABLE releases;
DROP TABLE schedules;
DROP INDEX jobs_scheduled;
DROP INDEX jobs_by_machine;
DROP TABLE machine_events;
DROP TABLE machines;
