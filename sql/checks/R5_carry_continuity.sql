-- R5 (cross-year, spec formats.md X1): 上年结转 of year Y = 结转下年度 of year Y-1, per requester column,
-- over the current reports of one agency in two consecutive years. The finding belongs to the year-Y
-- report (the one whose carried-over row disagrees with its predecessor).
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
WITH cur AS (
    SELECT f.report_id, r.agency_id, r.year, f.requester_type, f.row_code, f.value, f.blank
    FROM request_facts f JOIN reports r USING (report_id)
    WHERE f.row_code IN ('carried_over_from_prior', 'carried_forward') AND f.report_id IN (SELECT report_id FROM judge_scope)
)
SELECT y.report_id, 'R5_carry_continuity' AS rule_id, y.requester_type AS scope,
       p.value AS expected, y.value AS observed,
       true AS assessable
FROM cur y
JOIN cur p ON p.agency_id = y.agency_id AND p.year = y.year - 1 AND p.requester_type = y.requester_type
WHERE y.row_code = 'carried_over_from_prior' AND p.row_code = 'carried_forward'
