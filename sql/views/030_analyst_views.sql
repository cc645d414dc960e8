-- Analyst views over the contract relations: one row per report with every table-三 cell, outcome
-- and exemption mixes, the field's standard rates, year-over-year change, regional roll-ups and
-- coverage. All shares and rates are NULL (not an error, not 0) when their denominator is 0.

CREATE OR REPLACE VIEW request_totals AS
SELECT f.report_id, f.agency_name, f.year, f.row_code,
       CASE WHEN bool_or(f.requester_type = 'total' AND NOT f.blank)
            THEN CAST(sum(f.value) FILTER (WHERE f.requester_type = 'total') AS BIGINT)
            ELSE CAST(coalesce(sum(f.value) FILTER (WHERE f.requester_type <> 'total'), 0) AS BIGINT) END AS value,
       CASE WHEN bool_or(f.requester_type = 'total' AND NOT f.blank) THEN 'printed_total'
            ELSE 'sum_of_requesters' END AS value_source
FROM request_facts f
GROUP BY f.report_id, f.agency_name, f.year, f.row_code;
COMMENT ON VIEW request_totals IS 'Table 三 per report and row, all requesters together: the printed 总计 cell, or the sum of the six requester columns when the 总计 cell was left blank (e.g. 上海市人民政府办公厅 2019). The basis of the mixes and rates below.';
COMMENT ON COLUMN request_totals.value_source IS 'printed_total = the 总计 cell as printed; sum_of_requesters = 总计 was blank, value is the sum of the requester columns.';

CREATE OR REPLACE VIEW request_wide AS
SELECT r.report_id, r.agency_id, r.agency_name, r.region_name, r.adcode, r.admin_level, r.sector,
       r.year, r.template, p.* EXCLUDE (report_id)
FROM reports r
JOIN (
    PIVOT (SELECT report_id, row_code, requester_type, value FROM request_facts)
    ON row_code IN ('received_new', 'carried_over_from_prior', 'granted', 'partially_granted',
                    'denied_state_secret', 'denied_law_prohibited', 'denied_security_stability',
                    'denied_third_party_rights', 'denied_internal_affairs', 'denied_process_info',
                    'denied_enforcement_file', 'denied_admin_query', 'unavailable_not_held',
                    'unavailable_needs_creation', 'unavailable_unclear', 'not_processed_complaint',
                    'not_processed_duplicate', 'not_processed_publication', 'not_processed_excessive',
                    'not_processed_confirmation', 'other_no_correction', 'other_unpaid_fee', 'other_other',
                    'other_total', 'processed_total', 'carried_forward'),
       requester_type IN ('natural_person', 'commercial_enterprise', 'research_institution',
                          'public_interest_org', 'legal_service_org', 'other_org', 'total')
    USING first(value)
    GROUP BY report_id
) p USING (report_id);
COMMENT ON VIEW request_wide IS 'Table 三 wide: one row per current report, one column per cell named <row_code>_<requester_type> (e.g. granted_total, denied_state_secret_natural_person). other_total exists for both templates (2021: sum of its three sub-rows); the 2021 sub-rows other_no_correction / other_unpaid_fee / other_other are NULL for 2019-template reports.';

CREATE OR REPLACE VIEW outcome_mix AS
WITH g AS (
    SELECT t.report_id, o.outcome_group, CAST(sum(t.value) AS BIGINT) AS requests
    FROM request_totals t JOIN outcome_groups o USING (row_code)
    GROUP BY t.report_id, o.outcome_group
)
SELECT r.report_id, r.agency_id, r.agency_name, r.region_name, r.admin_level, r.sector, r.year, r.template,
       g.outcome_group, l.label_zh, l.label_en, g.requests,
       g.requests / nullif(sum(g.requests) OVER (PARTITION BY g.report_id), 0) AS share
