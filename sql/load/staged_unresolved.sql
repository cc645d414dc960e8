-- The unresolved rows of a set of staged reports, unnested set-wise.
SELECT report_id, u."table" AS table_no, u.row_code, u.row_label, u.printed, u.reason, u.detail, u.readings,
       CASE WHEN len(u."columns") > 0 THEN u."columns" END AS unresolved_columns,
       source_file
FROM (SELECT report_id, source_file, unnest(unresolved) AS u FROM _staged_set)
