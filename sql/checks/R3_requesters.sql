-- R3: 总计 column = sum of the six requester columns, per printed row of table 三.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
-- Not assessable where an input cell is in unresolved_cells (printed, not read with certainty): a missing
-- cell would read as a failure of the report's arithmetic.
SELECT f.report_id, 'R3_requesters' AS rule_id, f.row_code AS scope,
       sum(CASE WHEN f.col_code = 'total' THEN f.value ELSE 0 END) AS expected,
       sum(CASE WHEN f.col_code <> 'total' THEN f.value ELSE 0 END) AS observed,
       coalesce(bool_or(f.col_code = 'total' AND NOT f.blank), false) AND NOT bool_or(u.row_code IS NOT NULL) AS assessable
FROM facts f
LEFT JOIN (SELECT DISTINCT report_id, row_code FROM unresolved_cells WHERE table_no = 'T3') u
       ON u.report_id = f.report_id AND u.row_code = f.row_code
WHERE f.table_no = 'T3' AND NOT f.derived AND f.report_id IN (SELECT report_id FROM judge_scope)
GROUP BY f.report_id, f.row_code