FROM g JOIN reports r USING (report_id)
LEFT JOIN code_labels l ON l.domain = 'outcome_group' AND l.code = g.outcome_group;
COMMENT ON VIEW outcome_mix IS 'Outcome mix per agency-year: for each outcome group (予以公开, 部分公开, 不予公开, 无法提供, 不予处理, 其他处理) the requests it got (总计 column) and its share of all outcomes of the report. share = requests / sum of the six groups (= （七）总计 when the report adds up); NULL when the report processed nothing.';
COMMENT ON COLUMN outcome_mix.share IS 'requests / sum over the six outcome groups of the report; NULL if that sum is 0.';

CREATE OR REPLACE VIEW exemption_mix AS
SELECT r.report_id, r.agency_id, r.agency_name, r.region_name, r.admin_level, r.sector, r.year, r.template,
       t.row_code AS reason, l.label_zh, l.label_en, t.value AS requests,
       t.value / nullif(sum(t.value) OVER (PARTITION BY t.report_id), 0) AS share_of_denied,
       t.value / nullif(p.value, 0) AS share_of_processed
FROM request_totals t
JOIN outcome_groups o ON o.row_code = t.row_code AND o.outcome_group = 'denied'
JOIN reports r USING (report_id)
LEFT JOIN request_totals p ON p.report_id = t.report_id AND p.row_code = 'processed_total'
LEFT JOIN code_labels l ON l.domain = 'request_row' AND l.code = t.row_code;
COMMENT ON VIEW exemption_mix IS 'Exemption (不予公开) reason mix per agency-year: the eight grounds of 三（三）1-8, requests per ground (总计 column), share of all denials (NULL when the report denied nothing) and share of （七）总计 (NULL when nothing was processed).';
COMMENT ON COLUMN exemption_mix.reason IS 'request_row code of the ground, denied_state_secret ... denied_admin_query.';

CREATE OR REPLACE VIEW report_metrics AS
WITH t3 AS (
    SELECT t.report_id,
           CAST(sum(t.value) FILTER (WHERE t.row_code = 'received_new') AS BIGINT) AS received_new,
           CAST(sum(t.value) FILTER (WHERE t.row_code = 'carried_over_from_prior') AS BIGINT) AS carried_over_from_prior,
           CAST(sum(t.value) FILTER (WHERE t.row_code = 'processed_total') AS BIGINT) AS processed_total,
           CAST(sum(t.value) FILTER (WHERE t.row_code = 'carried_forward') AS BIGINT) AS carried_forward,
           CAST(sum(t.value) FILTER (WHERE t.row_code = 'granted') AS BIGINT) AS granted,
           CAST(sum(t.value) FILTER (WHERE t.row_code = 'partially_granted') AS BIGINT) AS partially_granted,
           CAST(sum(t.value) FILTER (WHERE o.outcome_group = 'denied') AS BIGINT) AS denied,
           CAST(sum(t.value) FILTER (WHERE o.outcome_group IS NOT NULL) AS BIGINT) AS outcomes_total
    FROM request_totals t LEFT JOIN outcome_groups o USING (row_code)
    GROUP BY t.report_id
), t4 AS (
    -- totals from the four result columns, so a mis-printed 总计 cell (rule R4) does not skew the rates
    SELECT report_id,
           CAST(sum(value) FILTER (WHERE proceeding = 'admin_review' AND result <> 'total') AS BIGINT) AS reviews,
           CAST(sum(value) FILTER (WHERE proceeding <> 'admin_review' AND result <> 'total') AS BIGINT) AS lawsuits,
           CAST(sum(value) FILTER (WHERE result = 'corrected') AS BIGINT) AS corrected,
           CAST(sum(value) FILTER (WHERE result = 'pending') AS BIGINT) AS pending
    FROM review_litigation_facts
    GROUP BY report_id
)
SELECT r.report_id, r.agency_id, r.agency_name, r.region_name, r.adcode, r.admin_level, r.sector,
       r.year, r.template,
       t3.received_new, t3.carried_over_from_prior, t3.processed_total, t3.carried_forward,
       t3.granted, t3.partially_granted, t3.denied, t3.outcomes_total,
       t4.reviews, t4.lawsuits, t4.reviews + t4.lawsuits AS disputes, t4.corrected,
       t4.reviews + t4.lawsuits - t4.pending AS concluded,
       (t3.granted + t3.partially_granted) / nullif(t3.processed_total, 0) AS substantive_disclosure_rate,
       t3.denied / nullif(t3.outcomes_total, 0) AS denial_share,
       t4.corrected / nullif(t4.reviews + t4.lawsuits - t4.pending, 0) AS correction_rate,
       100.0 * (t4.reviews + t4.lawsuits) / nullif(t3.received_new, 0) AS dispute_rate
