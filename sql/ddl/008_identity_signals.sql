-- Identity signals (issue 10): which parts of a document said which agency and year it reports on.
-- One row per signal the parser found, in its order of strength; the first is the one the report's
-- agency_name and year were taken from. Loaded with its report, in the same transaction; a report read
-- from its file name alone (a flagged, weak identity) can be found here.
CREATE TABLE IF NOT EXISTS report_identity_signals (
    report_id   VARCHAR NOT NULL,
    position    INTEGER NOT NULL,
    kind        VARCHAR NOT NULL,
    value       VARCHAR NOT NULL,
    used        BOOLEAN NOT NULL,
    source_file VARCHAR NOT NULL,
    PRIMARY KEY (report_id, position)
);
COMMENT ON TABLE report_identity_signals IS 'The signals a report''s agency and year were read from: its title lines (joined across wraps), the HTML <title>, the report''s own phrases, the file name. One row per signal found; used marks the one taken.';
COMMENT ON COLUMN report_identity_signals.report_id IS 'The report (reports.report_id) the signal belongs to.';
COMMENT ON COLUMN report_identity_signals.position IS 'Order of the signal, 1 = the one the identity was taken from; the others follow in order of strength.';
COMMENT ON COLUMN report_identity_signals.kind IS 'title_lines (the printed title, lines joined across wraps), html_title (the page''s <title>), body_phrase (the report''s own words, e.g. 结合2019年度…政府信息公开工作实际), file_name (the last resort, flagged in parse_warnings).';
COMMENT ON COLUMN report_identity_signals.value IS 'What the signal says: the title as read, the phrase, or the file name without extension.';
COMMENT ON COLUMN report_identity_signals.used IS 'True for the signal the report''s agency_name and year were taken from (exactly one per report that has signals).';
COMMENT ON COLUMN report_identity_signals.source_file IS 'The document the report was read from (as in reports.source_file).';
