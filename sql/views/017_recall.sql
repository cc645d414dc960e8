-- Recall: what became of every document Gongkai has seen, and how many cells of the loaded reports
-- could not be read. Contract-level (below 020): the assets, `gongkai check` and `gongkai report` read it
-- even when the analyst views are held back. pipelines/lib/serve/recall.py sums it per run and overall.

COMMENT ON TABLE row_columns IS 'The cells of every table row per template, in printed column order (position from 1), from codes.yaml: how an unresolved row''s readings (69/3/665) and a person''s reading given to `gongkai resolve` are cut into cells.';
COMMENT ON COLUMN row_columns.position IS 'Printed column order of the cell within its row, from 1.';

CREATE OR REPLACE VIEW unresolved_cells AS
SELECT u.report_id, u.table_no, u.row_code, w.col_code, u.reason
FROM unresolved_rows u
JOIN report_history h USING (report_id)
JOIN row_columns w ON w.table_no = u.table_no AND w.template = h.template AND w.row_code = u.row_code
WHERE u.unresolved_columns IS NULL OR list_contains(u.unresolved_columns, w.col_code);
COMMENT ON VIEW unresolved_cells IS 'One row per cell not loaded because its printed row could not be read with certainty (unresolved_rows, a whole row or the columns in doubt of a row read in part). The arithmetic rules are not assessable where an input cell is here.';

CREATE OR REPLACE VIEW document_recall AS
WITH unresolved AS (
    SELECT u.report_id, count(*) AS unresolved_rows, any_value(c.cells) AS unresolved_cells
    FROM unresolved_rows u
    LEFT JOIN (SELECT report_id, count(*) AS cells FROM unresolved_cells GROUP BY report_id) c USING (report_id)
    GROUP BY u.report_id
), loaded_cells AS (
    SELECT report_id, count(*) FILTER (WHERE NOT derived) AS cells_loaded,
           count(*) FILTER (WHERE inferred_how = 'human') AS cells_read_by_person
    FROM facts GROUP BY report_id
)
SELECT d.sha256, d.source_file, d.format, d.present, d.first_seen,
       CASE d.status WHEN 'loaded' THEN 'loaded' WHEN 'quarantined' THEN 'quarantined' ELSE 'pending' END AS outcome,
       q.stage, q.reason, d.report_id,
       coalesce(c.cells_loaded, 0) AS cells_loaded,
       coalesce(c.cells_read_by_person, 0) AS cells_read_by_person,
       coalesce(u.unresolved_rows, 0) AS unresolved_rows,
       coalesce(u.unresolved_cells, 0) AS unresolved_cells
FROM documents d
LEFT JOIN quarantine q ON q.sha256 = d.sha256 AND d.status = 'quarantined'
LEFT JOIN loaded_cells c ON c.report_id = d.report_id AND d.status = 'loaded'
LEFT JOIN unresolved u ON u.report_id = d.report_id AND d.status = 'loaded';
COMMENT ON VIEW document_recall IS 'One row per document ever seen (by content): loaded, quarantined (stage and reason) or pending (not yet parsed by this parser version), with the cells loaded from it and the cells it printed that could not be read (unresolved_rows).';
COMMENT ON COLUMN document_recall.outcome IS 'loaded / quarantined / pending (seen but not yet parsed by this parser version).';
COMMENT ON COLUMN document_recall.present IS 'The document was in the inbox at the last scan.';
COMMENT ON COLUMN document_recall.cells_loaded IS 'Cells of tables 二/三/四 loaded from the document (derived cells not counted).';
COMMENT ON COLUMN document_recall.cells_read_by_person IS 'Of cells_loaded, those a person read from the original (`gongkai resolve`, inferred_how = human).';
COMMENT ON COLUMN document_recall.unresolved_rows IS 'Printed rows left out of facts because they could not be read with certainty (unresolved_rows).';
COMMENT ON COLUMN document_recall.unresolved_cells IS 'Cells of those rows (the row''s columns in the report''s template).';

CREATE OR REPLACE VIEW recall AS
SELECT format, outcome, stage, reason, count(*) AS documents,
       sum(cells_loaded)::BIGINT AS cells_loaded, sum(unresolved_rows)::BIGINT AS unresolved_rows,
       sum(unresolved_cells)::BIGINT AS unresolved_cells
FROM document_recall
GROUP BY ALL
ORDER BY outcome, format, stage NULLS FIRST, reason NULLS FIRST;
COMMENT ON VIEW recall IS 'Recall of the whole warehouse: documents per format and outcome (loaded / quarantined by stage and reason / pending), with the cells loaded and the cells left unresolved. Summed per run and overall by the Dagster assets, `gongkai check` and `gongkai report`.';
COMMENT ON COLUMN recall.outcome IS 'loaded / quarantined / pending (seen but not yet parsed by this parser version).';
COMMENT ON COLUMN recall.documents IS 'Documents (by content) with this format and outcome.';
COMMENT ON COLUMN recall.cells_loaded IS 'Cells loaded from them (derived cells not counted).';
COMMENT ON COLUMN recall.unresolved_rows IS 'Printed rows left unresolved in them.';
COMMENT ON COLUMN recall.unresolved_cells IS 'Cells of those rows.';