FROM reports r
LEFT JOIN t3 USING (report_id)
LEFT JOIN t4 USING (report_id);
COMMENT ON VIEW report_metrics IS 'The field''s standard indicators per agency-year (current reports), NULL when the denominator is 0. substantive_disclosure_rate (实质公开率) = (予以公开 + 部分公开) / （七）总计; denial_share = 不予公开 (all eight grounds) / all outcomes; correction_rate (纠错率) = 结果纠正 / concluded reviews and lawsuits (all three proceedings, concluded = total - 尚未审结); dispute_rate = reviews + lawsuits per 100 new requests (本年新收). Table-三 counts are the 总计 column (request_totals); table-四 totals are the sum of the four result columns.';
COMMENT ON COLUMN report_metrics.substantive_disclosure_rate IS '实质公开率: (granted + partially_granted) / processed_total; NULL if processed_total = 0.';
COMMENT ON COLUMN report_metrics.denial_share IS 'denied (三（三）1-8) / outcomes_total (sum of all outcome rows); NULL if 0.';
COMMENT ON COLUMN report_metrics.correction_rate IS '纠错率: corrected / concluded, over 行政复议 + both 行政诉讼 proceedings; concluded = upheld + corrected + other = total - pending; NULL if nothing concluded.';
COMMENT ON COLUMN report_metrics.dispute_rate IS 'Administrative reviews + lawsuits (all three proceedings) per 100 new requests received this year; NULL if none received.';
COMMENT ON COLUMN report_metrics.concluded IS 'Reviews and lawsuits with a result: total - pending (尚未审结).';
COMMENT ON COLUMN report_metrics.disputes IS 'Administrative reviews + lawsuits (direct and after review).';

CREATE OR REPLACE VIEW agency_year_change AS
SELECT m.agency_id, m.agency_name, m.region_name, m.admin_level, m.sector, m.year,
       p.year AS prev_year,
       m.received_new, p.received_new AS prev_received_new,
       m.received_new - p.received_new AS received_new_change,
       (m.received_new - p.received_new) / nullif(p.received_new, 0) AS received_new_pct_change,
       m.processed_total, p.processed_total AS prev_processed_total,
       m.processed_total - p.processed_total AS processed_total_change,
       m.denial_share, p.denial_share AS prev_denial_share,
       m.denial_share - p.denial_share AS denial_share_change,
       m.substantive_disclosure_rate, p.substantive_disclosure_rate AS prev_substantive_disclosure_rate,
       m.substantive_disclosure_rate - p.substantive_disclosure_rate AS substantive_disclosure_rate_change,
       m.correction_rate - p.correction_rate AS correction_rate_change,
       m.dispute_rate - p.dispute_rate AS dispute_rate_change,
       m.disputes - p.disputes AS disputes_change
FROM report_metrics m
LEFT JOIN report_metrics p ON p.agency_id = m.agency_id AND p.year = m.year - 1;
COMMENT ON VIEW agency_year_change IS 'Year-over-year change per agency: each current report next to the same agency''s report of the previous calendar year (prev_* NULL when that year is not loaded). *_change = this year - previous year (shares and rates in fractions, i.e. 0.05 = 5 percentage points); *_pct_change = change / previous (NULL if previous is 0).';

