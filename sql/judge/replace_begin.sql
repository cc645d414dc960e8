-- Inside a chunk's transaction, before the agencies in judge_agencies are judged again: remove their stored
-- results and bookkeeping. A report's rows go whether the report is in one of these agencies now or was when
-- it was judged (a report that moved, or is gone); rows without a report go by the agency that owned them.
DELETE FROM quality_results
WHERE report_id IN (SELECT report_id FROM report_history WHERE agency_id IN (SELECT agency_id FROM judge_agencies)
                    UNION ALL
                    SELECT report_id FROM quality_inputs WHERE agency_id IN (SELECT agency_id FROM judge_agencies));
DELETE FROM quality_results q USING quality_scope_agencies s
WHERE q.report_id IS NULL AND q.rule_id = s.rule_id AND q.scope = s.scope
  AND s.agency_id IN (SELECT agency_id FROM judge_agencies);
DELETE FROM quality_scope_agencies WHERE agency_id IN (SELECT agency_id FROM judge_agencies);
DELETE FROM quality_inputs WHERE agency_id IN (SELECT agency_id FROM judge_agencies);
