-- The reports one chunk of a pass judges: every version of the reports of the chunk's agencies (registered
-- as _chunk_agencies). Every shaping query in sql/checks reads only these reports.
CREATE OR REPLACE TEMP TABLE judge_scope AS
SELECT report_id FROM report_history WHERE agency_id IN (SELECT agency_id FROM _chunk_agencies)
