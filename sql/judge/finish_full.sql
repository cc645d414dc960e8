-- After the chunks of a full pass: rows no chunk replaced (of a report that is in no agency any more, or a row
-- without a report from before the bookkeeping existed) are not results of these rules on this warehouse.
DELETE FROM quality_results WHERE report_id IS NOT NULL AND report_id NOT IN (SELECT report_id FROM report_history);
DELETE FROM quality_results q
WHERE q.report_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM quality_scope_agencies s WHERE s.rule_id = q.rule_id AND s.scope = q.scope);
