-- Agencies whose stored quality results no longer match their reports: a report loaded or re-loaded, moved
-- to another agency or printed name, gone, or read by a person since it was judged. Both the agency a report
-- is in now and the one it was judged under are stale. Reads the temp view report_inputs (report_inputs.sql).
WITH changed AS (
    SELECT n.agency_id AS agency_now, j.agency_id AS agency_judged
    FROM report_inputs n FULL JOIN quality_inputs j ON j.report_id = n.report_id
    WHERE n.report_id IS NULL OR j.report_id IS NULL
       OR n.agency_id <> j.agency_id OR n.agency_name <> j.agency_name OR n.accepted_seq <> j.accepted_seq
       OR n.loaded_at <> j.loaded_at
       OR n.readings IS DISTINCT FROM j.readings
)
SELECT agency_now AS agency_id FROM changed WHERE agency_now IS NOT NULL
UNION
SELECT agency_judged FROM changed WHERE agency_judged IS NOT NULL
