-- Warehouses made before the facts table lost its primary key (see sql/ddl/001_tables.sql): the rows
-- move from the renamed keyed table into the new one, which the DDL has just created.
INSERT INTO facts BY NAME SELECT * FROM facts_keyed;
DROP TABLE facts_keyed;
