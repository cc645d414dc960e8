-- A1: the agency dimension placed the report's agency (adcode found, or a national agency).
-- expected 1 = placed; observed 0 means the name matched no division (or an ambiguous one, such as a
-- bare 朝阳区 present in two provinces): region_name / adcode / admin_level stay NULL.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
SELECT r.report_id, 'A1_agency_placed' AS rule_id, 'agency' AS scope,
       1 AS expected,
       CASE WHEN r.adcode IS NOT NULL OR r.admin_level = 'national' THEN 1 ELSE 0 END AS observed,
       true AS assessable
FROM reports r
WHERE r.report_id IN (SELECT report_id FROM judge_scope)
