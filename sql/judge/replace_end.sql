-- Inside a chunk's transaction, after the agencies in judge_agencies were judged: what their results were
-- judged from (read by stale_agencies.sql next time).
INSERT INTO quality_inputs BY NAME
SELECT report_id, agency_id, agency_name, accepted_seq, loaded_at, readings FROM report_inputs
WHERE agency_id IN (SELECT agency_id FROM judge_agencies);
