-- C1 (completeness): every row and column the template requires is present, per report and table.
-- 表三: 22 fixed rows plus （六）其他处理 printed either as one row or as its three sub-rows, x 7 columns;
-- 表四: 15 cells; 表二: every cell of the report's template (code_domain). Derived cells do not count.
WITH t3 AS (
    SELECT report_id,
           count(*) FILTER (WHERE NOT derived) AS cells,
           bool_or(row_code = 'other_total' AND NOT derived) AS single_other
    FROM facts WHERE table_no = 'T3' GROUP BY report_id
), counts AS (
    SELECT h.report_id, h.template,
           coalesce(t3.cells, 0) AS t3_cells, coalesce(t3.single_other, false) AS single_other,
           (SELECT count(*) FROM facts f WHERE f.report_id = h.report_id AND f.table_no = 'T4') AS t4_cells,
           (SELECT count(*) FROM facts f WHERE f.report_id = h.report_id AND f.table_no = 'T2') AS t2_cells
    FROM report_history h LEFT JOIN t3 USING (report_id)
)
SELECT report_id, 'C1_required_cells' AS rule_id, '表三' AS scope,
       7 * (22 + CASE WHEN single_other THEN 1 ELSE 3 END) AS expected, t3_cells AS observed, true AS assessable
FROM counts
UNION ALL
SELECT report_id, 'C1_required_cells', '表四', 15, t4_cells, true FROM counts
UNION ALL
SELECT c.report_id, 'C1_required_cells', '表二',
       (SELECT count(*) FROM code_domain d WHERE d.table_no = 'T2' AND d.template = c.template), c.t2_cells, true
FROM counts c
