CREATE OR REPLACE VIEW quality_findings AS
SELECT r.agency_name, r.year, q.report_id, q.rule_id, q.scope, q.passed, q.expected, q.observed,
       q.severity, q.message, v.decision AS review_decision, v.reason AS review_reason, v.reviewer,
       v.reviewed_at, r.source_file
FROM quality_results q
LEFT JOIN reports r USING (report_id)
LEFT JOIN finding_reviews v ON v.sha256 = r.sha256 AND v.rule_id = q.rule_id AND v.scope = q.scope;
COMMENT ON VIEW quality_findings IS 'quality_results of current reports with agency, year and the reviewer''s decision (confirmed: the report itself is wrong; dismissed: with a reason). passed NULL = not assessable.';
