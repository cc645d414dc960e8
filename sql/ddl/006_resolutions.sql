-- Evidence for rows the parser could not read: what the same agency's neighbouring years suggest
-- (derived, re-derived after every load by sql/derive/unresolved_suggestions.sql), and what a person
-- who looked at the original read (`gongkai resolve`, kept by document hash like finding_reviews).

-- Cross-year suggestion, on the unresolved row itself. NULL in all four = no neighbouring year gives
-- evidence about the row (no report for year-1 or year+1 of the same template with the cells needed).
ALTER TABLE unresolved_rows ADD COLUMN IF NOT EXISTS fitting_readings VARCHAR[];
ALTER TABLE unresolved_rows ADD COLUMN IF NOT EXISTS suggested_reading VARCHAR;
ALTER TABLE unresolved_rows ADD COLUMN IF NOT EXISTS suggestion_basis VARCHAR;
ALTER TABLE unresolved_rows ADD COLUMN IF NOT EXISTS suggestion_years INTEGER[];
COMMENT ON COLUMN unresolved_rows.report_id IS 'Report key (one accepted document); joins every relation.';
COMMENT ON COLUMN unresolved_rows.table_no IS 'T2 / T3 / T4 (table 二 / 三 / 四).';
COMMENT ON COLUMN unresolved_rows.row_code IS 'Row code of the row that could not be read (request_row for table 三, proactive_row for table 二).';
COMMENT ON COLUMN unresolved_rows.printed IS 'The row''s numbers as printed (digits run together, or too few numbers), with a unit if one was printed.';
COMMENT ON COLUMN unresolved_rows.reason IS 'ambiguous_cells: several readings fit the printed digits; cells_missing: fewer numbers than the row has columns.';
COMMENT ON COLUMN unresolved_rows.detail IS 'A sentence saying why the row was not loaded.';
COMMENT ON COLUMN unresolved_rows.readings IS 'Every candidate reading of the printed digits, cells in printed column order separated by /, e.g. 69/3/665 ((blank) = an empty cell). This is the READING `gongkai resolve` takes.';
COMMENT ON COLUMN unresolved_rows.fitting_readings IS 'The readings that agree with every cross-year identity the same agency''s neighbouring reports allow checking (table 二 stock and flow, table 三 carry-over); [] = none fits; NULL = no neighbouring year gives evidence. A suggestion, not a fact: real reports do not always keep these identities.';
COMMENT ON COLUMN unresolved_rows.suggested_reading IS 'The one reading the neighbouring years leave, when exactly one fits; NULL otherwise. A suggestion only: the row stays out of facts until a person confirms it with `gongkai resolve`.';
COMMENT ON COLUMN unresolved_rows.suggestion_basis IS 'The evidence in words: which neighbouring report, which of its numbers, which identity, how many readings fit and which cells all fitting readings agree on.';
COMMENT ON COLUMN unresolved_rows.suggestion_years IS 'The report years the suggestion rests on (the agency''s year-1 and/or year+1 reports).';
COMMENT ON COLUMN unresolved_rows.source_file IS 'File the report was read from, relative to the inbox.';

-- A person's reading of table cells, from the original document: an unresolved row's reading or a
-- correction of a loaded cell. One row per cell; keyed by the document's content hash, so it survives
-- re-runs and re-parses (re-applied whenever the document is loaded again); applied to facts with
-- inferred_how = 'human'. No function in a CHECK here: replaying the WAL after a crash binds the
-- table's CHECKs, and a function there makes DuckDB try to download its core_functions extension.
-- (The reason is stripped in Python; the CHECK only refuses an empty one.)
CREATE TABLE IF NOT EXISTS cell_resolutions (
    sha256          VARCHAR NOT NULL,
    table_no        VARCHAR NOT NULL CHECK (table_no IN ('T2', 'T3', 'T4')),
    row_code        VARCHAR NOT NULL,
    col_code        VARCHAR NOT NULL,
    value           DOUBLE NOT NULL,
    printed         VARCHAR,
    blank           BOOLEAN NOT NULL,
    unit_factor     DOUBLE NOT NULL DEFAULT 1.0,
    reading         VARCHAR NOT NULL,
    parser_read     VARCHAR,
    reason          VARCHAR NOT NULL CHECK (reason <> ''),
    resolver        VARCHAR,
    resolved_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (sha256, table_no, row_code, col_code)
);
COMMENT ON TABLE cell_resolutions IS 'A person''s reading of table cells from the original document (`gongkai resolve`): the reading of an unresolved row, or a correction of a loaded cell. Keyed by document hash, table, row and column, so it survives re-runs and re-parses; applied to facts as inferred_how = ''human'' and shown in fact_provenance.';
COMMENT ON COLUMN cell_resolutions.sha256 IS 'SHA-256 of the document the person read (the report''s sha256).';
COMMENT ON COLUMN cell_resolutions.table_no IS 'T2 / T3 / T4 (table 二 / 三 / 四).';
COMMENT ON COLUMN cell_resolutions.row_code IS 'Row code of the cell.';
COMMENT ON COLUMN cell_resolutions.col_code IS 'Column code of the cell (requester type, result or table-二 column).';
COMMENT ON COLUMN cell_resolutions.value IS 'The value the person read, in the stored unit (table 二 amounts: 元 for 2019 procurement, 万元 for 2021 fees).';
COMMENT ON COLUMN cell_resolutions.printed IS 'The cell''s text as the person read it ('''' for a blank cell).';
COMMENT ON COLUMN cell_resolutions.blank IS 'The person read the cell as empty or a dash (value 0).';
COMMENT ON COLUMN cell_resolutions.unit_factor IS 'stored value / printed value (10000 when 万元 was read where 元 is stored).';
COMMENT ON COLUMN cell_resolutions.reading IS 'The READING argument as given to `gongkai resolve` (a whole row a/b/c, or col=value,...).';
COMMENT ON COLUMN cell_resolutions.parser_read IS 'What the parser had for the cell when the reading was recorded: the loaded cell''s printed text, or the unresolved row''s printed digits; NULL if the row was not read at all.';
COMMENT ON COLUMN cell_resolutions.reason IS 'Why the person''s reading is right (required), e.g. where in the original it was checked.';
COMMENT ON COLUMN cell_resolutions.resolver IS 'Who recorded it (--resolver, default the login name).';
COMMENT ON COLUMN cell_resolutions.resolved_at IS 'When it was recorded (UTC).';
