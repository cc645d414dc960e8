-- What the stored quality_results were judged from, so a quality pass judges only what changed
-- (pipelines/lib/judge/plan.py). Written in the same transaction as the results they describe.

-- One row per report version judged: the agency and printed name it was judged under, the load
-- (accepted_seq: every load or re-load draws a new one; loaded_at) and the people's readings applied to it. A report
-- whose row differs from its report_history row (or is missing, or is gone from report_history) makes
-- its agency stale, both the agency it is in now and the one it was judged under.
CREATE TABLE IF NOT EXISTS quality_inputs (
    report_id     VARCHAR NOT NULL,
    agency_id     VARCHAR NOT NULL,
    agency_name   VARCHAR NOT NULL,
    accepted_seq  BIGINT NOT NULL,
    loaded_at     TIMESTAMP NOT NULL,
    readings      VARCHAR              -- digest of the report's cell_resolutions; NULL: none
);
COMMENT ON TABLE quality_inputs IS 'Bookkeeping of the quality pass: for every report version judged, the agency, printed name, load (accepted_seq, loaded_at) and people''s readings (digest) its quality_results were judged from. A report that no longer matches its row here has its agency judged again at the next pass.';
COMMENT ON COLUMN quality_inputs.report_id IS 'Report key (one accepted document); joins every relation.';
COMMENT ON COLUMN quality_inputs.agency_id IS 'The agency the report belonged to when it was judged.';
COMMENT ON COLUMN quality_inputs.agency_name IS 'The agency name the report printed when it was judged (rule U1 groups by it).';
COMMENT ON COLUMN quality_inputs.accepted_seq IS 'report_history.accepted_seq of the load that was judged (a re-load draws a new one).';
COMMENT ON COLUMN quality_inputs.loaded_at IS 'report_history.loaded_at of the load that was judged.';
COMMENT ON COLUMN quality_inputs.readings IS 'Digest of the cell_resolutions of the report''s document when it was judged; NULL: none.';

-- quality_results rows that name no report (rules over several reports at once, such as U1 one current
-- report per agency-year) belong to the agency whose reports they judged; this says which, so a pass
-- replaces exactly the rows of the agencies it judges.
CREATE TABLE IF NOT EXISTS quality_scope_agencies (
    rule_id    VARCHAR NOT NULL,
    scope      VARCHAR NOT NULL,
    agency_id  VARCHAR NOT NULL
);
COMMENT ON TABLE quality_scope_agencies IS 'Bookkeeping of the quality pass: the agency each quality_results row without a report_id (a rule over several reports, e.g. U1_one_current_report) was judged for.';
COMMENT ON COLUMN quality_scope_agencies.rule_id IS 'Quality rule id (see Quality rules).';
COMMENT ON COLUMN quality_scope_agencies.scope IS 'quality_results.scope of the row.';
COMMENT ON COLUMN quality_scope_agencies.agency_id IS 'The agency whose reports the row judged (for U1, the lowest agency id printing that name).';
