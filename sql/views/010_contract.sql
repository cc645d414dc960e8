-- The contract relations analysts query (spec/contract.md). Views over the base tables, so a
-- revised report replaces its agency-year everywhere at once.

-- Reports held out of every analyst relation, with the reason: a report whose keys are out of their
-- domain (a year out of range, no agency) or that prints a value no column can hold as a count. One
-- document's fault holds that document back; it never takes the views away from the others.
-- A value no agency-year can count: a count of a billion or more (a requester count, a case count, a
-- document count), or any amount of 10^15 or more. Beyond 2^63 it cannot even be a BIGINT.
CREATE OR REPLACE MACRO value_out_of_range(table_no, col_code, value) AS
    abs(value) >= 1e15 OR (abs(value) >= 1e9 AND (table_no IN ('T3', 'T4')
        OR (table_no = 'T2' AND col_code NOT IN ('procurement_amount', 'fee_amount_10k_yuan'))));

CREATE OR REPLACE VIEW held_reports AS
SELECT h.report_id, h.agency_name, h.year, h.source_file, h.sha256, 'report_keys' AS reason,
       'The report''s keys are out of their domain (' || concat_ws('; ',
           CASE WHEN coalesce(trim(h.agency_name), '') = '' OR coalesce(h.agency_id, '') = '' THEN 'no agency name' END,
           CASE WHEN h.year IS NULL OR h.year NOT BETWEEN 2008 AND year(current_date) + 1
                THEN 'year ' || coalesce(CAST(h.year AS VARCHAR), 'missing') || ' is not a report year (2008 to next year)' END,
           CASE WHEN h.template NOT IN ('2019', '2021') THEN 'unknown template' END)
       || '); it is kept in report_history but held out of reports and the analyst views.' AS detail
FROM report_history h
WHERE coalesce(trim(h.agency_name), '') = '' OR coalesce(h.agency_id, '') = ''
   OR h.year IS NULL OR h.year NOT BETWEEN 2008 AND year(current_date) + 1
   OR h.template NOT IN ('2019', '2021')
UNION ALL
SELECT h.report_id, h.agency_name, h.year, h.source_file, h.sha256, 'value_out_of_range' AS reason,
       'The report prints ' || count(*) || ' value(s) beyond what one agency-year can count (first: ' ||
       arg_min(f.table_no || ' ' || f.row_code || '/' || f.col_code || ' printed "' || coalesce(f.printed, '') || '"',
               f.table_no || f.row_code || f.col_code) ||
       '); counts must stay under 10^9 and amounts under 10^15. The printed digits are kept in facts.printed; '
       'the report is held out of reports and the analyst views.' AS detail
FROM facts f JOIN report_history h USING (report_id)
WHERE value_out_of_range(f.table_no, f.col_code, f.value)
GROUP BY h.report_id, h.agency_name, h.year, h.source_file, h.sha256;
COMMENT ON VIEW held_reports IS 'Loaded reports held out of reports and every analyst view, one row per reason: report_keys (agency missing, year out of range, unknown template) or value_out_of_range (a count >= 10^9 or an amount >= 10^15; the printed digits stay in facts.printed). The other reports are not affected.';

-- Which version of an agency-year is current is decided by the documents, never by ingestion order (the
-- same inbox gives the same warehouse whatever order or history of runs): the higher revision marker in
-- the file name (.v2, _v3, 修订/更正 = 1, none = 0), then the later signing date printed at the end of
-- the report, then the higher content hash. Versions rank by this key; the highest is current.
CREATE OR REPLACE MACRO version_key(revision, published_on, sha256) AS
    lpad(CAST(coalesce(revision, 0) AS VARCHAR), 4, '0') || coalesce(strftime(published_on, '%Y%m%d'), '00000000') || sha256;

CREATE OR REPLACE VIEW reports AS
SELECT h.report_id, h.agency_id, h.agency_name, h.region_name, h.adcode, h.admin_level, h.sector, h.year, h.template,
       h.source_file, h.sha256, h.loaded_at, h.title, h.format,
       coalesce(d.present, false) AS in_inbox,  -- false once the file left the inbox (the report stays: the warehouse is the record)
       ff.url AS source_url  -- where `gongkai fetch` found it published; NULL for a file put in the inbox
FROM report_history h LEFT JOIN documents d ON d.sha256 = h.sha256
     LEFT JOIN fetched_files ff ON ff.sha256 = h.sha256
WHERE h.report_id NOT IN (SELECT report_id FROM held_reports)
QUALIFY row_number() OVER (PARTITION BY h.agency_id, h.year
                           ORDER BY version_key(h.revision, h.published_on, h.sha256) DESC) = 1;
