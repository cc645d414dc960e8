-- R4 (table 四): 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结, per proceeding.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
SELECT f.report_id, 'R4_review_totals' AS rule_id, f.row_code AS scope,
       sum(CASE WHEN f.col_code = 'total' THEN f.value ELSE 0 END) AS expected,
       sum(CASE WHEN f.col_code <> 'total' THEN f.value ELSE 0 END) AS observed,
       coalesce(bool_or(f.col_code = 'total' AND NOT f.blank), false) AS assessable
FROM facts f
WHERE f.table_no = 'T4' AND f.report_id IN (SELECT report_id FROM judge_scope)
GROUP BY f.report_id, f.row_code
