-- N1 (narrative vs table): the number of requests the report's text says it received
-- (…共收到/受理/新收政府信息公开申请 N 件) against 表三 一、本年新收 总计. Narratives phrase this loosely
-- (some count carried-over requests too), so this is a warning. Not assessable when the text states no number.
-- Reads only the reports in judge_scope (the agencies a quality pass judges; sql/judge/scope.sql).
WITH said AS (
    SELECT report_id,
           try_cast(regexp_extract(narrative,
               '(?:收到|受理|新收)[^。；，,0-9]{0,16}?申请(?:共计|共|合计)?\s*([0-9]+)\s*件', 1) AS BIGINT) AS n
    FROM report_history WHERE report_id IN (SELECT report_id FROM judge_scope)
)
SELECT f.report_id, 'N1_narrative_received' AS rule_id, 'received_new.total' AS scope,
       f.value AS expected, s.n AS observed, s.n IS NOT NULL AS assessable
FROM facts f JOIN said s USING (report_id)
WHERE f.table_no = 'T3' AND f.row_code = 'received_new' AND f.col_code = 'total'