COMMENT ON VIEW reports IS 'One row per accepted report: the current version of each agency-year (older versions stay in report_history). Current = highest revision marker in the file name, then latest signing date, then content hash: independent of ingestion order. Reports in held_reports are left out.';
COMMENT ON COLUMN reports.source_url IS 'Where the report was published: the URL `gongkai fetch` downloaded it from (see fetched_files for the linking page and time); NULL when the file was put in the inbox by hand.';

CREATE OR REPLACE VIEW request_facts AS
SELECT f.report_id, r.agency_name, r.year, f.row_code, f.col_code AS requester_type,
       CAST(f.value AS BIGINT) AS value, f.printed, f.blank,
       f.derived, f.inferred, f.inferred_how, f.source_file, f.row_label, f.col_label, f.page
FROM facts f JOIN reports r USING (report_id)
WHERE f.table_no = 'T3';
COMMENT ON VIEW request_facts IS 'Table 三 cells: requests received and how they ended, per requester type. blank = printed empty or as a dash (value 0); derived = not printed (2021 other_total = sum of its sub-rows); inferred = recovered rather than read off separators (inferred_how says how: run_split, run_split_narrative, printed_order, text_positions, human; ocr and ocr_arithmetic for scanned pages, with their confidence in fact_provenance).';

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
       c.reason AS resolution_reason, c.resolver, c.resolved_at, c.parser_read, f.confidence
FROM facts f
LEFT JOIN report_history h ON h.report_id = f.report_id AND f.inferred_how = 'human'
LEFT JOIN cell_resolutions c ON c.sha256 = h.sha256 AND c.table_no = f.table_no AND c.row_code = f.row_code
                            AND c.col_code = f.col_code;
COMMENT ON VIEW fact_provenance IS 'Where every loaded number came from: file, table, page (PDF), printed row and column labels; for a number a person read from the original (inferred_how = human, `gongkai resolve`), their reason, name, time and what the parser had; for a scanned page, inferred_how = ocr (or ocr_arithmetic when the table''s sums corrected the reading) and the recogniser''s confidence.';
COMMENT ON COLUMN fact_provenance.confidence IS 'OCR only: the recogniser''s confidence (0–1) in the printed text of this cell; NULL when read from text.';
COMMENT ON COLUMN fact_provenance.resolution_reason IS 'inferred_how = human: why the person''s reading is right (gongkai resolve --reason); NULL otherwise.';
COMMENT ON COLUMN fact_provenance.resolver IS 'inferred_how = human: who recorded the reading.';
COMMENT ON COLUMN fact_provenance.resolved_at IS 'inferred_how = human: when the reading was recorded (UTC).';
COMMENT ON COLUMN fact_provenance.parser_read IS 'inferred_how = human: what the parser had for the cell (its printed text, or the unresolved row''s digits; NULL if not read at all).';

-- Every file of the inbox at the last scan, with what became of it.
CREATE OR REPLACE VIEW inbox_files AS
SELECT f.path, f.path_hex, f.sha256,
       CASE WHEN d.status = 'loaded' AND d.report_id IN (SELECT report_id FROM held_reports) THEN 'held'
            WHEN d.status = 'loaded' THEN 'loaded'
            WHEN d.status = 'quarantined' THEN 'quarantined'
            ELSE 'pending' END AS status,
       CASE WHEN d.status = 'loaded' AND d.source_file <> f.path THEN 'duplicate_content'
            WHEN d.status = 'loaded' THEN (SELECT min(reason) FROM held_reports hr WHERE hr.report_id = d.report_id)
            WHEN d.status = 'quarantined' THEN q.reason
            ELSE 'not_parsed_yet' END AS reason,
       CASE WHEN d.status = 'loaded' AND d.source_file <> f.path
                 THEN 'Same content as ' || d.source_file || ', which is loaded once.'
            WHEN d.status = 'loaded' THEN (SELECT min(detail) FROM held_reports hr WHERE hr.report_id = d.report_id)
            WHEN d.status = 'quarantined' THEN q.detail
            ELSE 'Scanned but not parsed yet: it is read by the next run.' END AS detail,
       d.report_id, f.last_seen
FROM file_index f
LEFT JOIN documents d USING (sha256)
LEFT JOIN quarantine q USING (sha256)
WHERE f.path NOT IN (SELECT path FROM inbox_skips)
UNION ALL
SELECT s.path, s.path_hex, NULL AS sha256, 'skipped' AS status, s.reason, s.detail, NULL AS report_id, s.seen_at
FROM inbox_skips s;
COMMENT ON VIEW inbox_files IS 'Every file met in the inbox at the last scan and what became of it: loaded, held (loaded but in held_reports), quarantined (reason from quarantine), pending (not parsed yet), or skipped (hidden by the dot rule, symlink, unreadable, still being written, changed during the run). path shows bytes that are not UTF-8 (and backslashes) as \xNN; path_hex is the exact bytes.';
