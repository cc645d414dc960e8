-- U2 (versions): two versions of one agency-year that print different numbers are a conflict, named by
-- both documents. Which one is current does not depend on ingestion order (see `reports`); this finding
-- says a person should look. One row per (current version, other version); observed = cells that differ.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
WITH pairs AS (
    SELECT r.report_id AS cur_id, o.report_id AS other_id,
           r.agency_name || ' ' || r.year || ': ' || r.source_file || ' (current) vs ' || o.source_file AS scope
    FROM reports r
    JOIN report_history o ON o.agency_id = r.agency_id AND o.year = r.year AND o.report_id <> r.report_id
    WHERE o.report_id NOT IN (SELECT report_id FROM held_reports) AND r.report_id IN (SELECT report_id FROM judge_scope)
), sides AS (  -- two equi-joins, not one join on OR: facts is the largest table
    SELECT p.cur_id, p.scope, f.table_no, coalesce(f.item, '') AS item, f.row_code, f.col_code,
           f.value AS a, NULL::DOUBLE AS b
    FROM pairs p JOIN facts f ON f.report_id = p.cur_id
    UNION ALL
    SELECT p.cur_id, p.scope, f.table_no, coalesce(f.item, '') AS item, f.row_code, f.col_code,
           NULL::DOUBLE AS a, f.value AS b
    FROM pairs p JOIN facts f ON f.report_id = p.other_id
), cells AS (
    SELECT cur_id, scope, table_no, item, row_code, col_code, max(a) AS a, max(b) AS b
    FROM sides GROUP BY ALL
)
SELECT cur_id AS report_id, 'U2_versions_agree' AS rule_id, scope,
       0 AS expected, count(*) FILTER (WHERE a IS DISTINCT FROM b) AS observed, true AS assessable
FROM cells
GROUP BY cur_id, scope
