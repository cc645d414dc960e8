-- S2 (schema): the keys that identify a report are present and in their domains:
-- agency name, agency id, a plausible report year, a known template. Per report.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
SELECT h.report_id, 'S2_report_keys' AS rule_id, 'report' AS scope,
       1 AS expected,
       CASE WHEN coalesce(trim(h.agency_name), '') <> '' AND coalesce(h.agency_id, '') <> ''
             AND h.year BETWEEN 2008 AND year(current_date) + 1
             AND h.template IN ('2019', '2021') THEN 1 ELSE 0 END AS observed,
       true AS assessable
FROM report_history h
WHERE h.report_id IN (SELECT report_id FROM judge_scope)
