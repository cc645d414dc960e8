-- Per rule, the failed scopes of current reports and warehouse-wide ones: what the nightly no-change run
-- reports without starting Dagster (the "failed" column of rule_check_counts.sql). Failed rows first, then
-- the semi-join to current reports: quality_findings would join every one of ~6 M results at 10^5 reports
-- to reports and reviews only to count the few that failed.
SELECT q.rule_id, count(*) FROM quality_results q
WHERE NOT q.passed AND (q.report_id IS NULL OR q.report_id IN (SELECT report_id FROM reports))
GROUP BY q.rule_id
