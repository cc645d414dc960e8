-- R1 (stated in table 三): 一 + 二 = （七）总计 + 四, per requester column.
-- Not assessable when the （七）总计 cell was left blank.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
SELECT f.report_id, 'R1_flow' AS rule_id, f.col_code AS scope,
       sum(CASE WHEN f.row_code IN ('received_new', 'carried_over_from_prior') THEN f.value ELSE 0 END) AS expected,
       sum(CASE WHEN f.row_code IN ('processed_total', 'carried_forward') THEN f.value ELSE 0 END) AS observed,
       coalesce(bool_or(f.row_code = 'processed_total' AND NOT f.blank), false) AS assessable
FROM facts f
WHERE f.table_no = 'T3' AND f.report_id IN (SELECT report_id FROM judge_scope)
GROUP BY f.report_id, f.col_code
