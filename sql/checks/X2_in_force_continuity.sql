-- X2 (cross-year plausibility, 2021 template, spec formats.md 4.3): 现行有效件数(Y) against
-- 现行有效件数(Y-1) + 本年制发件数(Y) - 本年废止件数(Y), per row (regulations, normative_documents).
-- Approximate by nature (amendments, documents expiring without a 废止 act): a warning, never an error.
-- Not assessable when either year's 现行有效件数 cell was left blank.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
WITH judged AS (  -- the current 2021-template reports being judged
    SELECT report_id, agency_id, year FROM reports
    WHERE template = '2021' AND report_id IN (SELECT report_id FROM judge_scope)
), t AS (  -- their item-1 cells as proactive_facts shows them, read from facts once
    SELECT f.report_id, r.agency_id, r.year, f.row_code, f.col_code AS column_code, f.value, f.blank
    FROM facts f JOIN judged r USING (report_id)
    WHERE f.table_no = 'T2' AND f.item = 'item_1'
), y AS (
    SELECT report_id, agency_id, year, row_code,
           sum(value) FILTER (WHERE column_code = 'in_force') AS in_force,
           bool_or(column_code = 'in_force' AND NOT blank) AS in_force_printed,
           coalesce(sum(value) FILTER (WHERE column_code = 'issued'), 0) AS issued,
           coalesce(sum(value) FILTER (WHERE column_code = 'repealed'), 0) AS repealed
    FROM t GROUP BY report_id, agency_id, year, row_code
)
SELECT cur.report_id, 'X2_in_force_continuity' AS rule_id, cur.row_code AS scope,
       prev.in_force + cur.issued - cur.repealed AS expected, cur.in_force AS observed,
       coalesce(cur.in_force_printed AND prev.in_force_printed, false) AS assessable
FROM y cur
JOIN y prev ON prev.agency_id = cur.agency_id AND prev.year = cur.year - 1 AND prev.row_code = cur.row_code
