-- R3: 总计 column = sum of the six requester columns, per printed row of table 三.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
SELECT f.report_id, 'R3_requesters' AS rule_id, f.row_code AS scope,
       sum(CASE WHEN f.col_code = 'total' THEN f.value ELSE 0 END) AS expected,
       sum(CASE WHEN f.col_code <> 'total' THEN f.value ELSE 0 END) AS observed,
       coalesce(bool_or(f.col_code = 'total' AND NOT f.blank), false) AS assessable
FROM facts f
WHERE f.table_no = 'T3' AND NOT f.derived AND f.report_id IN (SELECT report_id FROM judge_scope)
GROUP BY f.report_id, f.row_code
