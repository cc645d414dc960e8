-- R4 (table 四): 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结, per proceeding.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
-- Not assessable where an input cell is in unresolved_cells (printed, not read with certainty): a missing
-- cell would read as a failure of the report's arithmetic.
SELECT f.report_id, 'R4_review_totals' AS rule_id, f.row_code AS scope,
       sum(CASE WHEN f.col_code = 'total' THEN f.value ELSE 0 END) AS expected,
       sum(CASE WHEN f.col_code <> 'total' THEN f.value ELSE 0 END) AS observed,
       coalesce(bool_or(f.col_code = 'total' AND NOT f.blank), false) AND NOT bool_or(u.row_code IS NOT NULL) AS assessable
FROM facts f
LEFT JOIN (SELECT DISTINCT report_id, row_code FROM unresolved_cells WHERE table_no = 'T4') u
       ON u.report_id = f.report_id AND u.row_code = f.row_code
WHERE f.table_no = 'T4' AND f.report_id IN (SELECT report_id FROM judge_scope)
GROUP BY f.report_id, f.row_code
