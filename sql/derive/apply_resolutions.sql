-- People's readings (cell_resolutions, `gongkai resolve`) applied to the facts of the reports listed in
-- _resolution_targets(report_id): run inside the load transaction of those reports (so a re-parsed
-- document gets its person's readings back before anyone sees it) and after each `gongkai resolve`.
-- A person's cell replaces the parser's (inferred_how = 'human'); a row whose every cell a person read
-- leaves unresolved_rows, since the warehouse now holds it (a row read in part: every cell in doubt).

CREATE OR REPLACE TEMP TABLE _applied_resolutions AS
SELECT h.report_id, h.source_file, c.table_no, rc.item, c.row_code, c.col_code, c.value, c.printed, c.blank,
       c.unit_factor, rc.col_label, coalesce(old.row_label, u.row_label, l.label_zh) AS row_label, old.page
FROM cell_resolutions c
JOIN report_history h ON h.sha256 = c.sha256
JOIN _resolution_targets t ON t.report_id = h.report_id
JOIN row_columns rc ON rc.table_no = c.table_no AND rc.template = h.template AND rc.row_code = c.row_code
                   AND rc.col_code = c.col_code
LEFT JOIN facts old ON old.report_id = h.report_id AND old.table_no = c.table_no AND old.row_code = c.row_code
                   AND old.col_code = c.col_code
LEFT JOIN unresolved_rows u ON u.report_id = h.report_id AND u.table_no = c.table_no AND u.row_code = c.row_code
LEFT JOIN code_labels l ON l.code = c.row_code
      AND l.domain = CASE c.table_no WHEN 'T2' THEN 'proactive_row' WHEN 'T3' THEN 'request_row' ELSE 'proceeding' END;

DELETE FROM facts f USING _applied_resolutions a
WHERE f.report_id = a.report_id AND f.table_no = a.table_no AND f.row_code = a.row_code AND f.col_code = a.col_code;

INSERT INTO facts BY NAME
SELECT report_id, table_no, item, row_code, col_code, value, printed, blank, row_label, col_label, page,
       true AS inferred, false AS derived, unit_factor, source_file, 'human' AS inferred_how
FROM _applied_resolutions;

-- 2021 layout: other_total is derived from the three （六） sub-rows; keep it their sum when a person
-- read one of them.
UPDATE facts AS f SET value = s.value, blank = s.blank
FROM (SELECT report_id, col_code, sum(value) AS value, bool_and(blank) AS blank
      FROM facts
      WHERE table_no = 'T3' AND row_code IN ('other_no_correction', 'other_unpaid_fee', 'other_other')
        AND report_id IN (SELECT report_id FROM _applied_resolutions WHERE table_no = 'T3')
      GROUP BY ALL) s
WHERE f.report_id = s.report_id AND f.table_no = 'T3' AND f.row_code = 'other_total' AND f.col_code = s.col_code
  AND f.derived;

-- A row leaves unresolved_rows once a person has read every cell of it that was in doubt (all of them, or
-- the columns in doubt of a row read in part).
DELETE FROM unresolved_rows u
WHERE EXISTS (SELECT 1 FROM _applied_resolutions a
              WHERE a.report_id = u.report_id AND a.table_no = u.table_no AND a.row_code = u.row_code)
  AND NOT EXISTS (SELECT 1 FROM unresolved_cells c
                  WHERE c.report_id = u.report_id AND c.table_no = u.table_no AND c.row_code = u.row_code
                    AND NOT EXISTS (SELECT 1 FROM _applied_resolutions a
                                    WHERE a.report_id = c.report_id AND a.table_no = c.table_no
                                      AND a.row_code = c.row_code AND a.col_code = c.col_code));

DROP TABLE _applied_resolutions;
