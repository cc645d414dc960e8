-- The agencies one chunk of a pass judges (registered as _chunk_agencies: whole judging groups) and their
-- reports, every version: every shaping query in sql/checks reads only the reports in judge_scope.
CREATE OR REPLACE TEMP TABLE judge_agencies AS SELECT agency_id FROM _chunk_agencies;
CREATE OR REPLACE TEMP TABLE judge_scope AS
SELECT report_id FROM report_history WHERE agency_id IN (SELECT agency_id FROM judge_agencies);
