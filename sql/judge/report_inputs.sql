-- What each report version's quality results are judged from now: its agency and printed name, its load
-- (accepted_seq: a re-load draws a new one; loaded_at) and a digest of the people's readings of its document
-- (`gongkai resolve`: they change its facts without a load). Compared with quality_inputs (what the stored
-- results were judged from) by stale_agencies.sql; copied into quality_inputs after a pass.
SELECT h.report_id, h.agency_id, h.agency_name, h.accepted_seq, h.loaded_at, r.readings
FROM report_history h
LEFT JOIN (
    SELECT sha256, md5(string_agg(concat_ws('|', table_no, row_code, col_code, value, blank, printed, unit_factor,
                                            resolved_at), ';' ORDER BY table_no, row_code, col_code)) AS readings
    FROM cell_resolutions GROUP BY sha256
) r USING (sha256)
