-- S1 (schema): every loaded fact sits under a code combination that codes.yaml defines
-- (a codes.yaml change can orphan facts loaded earlier). Per report and table.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
SELECT f.report_id, 'S1_codes_in_domain' AS rule_id, f.table_no AS scope,
       count(*) AS expected,
       count(d.row_code) AS observed,
       true AS assessable
FROM facts f
JOIN report_history h USING (report_id)
LEFT JOIN code_domain d
  ON d.table_no = f.table_no AND d.row_code = f.row_code AND d.col_code = f.col_code
 AND (f.table_no <> 'T2' OR (d.item = f.item AND d.template = h.template))
WHERE f.report_id IN (SELECT report_id FROM judge_scope)
GROUP BY f.report_id, f.table_no
