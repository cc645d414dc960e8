-- Per rule, for its asset check in the Dagster UI: scopes passed, failed, not assessable, reports failing,
-- and held reports failing (held reports are out of quality_findings' agency columns, so counted apart).
WITH shown AS (
    SELECT rule_id, count(*) FILTER (WHERE passed) AS passed, count(*) FILTER (WHERE NOT passed) AS failed,
           count(*) FILTER (WHERE passed IS NULL) AS not_assessable,
           count(DISTINCT report_id) FILTER (WHERE NOT passed) AS reports_failing
    FROM quality_findings WHERE report_id IS NULL OR agency_name IS NOT NULL
    GROUP BY rule_id),
held AS (
    SELECT q.rule_id, count(DISTINCT q.report_id) AS held_failing
    FROM quality_results q JOIN held_reports h USING (report_id) WHERE NOT q.passed
    GROUP BY q.rule_id)
SELECT rule_id, coalesce(s.passed, 0), coalesce(s.failed, 0), coalesce(s.not_assessable, 0),
       coalesce(s.reports_failing, 0), coalesce(h.held_failing, 0)
FROM shown s FULL JOIN held h USING (rule_id)
