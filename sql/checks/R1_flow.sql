-- R1 (stated in table 三): 一 + 二 = （七）总计 + 四, per requester column.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
-- Not assessable when the （七）总计 cell was left blank.
-- Not assessable where an input cell is in unresolved_cells (printed, not read with certainty): a missing
-- cell would read as a failure of the report's arithmetic.
SELECT f.report_id, 'R1_flow' AS rule_id, f.col_code AS scope,
       sum(CASE WHEN f.row_code IN ('received_new', 'carried_over_from_prior') THEN f.value ELSE 0 END) AS expected,
       sum(CASE WHEN f.row_code IN ('processed_total', 'carried_forward') THEN f.value ELSE 0 END) AS observed,
       coalesce(bool_or(f.row_code = 'processed_total' AND NOT f.blank), false)
           AND NOT EXISTS (SELECT 1 FROM unresolved_cells u
                           WHERE u.report_id = f.report_id AND u.table_no = 'T3' AND u.col_code = f.col_code
                             AND u.row_code IN ('received_new', 'carried_over_from_prior', 'processed_total',
                                                'carried_forward')) AS assessable
FROM facts f
WHERE f.table_no = 'T3' AND f.report_id IN (SELECT report_id FROM judge_scope)
GROUP BY f.report_id, f.col_code
