-- Per rule, its first 200 failing scopes (by agency, year, scope) for the asset check's table.
SELECT rule_id, agency, year, scope, expected, observed, review_decision, review_reason
FROM (SELECT rule_id, coalesce(agency_name, '(warehouse-wide)') AS agency, year, scope, expected, observed,
             review_decision, review_reason,
             row_number() OVER (PARTITION BY rule_id ORDER BY agency_name, year, scope) AS k
      FROM quality_findings
      WHERE passed = false AND (report_id IS NULL OR agency_name IS NOT NULL))
WHERE k <= 200
ORDER BY rule_id, k
