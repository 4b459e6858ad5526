DROP TABLE job_classification_bugs;
DROP TABLE job_classifications;
DROP TABLE classifications;
