-- R2: （七）总计 = sum of the outcome rows (（一）…（六）; （六） is other_total, printed or derived), per requester column.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
SELECT f.report_id, 'R2_outcomes' AS rule_id, f.col_code AS scope,
       sum(CASE WHEN f.row_code = 'processed_total' THEN f.value ELSE 0 END) AS expected,
       sum(CASE WHEN f.row_code IN (SELECT row_code FROM outcome_groups) THEN f.value ELSE 0 END) AS observed,
       coalesce(bool_or(f.row_code = 'processed_total' AND NOT f.blank), false) AS assessable
FROM facts f
WHERE f.table_no = 'T3' AND f.report_id IN (SELECT report_id FROM judge_scope)
GROUP BY f.report_id, f.col_code
