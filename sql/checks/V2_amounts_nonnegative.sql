-- V2 (values): money amounts (2019 采购总金额 in 元, 2021 本年收费金额 in 万元) are non-negative.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
SELECT f.report_id, 'V2_amounts_nonnegative' AS rule_id, f.row_code || '.' || f.col_code AS scope,
       0 AS expected,
       count(*) FILTER (WHERE f.value < 0) AS observed,
       true AS assessable
FROM facts f
WHERE f.table_no = 'T2' AND f.col_code IN ('procurement_amount', 'fee_amount_10k_yuan')
  AND f.report_id IN (SELECT report_id FROM judge_scope)
GROUP BY f.report_id, f.row_code, f.col_code
