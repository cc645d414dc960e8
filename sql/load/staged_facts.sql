-- The facts of a set of staged reports (_staged_set: one Arrow record per report, facts nested),
-- unnested set-wise: no Python object per fact.
SELECT report_id, f."table" AS table_no, f.item, f.row_code, f.col_code, f.value, f.printed, f.blank,
       f.row_label, f.col_label, f.page, f.inferred, f.derived, f.unit_factor, source_file, f.inferred_how,
       f.confidence
FROM (SELECT report_id, source_file, unnest(facts) AS f FROM _staged_set)
