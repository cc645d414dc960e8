-- V1 (values): counts are non-negative integers: every cell of 表三 and 表四, and the count columns of
-- 表二 (本年增/减 may be negative; amounts may be decimal: see V2). observed = cells that break it.
SELECT f.report_id, 'V1_counts_nonnegative_integers' AS rule_id, f.table_no AS scope,
       0 AS expected,
       count(*) FILTER (WHERE f.value < 0 OR f.value <> floor(f.value)) AS observed,
       true AS assessable
FROM facts f
WHERE f.table_no IN ('T3', 'T4')
   OR (f.table_no = 'T2' AND f.col_code NOT IN ('change', 'procurement_amount', 'fee_amount_10k_yuan'))
GROUP BY f.report_id, f.table_no
