-- R5 (cross-year, spec formats.md X1): 上年结转 of year Y = 结转下年度 of year Y-1, per requester column,
-- over the current reports of one agency in two consecutive years. The finding belongs to the year-Y
-- report (the one whose carried-over row disagrees with its predecessor).
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
WITH judged AS (  -- the current reports being judged
    SELECT report_id, agency_id, year FROM reports WHERE report_id IN (SELECT report_id FROM judge_scope)
), cur AS (  -- their carry rows as request_facts shows them, read from facts once
    SELECT f.report_id, r.agency_id, r.year, f.col_code AS requester_type, f.row_code,
           CAST(f.value AS BIGINT) AS value, f.blank
    FROM facts f JOIN judged r USING (report_id)
    WHERE f.table_no = 'T3' AND f.row_code IN ('carried_over_from_prior', 'carried_forward')
)
SELECT y.report_id, 'R5_carry_continuity' AS rule_id, y.requester_type AS scope,
       p.value AS expected, y.value AS observed,
       true AS assessable
FROM cur y
JOIN cur p ON p.agency_id = y.agency_id AND p.year = y.year - 1 AND p.requester_type = y.requester_type
WHERE y.row_code = 'carried_over_from_prior' AND p.row_code = 'carried_forward'
