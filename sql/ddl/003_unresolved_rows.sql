-- How an inferred fact was recovered (run_split / run_split_narrative / printed_order); added after
-- facts was first created, so existing warehouses gain the column too.
ALTER TABLE facts ADD COLUMN IF NOT EXISTS inferred_how VARCHAR;

-- Printed table rows whose numbers could not be read with certainty (e.g. a crawler rendering that
-- glued a table-二 row's cells together and more than one split fits). They are kept out of facts
-- rather than guessed, and listed here so the gap is visible; loaded with their report, in the same
-- transaction.
CREATE TABLE IF NOT EXISTS unresolved_rows (
    report_id    VARCHAR NOT NULL,
    table_no     VARCHAR NOT NULL CHECK (table_no IN ('T2', 'T3', 'T4')),
    row_code     VARCHAR NOT NULL,
    row_label    VARCHAR,
    printed      VARCHAR,          -- the row's numbers as printed
    reason       VARCHAR NOT NULL, -- ambiguous_cells / cells_missing / ocr_uncertain
    detail       VARCHAR NOT NULL, -- a sentence a person understands
    readings     VARCHAR[],        -- candidate readings, e.g. ['1/56/21', '15/6/21']
    source_file  VARCHAR NOT NULL,
    PRIMARY KEY (report_id, table_no, row_code)
);
COMMENT ON TABLE unresolved_rows IS 'Printed table rows whose numbers could not be read with certainty; kept out of facts, not guessed. reason ambiguous_cells: several readings fit (readings lists them); cells_missing: fewer numbers than columns; ocr_uncertain: a scanned table-二 cell the OCR recogniser doubted (no sum can check it).';

-- A row may be read in part: the cells every candidate reading agrees on load (e.g. the 总计 of a table-三
-- row whose requester columns are in doubt); the others are listed here. NULL: the whole row is unread.
ALTER TABLE unresolved_rows ADD COLUMN IF NOT EXISTS unresolved_columns VARCHAR[];
COMMENT ON COLUMN unresolved_rows.unresolved_columns IS 'The row''s cells not loaded (column codes, e.g. [natural_person, commercial_enterprise]) when the row was read in part: the cells every reading agrees on are in facts. NULL: no cell of the row is loaded.';
