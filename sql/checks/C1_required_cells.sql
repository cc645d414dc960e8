-- C1 (completeness): every row and column the template requires is present, per report and table.
-- expected = the number of cells the report's template requires in the table; observed = the number of
-- cells loaded from the report (printed, or read by a person). 表三: 22 fixed rows plus （六）其他处理
-- printed either as one row or as its three sub-rows, x 7 columns; 表四: 15 cells; 表二: every cell of
-- the report's template (code_domain). Derived cells do not count.
-- note: the table's unresolved rows (printed but not read with certainty), with any cross-year
-- suggestion, so the finding says where the missing cells are.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
WITH cells AS (  -- one pass over the facts: the printed cells of table 三, the cells of tables 四 and 二
    SELECT report_id,
           count(*) FILTER (WHERE table_no = 'T3' AND NOT derived) AS t3_cells,
           coalesce(bool_or(table_no = 'T3' AND row_code = 'other_total' AND NOT derived), false) AS single_other,
           count(*) FILTER (WHERE table_no = 'T4') AS t4_cells,
           count(*) FILTER (WHERE table_no = 'T2') AS t2_cells
    FROM facts WHERE report_id IN (SELECT report_id FROM judge_scope) GROUP BY report_id
), counts AS (
    SELECT h.report_id, h.template,
           coalesce(c.t3_cells, 0) AS t3_cells, coalesce(c.single_other, false) AS single_other,
           coalesce(c.t4_cells, 0) AS t4_cells, coalesce(c.t2_cells, 0) AS t2_cells
    FROM report_history h LEFT JOIN cells c USING (report_id)
    WHERE h.report_id IN (SELECT report_id FROM judge_scope)
), unresolved AS (
    SELECT report_id, table_no,
           'Unresolved: ' || string_agg(
               format('{} printed "{}"{}{}', coalesce(row_label, row_code), printed,
                      CASE WHEN len(readings) > 0 THEN format(' ({} readings)', len(readings)) ELSE '' END,
                      CASE WHEN suggestion_basis IS NOT NULL THEN ' — cross-year: ' || suggestion_basis ELSE '' END),
               '; ' ORDER BY row_code) AS note
    FROM unresolved_rows WHERE report_id IN (SELECT report_id FROM judge_scope) GROUP BY ALL
)
SELECT c.report_id, 'C1_required_cells' AS rule_id, '表三' AS scope,
       7 * (22 + CASE WHEN single_other THEN 1 ELSE 3 END) AS expected, t3_cells AS observed, true AS assessable,
       u.note
FROM counts c LEFT JOIN unresolved u ON u.report_id = c.report_id AND u.table_no = 'T3'
UNION ALL
SELECT c.report_id, 'C1_required_cells', '表四', 15, t4_cells, true, u.note
FROM counts c LEFT JOIN unresolved u ON u.report_id = c.report_id AND u.table_no = 'T4'
UNION ALL
SELECT c.report_id, 'C1_required_cells', '表二',
       (SELECT count(*) FROM code_domain d WHERE d.table_no = 'T2' AND d.template = c.template), c.t2_cells, true, u.note
FROM counts c LEFT JOIN unresolved u ON u.report_id = c.report_id AND u.table_no = 'T2'
