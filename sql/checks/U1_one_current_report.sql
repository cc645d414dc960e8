-- U1 (uniqueness): one current report per agency-year. Two current reports under one printed agency
-- name and year mean the agency dimension split one agency into two ids. Warehouse-wide rule.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
SELECT NULL::VARCHAR AS report_id, 'U1_one_current_report' AS rule_id,
       agency_name || ' ' || year AS scope,
       1 AS expected, count(*) AS observed, true AS assessable,
       min(agency_id) AS agency_id  -- the row names no report: the agency it belongs to (quality_scope_agencies)
FROM reports
WHERE report_id IN (SELECT report_id FROM judge_scope)
GROUP BY agency_name, year
