-- The identity signals of a set of staged reports ('kind: value' strings), one row each, set-wise;
-- the first signal of a report is the one its identity was taken from.
SELECT report_id,
       CAST(pos AS INTEGER) AS position,
       split_part(sig, ': ', 1) AS kind,
       substr(sig, length(split_part(sig, ': ', 1)) + 3) AS value,
       pos = 1 AS used,
       source_file
FROM (SELECT report_id, source_file, unnest(identity_signals) AS sig,
             generate_subscripts(identity_signals, 1) AS pos
      FROM _staged_set)
