-- U1 (uniqueness): one current report per agency-year. Two current reports under one printed agency
-- name and year mean the agency dimension split one agency into two ids. Warehouse-wide rule.
SELECT NULL::VARCHAR AS report_id, 'U1_one_current_report' AS rule_id,
       agency_name || ' ' || year AS scope,
       1 AS expected, count(*) AS observed, true AS assessable
FROM reports
GROUP BY agency_name, year
