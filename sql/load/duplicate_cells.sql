-- Incoming facts that name the same cell of a report twice: any row refuses the whole set (the facts
-- table keeps one row per cell without a primary key; see sql/ddl/001_tables.sql).
SELECT report_id, table_no, row_code, col_code, count(*) AS n FROM _incoming_facts
GROUP BY ALL HAVING count(*) > 1
LIMIT 5
