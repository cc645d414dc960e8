-- Incoming facts whose codes are outside codes.yaml (_code_domain): any row refuses the whole set.
SELECT report_id, table_no, item, row_code, col_code FROM _incoming_facts f
WHERE NOT EXISTS (SELECT 1 FROM _code_domain d WHERE d.table_no = f.table_no AND d.row_code = f.row_code
                  AND d.col_code = f.col_code AND d.item IS NOT DISTINCT FROM f.item)
LIMIT 5
