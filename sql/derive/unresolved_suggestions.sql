-- Cross-year evidence for unresolved rows (a suggestion, never a fact): rank each unresolved row's
-- candidate readings by the same agency's current reports for the year before and the year after.
-- Re-derived set-wise for the whole warehouse after every load and every `gongkai resolve`, so a
-- suggestion follows when a neighbouring report arrives, is revised, or has a cell resolved.
--
-- Identities used (spec formats.md 4.3), each as "sum of coef x cell of the reading = target":
--   X2  (2021 table 二 第（一）项): 现行有效(N) = 现行有效(N-1) + 本年制发(N) - 本年废止(N)
--   X4' (2019 table 二 第（一）项): 对外公开总数量(N) = 对外公开总数量(N-1) + 本年新公开(N) (cumulative total)
--   X3  (2019 table 二 items 五/六/八): 上一年项目数量(N) = 上一年项目数量(N-1) + 本年增/减(N-1)
--   X1  (table 三, every column): 上年结转(N) = 结转下年度(N-1)
-- Table 二 identities need both years on the same template (X6: they do not chain across 2020/2021).
-- A neighbour's row may itself be unresolved: then its candidate readings are the alternatives, and the
-- two rows narrow each other to the readings that agree. Real reports do not always keep these
-- identities (X2 is only a warning rule), hence "fitting", not "true".

