DROP TABLE persisted_queries;
