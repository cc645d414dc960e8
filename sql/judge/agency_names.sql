-- Every (agency, printed name) a report carries now or carried when it was judged, with the report versions
-- it has now: the links that make agencies one judging group (rule U1 compares reports by printed name,
-- which the agency dimension may have split over several agency ids).
SELECT agency_id, agency_name, count(*) FILTER (WHERE now) AS reports
FROM (SELECT agency_id, agency_name, true AS now FROM report_history
      UNION ALL
      SELECT agency_id, agency_name, false FROM quality_inputs)
GROUP BY agency_id, agency_name