CREATE OR REPLACE TEMP TABLE _unresolved_suggestions AS
WITH target AS (
    SELECT u.report_id, u.table_no, u.row_code, u.printed, r.agency_id, r.year, r.template, u.readings
    FROM unresolved_rows u JOIN reports r USING (report_id)
    WHERE len(coalesce(u.readings, [])) > 0
), readings AS (
    SELECT t.report_id, t.table_no, t.row_code, t.template, t.agency_id, t.year, t.printed,
           unnest(t.readings) AS reading, generate_subscripts(t.readings, 1) AS reading_no
    FROM target t
), reading_cells AS (  -- every candidate reading cut into its cells, in printed column order
    SELECT r.report_id, r.table_no, r.row_code, r.template, r.agency_id, r.year, r.printed, r.reading_no,
           c.col_code, c.col_label, x.cell,
           CASE WHEN x.cell IN ('', '(blank)') THEN 0.0
                ELSE TRY_CAST(regexp_replace(x.cell, '(万元|元)$', '') AS DOUBLE) END AS value
    FROM readings r
    JOIN row_columns c ON c.table_no = r.table_no AND c.template = r.template AND c.row_code = r.row_code
    CROSS JOIN LATERAL (SELECT string_split(r.reading, '/')[c.position] AS cell) x
), wanted AS (
    SELECT agency_id, year - 1 AS year FROM target UNION SELECT agency_id, year + 1 FROM target
), neighbour AS (
    -- the same agencies' current reports one year either side: their loaded cells (alt_no 0), and the
    -- candidate readings of their own unresolved rows (alt_no = reading), so two unresolved years narrow
    -- each other to the readings that agree
    SELECT r.agency_id, r.year, r.template, f.table_no, f.row_code, f.col_code, f.value, f.blank,
           0 AS alt_no, CAST(NULL AS VARCHAR) AS printed
    FROM facts f JOIN reports r USING (report_id)
    JOIN wanted w ON w.agency_id = r.agency_id AND w.year = r.year
    UNION ALL
    SELECT rc.agency_id, rc.year, rc.template, rc.table_no, rc.row_code, rc.col_code, rc.value,
           rc.cell IN ('', '(blank)'), rc.reading_no, rc.printed
    FROM reading_cells rc JOIN wanted w ON w.agency_id = rc.agency_id AND w.year = rc.year
), t2 AS (
    SELECT agency_id, year, template, row_code, alt_no, any_value(printed) AS printed,
           any_value(value) FILTER (WHERE col_code = 'in_force') AS in_force,
           coalesce(bool_or(col_code = 'in_force' AND NOT blank), false) AS in_force_printed,
           coalesce(any_value(value) FILTER (WHERE col_code = 'issued'), 0) AS issued,
           coalesce(any_value(value) FILTER (WHERE col_code = 'repealed'), 0) AS repealed,
           any_value(value) FILTER (WHERE col_code = 'total_published') AS total_published,
           coalesce(bool_or(col_code = 'total_published' AND NOT blank), false) AS total_printed,
           coalesce(any_value(value) FILTER (WHERE col_code = 'new_published'), 0) AS new_published,
           any_value(value) FILTER (WHERE col_code = 'prior_year_items') AS prior_items,
           coalesce(bool_or(col_code = 'prior_year_items' AND NOT blank), false) AS prior_printed,
           coalesce(any_value(value) FILTER (WHERE col_code = 'change'), 0) AS change
    FROM neighbour WHERE table_no = 'T2' GROUP BY agency_id, year, template, row_code, alt_no
), t3 AS (
    SELECT agency_id, year, row_code, alt_no, printed, col_code, value,
           string_agg(CAST(value AS BIGINT)::VARCHAR, '/' ORDER BY c.position)
               OVER (PARTITION BY agency_id, year, row_code, alt_no) AS row_printed
    FROM neighbour n JOIN row_columns c USING (table_no, template, row_code, col_code)
    WHERE n.table_no = 'T3' AND n.row_code IN ('carried_forward', 'carried_over_from_prior')
), constraints AS (
    -- One row per identity, neighbouring year and alternative (alt_no 0: the neighbour's loaded cells;
    -- otherwise one candidate reading of the neighbour's own unresolved row). A reading keeps an identity
    -- when it holds for at least one alternative. A loaded neighbour whose needed cell is blank gives no
    -- evidence (as X2 is not assessable then); a blank in a neighbour's candidate reading excludes nothing.
    -- X2, year before known: 现行有效 - 本年制发 + 本年废止 of the reading = last year's 现行有效
    SELECT t.report_id, t.table_no, t.row_code, 'X2' AS family, p.year AS basis_year, p.alt_no,
           CASE WHEN p.in_force_printed THEN p.in_force END AS target,
           [{'col': 'in_force', 'coef': 1.0}, {'col': 'issued', 'coef': -1.0}, {'col': 'repealed', 'coef': 1.0}] AS coefs,
           CASE WHEN p.alt_no = 0 THEN
               format('the {} report prints 现行有效 {}, and 现行有效 - 本年制发 + 本年废止 of {} must equal it (X2)',
                      p.year, CAST(p.in_force AS BIGINT), t.year)
           ELSE format('the {} report''s row is itself unresolved (printed "{}"); readings of the two rows that keep X2 together are kept', p.year, p.printed)
           END AS basis
    FROM target t JOIN t2 p ON p.agency_id = t.agency_id AND p.year = t.year - 1 AND p.row_code = t.row_code
    WHERE t.table_no = 'T2' AND t.template = '2021' AND p.template = '2021' AND t.row_code IN ('regulations', 'normative_documents')
      AND (p.in_force_printed OR p.alt_no > 0)
    UNION ALL
    -- X2, year after known: 现行有效 of the reading = next year's 现行有效 - 本年制发 + 本年废止
    SELECT t.report_id, t.table_no, t.row_code, 'X2', n.year, n.alt_no,
           CASE WHEN n.in_force_printed THEN n.in_force - n.issued + n.repealed END,
           [{'col': 'in_force', 'coef': 1.0}],
           CASE WHEN n.alt_no = 0 THEN
               format('the {} report prints 现行有效 {}, 本年制发 {}, 本年废止 {}, so 现行有效 was {} at the end of {} (X2)',
                      n.year, CAST(n.in_force AS BIGINT), CAST(n.issued AS BIGINT), CAST(n.repealed AS BIGINT),
                      CAST(n.in_force - n.issued + n.repealed AS BIGINT), t.year)
           ELSE format('the {} report''s row is itself unresolved (printed "{}"); readings of the two rows that keep X2 together are kept', n.year, n.printed)
           END
    FROM target t JOIN t2 n ON n.agency_id = t.agency_id AND n.year = t.year + 1 AND n.row_code = t.row_code
    WHERE t.table_no = 'T2' AND t.template = '2021' AND n.template = '2021' AND t.row_code IN ('regulations', 'normative_documents')
      AND (n.in_force_printed OR n.alt_no > 0)
    UNION ALL
    -- 2019 第（一）项, year before known: 对外公开总数量 - 本年新公开 of the reading = last year's 对外公开总数量
    SELECT t.report_id, t.table_no, t.row_code, 'cumulative', p.year, p.alt_no,
           CASE WHEN p.total_printed THEN p.total_published END,
           [{'col': 'total_published', 'coef': 1.0}, {'col': 'new_published', 'coef': -1.0}],
           CASE WHEN p.alt_no = 0 THEN
               format('the {} report prints 对外公开总数量 {}, and if that total is cumulative, 对外公开总数量 - 本年新公开 of {} must equal it',
                      p.year, CAST(p.total_published AS BIGINT), t.year)
           ELSE format('the {} report''s row is itself unresolved (printed "{}"); readings of the two rows that keep a cumulative 对外公开总数量 together are kept', p.year, p.printed)
           END
    FROM target t JOIN t2 p ON p.agency_id = t.agency_id AND p.year = t.year - 1 AND p.row_code = t.row_code
    WHERE t.table_no = 'T2' AND t.template = '2019' AND p.template = '2019' AND t.row_code IN ('regulations', 'normative_documents')
      AND (p.total_printed OR p.alt_no > 0)
    UNION ALL
    -- 2019 第（一）项, year after known
    SELECT t.report_id, t.table_no, t.row_code, 'cumulative', n.year, n.alt_no,
           CASE WHEN n.total_printed THEN n.total_published - n.new_published END,
           [{'col': 'total_published', 'coef': 1.0}],
           CASE WHEN n.alt_no = 0 THEN
               format('the {} report prints 对外公开总数量 {}, 本年新公开 {}, so, if that total is cumulative, {} at the end of {}',
                      n.year, CAST(n.total_published AS BIGINT), CAST(n.new_published AS BIGINT),
                      CAST(n.total_published - n.new_published AS BIGINT), t.year)
           ELSE format('the {} report''s row is itself unresolved (printed "{}"); readings of the two rows that keep a cumulative 对外公开总数量 together are kept', n.year, n.printed)
           END
    FROM target t JOIN t2 n ON n.agency_id = t.agency_id AND n.year = t.year + 1 AND n.row_code = t.row_code
    WHERE t.table_no = 'T2' AND t.template = '2019' AND n.template = '2019' AND t.row_code IN ('regulations', 'normative_documents')
      AND (n.total_printed OR n.alt_no > 0)
    UNION ALL
    -- X3, year before known: 上一年项目数量 of the reading = last year's 上一年项目数量 + 本年增/减
    SELECT t.report_id, t.table_no, t.row_code, 'X3', p.year, p.alt_no,
           CASE WHEN p.prior_printed THEN p.prior_items + p.change END,
           [{'col': 'prior_year_items', 'coef': 1.0}],
           CASE WHEN p.alt_no = 0 THEN
               format('the {} report prints 上一年项目数量 {} and 本年增/减 {}, so 上一年项目数量 of {} is {} (X3)',
                      p.year, CAST(p.prior_items AS BIGINT), CAST(p.change AS BIGINT), t.year,
                      CAST(p.prior_items + p.change AS BIGINT))
           ELSE format('the {} report''s row is itself unresolved (printed "{}"); readings of the two rows that keep X3 together are kept', p.year, p.printed)
           END
    FROM target t JOIN t2 p ON p.agency_id = t.agency_id AND p.year = t.year - 1 AND p.row_code = t.row_code
    WHERE t.table_no = 'T2' AND t.template = '2019' AND p.template = '2019' AND t.row_code IN ('admin_license', 'other_admin_services', 'admin_penalty', 'admin_coercion', 'admin_fees')
      AND (p.prior_printed OR p.alt_no > 0)
    UNION ALL
    -- X3, year after known: 上一年项目数量 + 本年增/减 of the reading = next year's 上一年项目数量
    SELECT t.report_id, t.table_no, t.row_code, 'X3', n.year, n.alt_no,
           CASE WHEN n.prior_printed THEN n.prior_items END,
           [{'col': 'prior_year_items', 'coef': 1.0}, {'col': 'change', 'coef': 1.0}],
           CASE WHEN n.alt_no = 0 THEN
               format('the {} report prints 上一年项目数量 {}, and 上一年项目数量 + 本年增/减 of {} must equal it (X3)',
                      n.year, CAST(n.prior_items AS BIGINT), t.year)
           ELSE format('the {} report''s row is itself unresolved (printed "{}"); readings of the two rows that keep X3 together are kept', n.year, n.printed)
           END
    FROM target t JOIN t2 n ON n.agency_id = t.agency_id AND n.year = t.year + 1 AND n.row_code = t.row_code
    WHERE t.table_no = 'T2' AND t.template = '2019' AND n.template = '2019' AND t.row_code IN ('admin_license', 'other_admin_services', 'admin_penalty', 'admin_coercion', 'admin_fees')
      AND (n.prior_printed OR n.alt_no > 0)
    UNION ALL
    -- X1, year before known: 上年结转 of the reading = last year's 结转下年度, per column (any templates)
    SELECT t.report_id, t.table_no, t.row_code, 'X1', p.year, p.alt_no, p.value, [{'col': p.col_code, 'coef': 1.0}],
           CASE WHEN p.alt_no = 0 THEN
               format('the {} report prints 结转下年度 {}, which must be carried over into {} (X1)', p.year, p.row_printed, t.year)
           ELSE format('the {} report''s 结转下年度 row is itself unresolved (printed "{}"); readings of the two rows that keep X1 together are kept', p.year, p.printed)
           END
    FROM target t JOIN t3 p ON p.agency_id = t.agency_id AND p.year = t.year - 1 AND p.row_code = 'carried_forward'
    WHERE t.table_no = 'T3' AND t.row_code = 'carried_over_from_prior'
    UNION ALL
    -- X1, year after known: 结转下年度 of the reading = next year's 上年结转, per column
    SELECT t.report_id, t.table_no, t.row_code, 'X1', n.year, n.alt_no, n.value, [{'col': n.col_code, 'coef': 1.0}],
           CASE WHEN n.alt_no = 0 THEN
               format('the {} report prints 上年结转 {}, which {} must have carried forward (X1)', n.year, n.row_printed, t.year)
           ELSE format('the {} report''s 上年结转 row is itself unresolved (printed "{}"); readings of the two rows that keep X1 together are kept', n.year, n.printed)
           END
    FROM target t JOIN t3 n ON n.agency_id = t.agency_id AND n.year = t.year + 1 AND n.row_code = 'carried_over_from_prior'
    WHERE t.table_no = 'T3' AND t.row_code = 'carried_forward'
), numbered AS (
    SELECT *, row_number() OVER () AS constraint_no FROM constraints
), terms AS (
    SELECT n.report_id, n.table_no, n.row_code, n.family, n.basis_year, n.alt_no, n.constraint_no, n.target,
           struct_extract(n.cf, 'col') AS col_code, struct_extract(n.cf, 'coef') AS coef
    FROM (SELECT *, unnest(coefs) AS cf FROM numbered) n
), checked AS (  -- one row per reading x identity x alternative: does the reading keep it?
    SELECT k.report_id, k.table_no, k.row_code, k.family, k.basis_year, k.alt_no, k.constraint_no, rc.reading_no,
           -- a neighbour's candidate reading with the needed cell blank cannot be assessed: it excludes nothing
           CASE WHEN any_value(k.target) IS NULL THEN true
                ELSE abs(sum(k.coef * rc.value) - any_value(k.target)) < 1e-6 END AS holds
    FROM terms k
    JOIN reading_cells rc USING (report_id, table_no, row_code, col_code)
    GROUP BY k.report_id, k.table_no, k.row_code, k.family, k.basis_year, k.alt_no, k.constraint_no, rc.reading_no
), per_alternative AS (  -- all of an alternative's equations hold (table 三: every column)
    SELECT report_id, table_no, row_code, family, basis_year, alt_no, reading_no,
           coalesce(bool_and(holds), false) AS holds
    FROM checked GROUP BY ALL
), per_identity AS (  -- some alternative of the neighbour agrees
    SELECT report_id, table_no, row_code, family, basis_year, reading_no, bool_or(holds) AS holds
    FROM per_alternative GROUP BY ALL
), per_reading AS (
    SELECT c.report_id, c.table_no, c.row_code, c.reading_no, any_value(r.reading) AS reading,
           bool_and(c.holds) AS fits
    FROM per_identity c JOIN readings r USING (report_id, table_no, row_code, reading_no)
    GROUP BY ALL
), fitting_cells AS (  -- the cells every fitting reading agrees on (said in the basis)
    SELECT report_id, table_no, row_code, string_agg(col_label || ' ' || cell, ', ' ORDER BY col_code) AS agreed
    FROM (SELECT rc.report_id, rc.table_no, rc.row_code, rc.col_code, any_value(rc.col_label) AS col_label,
                 any_value(rc.cell) AS cell
          FROM reading_cells rc JOIN per_reading p USING (report_id, table_no, row_code, reading_no)
          WHERE p.fits GROUP BY ALL HAVING count(DISTINCT rc.value) = 1 AND count(*) > 1)
    GROUP BY ALL
), per_row AS (
    SELECT p.report_id, p.table_no, p.row_code, any_value(len(t.readings)) AS n_readings,
           coalesce(list(p.reading ORDER BY p.reading_no) FILTER (WHERE p.fits), []) AS fitting
    FROM per_reading p JOIN target t USING (report_id, table_no, row_code)
    GROUP BY ALL
), basis AS (
    SELECT report_id, table_no, row_code, string_agg(DISTINCT basis, '; ') AS basis,
           list(DISTINCT basis_year ORDER BY basis_year) AS years
    FROM constraints GROUP BY ALL
)
SELECT p.report_id, p.table_no, p.row_code, p.fitting AS fitting_readings,
       CASE WHEN len(p.fitting) = 1 THEN p.fitting[1] END AS suggested_reading,
       CASE len(p.fitting)
           WHEN 0 THEN format('None of the {} readings fits the neighbouring years: {}. The identity may not hold for this agency (real reports do not always keep it).',
                              p.n_readings, b.basis)
           WHEN 1 THEN format('Only {} of the {} readings fits the neighbouring years: {}. A suggestion, not a fact: confirm it against the original with `gongkai resolve`.',
                              p.fitting[1], p.n_readings, b.basis)
           ELSE format('{} of the {} readings fit the neighbouring years ({}): {}.{} A suggestion, not a fact.',
                       len(p.fitting), p.n_readings, array_to_string(p.fitting, ', '), b.basis,
                       CASE WHEN f.agreed IS NOT NULL THEN format(' All of them read {}.', f.agreed) ELSE '' END)
       END AS suggestion_basis,
       b.years AS suggestion_years
FROM per_row p JOIN basis b USING (report_id, table_no, row_code)
LEFT JOIN fitting_cells f USING (report_id, table_no, row_code);

UPDATE unresolved_rows SET fitting_readings = NULL, suggested_reading = NULL, suggestion_basis = NULL,
                           suggestion_years = NULL
WHERE suggestion_basis IS NOT NULL OR fitting_readings IS NOT NULL;

UPDATE unresolved_rows AS u
SET fitting_readings = s.fitting_readings, suggested_reading = s.suggested_reading,
    suggestion_basis = s.suggestion_basis, suggestion_years = s.suggestion_years
FROM _unresolved_suggestions s
WHERE u.report_id = s.report_id AND u.table_no = s.table_no AND u.row_code = s.row_code;

DROP TABLE _unresolved_suggestions;
