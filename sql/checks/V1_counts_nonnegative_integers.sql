-- V1 (values): counts are non-negative integers: every cell of 表三 and 表四, and the count columns of
-- 表二 (本年增/减 may be negative; amounts may be decimal: see V2). observed = cells that break it.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
SELECT f.report_id, 'V1_counts_nonnegative_integers' AS rule_id, f.table_no AS scope,
       0 AS expected,
       count(*) FILTER (WHERE f.value < 0 OR f.value <> floor(f.value)) AS observed,
       true AS assessable
FROM facts f
WHERE (f.table_no IN ('T3', 'T4')
       OR (f.table_no = 'T2' AND f.col_code NOT IN ('change', 'procurement_amount', 'fee_amount_10k_yuan')))
  AND f.report_id IN (SELECT report_id FROM judge_scope)
GROUP BY f.report_id, f.table_no
