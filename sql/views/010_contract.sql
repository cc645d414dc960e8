-- The contract relations analysts query (spec/contract.md). Views over the base tables, so a
-- revised report replaces its agency-year everywhere at once.

CREATE OR REPLACE VIEW reports AS
SELECT h.report_id, h.agency_id, h.agency_name, h.region_name, h.adcode, h.admin_level, h.sector, h.year, h.template,
       h.source_file, h.sha256, h.loaded_at, h.title, h.format,
       coalesce(d.present, false) AS in_inbox  -- false once the file left the inbox (the report stays: the warehouse is the record)
FROM report_history h LEFT JOIN documents d ON d.sha256 = h.sha256
QUALIFY row_number() OVER (PARTITION BY h.agency_id, h.year ORDER BY h.accepted_seq DESC) = 1;
COMMENT ON VIEW reports IS 'One row per accepted report: the newest accepted version of each agency-year (older versions stay in report_history).';

CREATE OR REPLACE VIEW request_facts AS
SELECT f.report_id, r.agency_name, r.year, f.row_code, f.col_code AS requester_type,
       CAST(f.value AS BIGINT) AS value, f.printed, f.blank,
       f.derived, f.inferred, f.inferred_how, f.source_file, f.row_label, f.col_label, f.page
FROM facts f JOIN reports r USING (report_id)
WHERE f.table_no = 'T3';
COMMENT ON VIEW request_facts IS 'Table 三 cells: requests received and how they ended, per requester type. blank = printed empty or as a dash (value 0); derived = not printed (2021 other_total = sum of its sub-rows); inferred = recovered rather than read off separators (inferred_how says how: run_split, run_split_narrative, printed_order, text_positions; ocr and ocr_arithmetic for scanned pages, with their confidence in fact_provenance).';

CREATE OR REPLACE VIEW review_litigation_facts AS
SELECT f.report_id, r.agency_name, r.year, f.row_code AS proceeding, f.col_code AS result,
       CAST(f.value AS BIGINT) AS value, f.printed, f.blank,
       f.inferred, f.inferred_how, f.source_file, f.row_label, f.col_label, f.page
FROM facts f JOIN reports r USING (report_id)
WHERE f.table_no = 'T4';
COMMENT ON VIEW review_litigation_facts IS 'Table 四 cells: administrative reviews and lawsuits about disclosure, per proceeding and result.';

CREATE OR REPLACE VIEW proactive_facts AS
SELECT f.report_id, r.agency_name, r.year, f.item, f.row_code, f.col_code AS column_code,
       f.value, f.printed, f.blank, f.unit_factor,
       f.inferred, f.inferred_how, f.source_file, f.row_label, f.col_label, f.page
FROM facts f JOIN reports r USING (report_id)
WHERE f.table_no = 'T2';
COMMENT ON VIEW proactive_facts IS 'Table 二 cells: proactive disclosure by article-20 item. Amounts in the unit the template names (2019 procurement: 元; 2021 fees: 万元); unit_factor = stored / printed.';

CREATE OR REPLACE VIEW fact_provenance AS
SELECT f.report_id, f.table_no, f.item, f.row_code, f.col_code, f.value, f.printed, f.blank,
       f.source_file, f.page, f.row_label, f.col_label, f.inferred, f.inferred_how, f.derived, f.unit_factor,
       f.confidence
FROM facts f;
COMMENT ON VIEW fact_provenance IS 'Where every loaded number came from: file, table, page (PDF), printed row and column labels; for a scanned page, inferred_how = ocr (or ocr_arithmetic when the table''s sums corrected the reading) and the recogniser''s confidence.';
COMMENT ON COLUMN fact_provenance.confidence IS 'OCR only: the recogniser''s confidence (0–1) in the printed text of this cell; NULL when read from text.';
