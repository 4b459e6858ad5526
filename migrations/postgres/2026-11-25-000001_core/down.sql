DROP TABLE graph_changes;
DROP TABLE settings;
DROP TABLE job_dependencies;
DROP TABLE job_attributes;
DROP TABLE jobs;
DROP TABLE commits;
DROP TABLE pushes;
DROP TABLE repositories;
