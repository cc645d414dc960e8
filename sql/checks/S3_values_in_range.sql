-- S3 (schema): every value is one the warehouse can hold as what it is: counts under 10^9, amounts under
-- 10^15 (macro value_out_of_range, sql/views/010_contract.sql). Per report; a report that fails it is in
-- held_reports (out of the views), so it blocks only itself. observed = cells out of range.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
SELECT h.report_id, 'S3_values_in_range' AS rule_id, 'report' AS scope,
       0 AS expected, count(f.report_id) AS observed, true AS assessable
FROM report_history h
LEFT JOIN facts f ON f.report_id = h.report_id AND value_out_of_range(f.table_no, f.col_code, f.value)
WHERE h.report_id IN (SELECT report_id FROM judge_scope)
GROUP BY h.report_id