CREATE OR REPLACE VIEW regional_rollup AS
WITH member AS (
    SELECT m.*, 'province' AS region_level, d.province_adcode AS region_adcode
    FROM report_metrics m JOIN admin_divisions d ON d.adcode = m.adcode
    UNION ALL
    SELECT m.*, 'city' AS region_level, d.city_adcode AS region_adcode
    FROM report_metrics m JOIN admin_divisions d ON d.adcode = m.adcode
    JOIN admin_divisions c ON c.adcode = d.city_adcode
    WHERE m.admin_level <> 'province' AND c.name NOT IN ('市辖区', '县') AND c.name NOT LIKE '%直辖县级行政区划'
)
SELECT year, region_level, region_adcode, any_value(n.name) AS region_name,
       CASE WHEN grouping(admin_level) = 1 THEN 'all' ELSE admin_level END AS admin_level,
       count(DISTINCT agency_id) AS agencies,
       CAST(sum(received_new) AS BIGINT) AS received_new, CAST(sum(processed_total) AS BIGINT) AS processed_total,
       CAST(sum(granted) AS BIGINT) AS granted, CAST(sum(partially_granted) AS BIGINT) AS partially_granted, CAST(sum(denied) AS BIGINT) AS denied,
       CAST(sum(disputes) AS BIGINT) AS disputes, CAST(sum(corrected) AS BIGINT) AS corrected, CAST(sum(concluded) AS BIGINT) AS concluded,
       (sum(granted) + sum(partially_granted)) / nullif(sum(processed_total), 0) AS substantive_disclosure_rate,
       sum(denied) / nullif(sum(outcomes_total), 0) AS denial_share,
       sum(corrected) / nullif(sum(concluded), 0) AS correction_rate,
       100.0 * sum(disputes) / nullif(sum(received_new), 0) AS dispute_rate
FROM member JOIN admin_divisions n ON n.adcode = member.region_adcode
GROUP BY GROUPING SETS ((year, region_level, region_adcode), (year, region_level, region_adcode, admin_level));
COMMENT ON VIEW regional_rollup IS 'All current reports of a province or a prefecture-level city per year, pooled: counts summed over agencies and rates computed on the sums (not averaged). admin_level = ''all'' for every agency of the region, or one level (province / city / county / township) for that level''s agencies only. Agencies without an adcode are left out.';
COMMENT ON COLUMN regional_rollup.region_level IS 'province: every agency placed in the province (incl. its cities and counties); city: every agency placed in the prefecture-level city (incl. its counties).';

CREATE OR REPLACE VIEW coverage AS
WITH span AS (
    SELECT agency_id, min(year) AS first_year, max(year) AS last_year FROM report_history GROUP BY agency_id
), years AS (
    SELECT agency_id, first_year, last_year, CAST(unnest(range(first_year, last_year + 1)) AS INTEGER) AS year FROM span
), v AS (
    SELECT agency_id, year, count(*) AS versions FROM report_history GROUP BY agency_id, year
)
SELECT y.agency_id, a.agency_name, y.year, y.first_year, y.last_year,
       coalesce(v.versions, 0) AS versions,
       CASE WHEN v.versions IS NULL THEN 'missing' WHEN v.versions > 1 THEN 'revised' ELSE 'present' END AS status,
       r.report_id AS current_report_id
FROM years y
JOIN agencies a USING (agency_id)
LEFT JOIN v USING (agency_id, year)
LEFT JOIN reports r ON r.agency_id = y.agency_id AND r.year = y.year;
COMMENT ON VIEW coverage IS 'Which agency-years are loaded: one row per agency and year from its first to its last loaded year. status = present (one version), revised (more than one version in report_history; the newest is current), missing (a gap between the first and last year).';
COMMENT ON COLUMN coverage.status IS 'present / revised (> 1 version accepted) / missing (no report for a year between first_year and last_year).';
