-- Dimensions for analysts: agencies, report versions, code labels, the table-二 crosswalk.
-- Views only over the contract relations and base tables; the seeded tables (code_labels,
-- proactive_crosswalk, admin_divisions, outcome_groups) come from codes.yaml and cpca in Python.

COMMENT ON TABLE report_history IS 'Every accepted report version, newest and superseded. The contract view `reports` shows the highest version per agency_id + year (revision marker, signing date, content hash; not load order); `report_versions` numbers the versions.';
COMMENT ON TABLE facts IS 'Base table of every printed number of tables 二/三/四 under its codes, all versions. Query the contract views request_facts / review_litigation_facts / proactive_facts instead (current reports only).';
COMMENT ON TABLE outcome_groups IS 'Table-三 outcome rows and the outcome group each belongs to (codes.yaml outcome_groups): granted, partially_granted, denied, unavailable, not_processed, other.';
COMMENT ON TABLE code_labels IS 'Every code of every domain with its Chinese (official wording) and English label. Domains: template, requester_type, request_row, outcome_group, proceeding, result, proactive_item, proactive_row, proactive_column, sector, admin_level.';
COMMENT ON COLUMN code_labels.domain IS 'Which kind of code: request_row, requester_type, outcome_group, proceeding, result, proactive_item/row/column, sector, admin_level, template.';
COMMENT ON COLUMN code_labels.label_zh IS 'Chinese label (official template wording; table-二 codes whose wording changed show "2019 / 2021").';
COMMENT ON TABLE proactive_crosswalk IS 'Table 二 across templates (spec formats.md 1.3): one row per series, the 2019 and 2021 column codes that carry it, and whether the two measure the same thing. Only comparable = true series continue across the 2020/2021 boundary.';
COMMENT ON COLUMN proactive_crosswalk.comparable IS 'true when the 2019 and 2021 columns measure the same quantity; false when one side is missing or the meaning changed (e.g. cumulative published vs currently in force).';
COMMENT ON TABLE admin_divisions IS 'Administrative divisions (省/市/县) with 6-digit adcodes, from the cpca package data. city_adcode is NULL for provinces; 市辖区 / 县 rows of municipalities are groupings, not places.';

CREATE OR REPLACE VIEW agencies AS
SELECT h.agency_id,
       arg_max(h.agency_name, h.year || version_key(h.revision, h.published_on, h.sha256)) AS agency_name,
       list_sort(list_distinct(list(h.agency_name))) AS name_variants,
       arg_max(h.region_name, h.year || version_key(h.revision, h.published_on, h.sha256)) AS region_name,
       arg_max(h.adcode, h.year || version_key(h.revision, h.published_on, h.sha256)) AS adcode,
       arg_max(h.admin_level, h.year || version_key(h.revision, h.published_on, h.sha256)) AS admin_level,
       arg_max(h.sector, h.year || version_key(h.revision, h.published_on, h.sha256)) AS sector,
       s.label_zh AS sector_zh, s.label_en AS sector_en,
       min(h.year) AS first_year, max(h.year) AS last_year,
       count(DISTINCT h.year) AS years_present,
       count(*) AS versions
FROM report_history h
LEFT JOIN code_labels s ON s.domain = 'sector' AND s.code = h.sector
GROUP BY h.agency_id, s.label_zh, s.label_en;
COMMENT ON VIEW agencies IS 'Agency dimension: one row per agency_id (= adcode + core name, so variants such as 浙江省宁波市公安局 / 宁波市公安局 are one agency). Place from the cpca division table, sector from codes.yaml sectors. NULL place fields: the name could not be placed (see quality rule A1_agency_placed).';
COMMENT ON COLUMN agencies.agency_id IS 'Stable agency key: <adcode>:<name after the place, 分局 read as 局>, or the normalized name when the agency cannot be placed.';
COMMENT ON COLUMN agencies.name_variants IS 'Every printed name loaded under this agency_id.';
COMMENT ON COLUMN agencies.admin_level IS 'national / province / city / county / township (codes.yaml admin_levels).';
COMMENT ON COLUMN agencies.years_present IS 'Distinct report years loaded (any version).';

CREATE OR REPLACE VIEW report_versions AS
SELECT h.report_id, h.agency_id, h.agency_name, h.year, h.template, h.accepted_seq, h.revision, h.published_on,
       row_number() OVER w AS version_no,
       count(*) OVER (PARTITION BY h.agency_id, h.year) AS versions,
       h.report_id IN (SELECT report_id FROM reports) AS is_current,
       h.source_file, h.sha256, h.title, h.format, h.loaded_at
FROM report_history h
WINDOW w AS (PARTITION BY h.agency_id, h.year ORDER BY version_key(h.revision, h.published_on, h.sha256));
COMMENT ON VIEW report_versions IS 'History: every accepted version of every agency-year. version_no counts from 1 in version order (revision marker in the file name, then signing date, then content hash: not load order); is_current marks the one the contract relations show (the highest version, unless held: see held_reports). Facts of any version: join fact_provenance on report_id.';
COMMENT ON COLUMN report_versions.is_current IS 'true for the version shown in reports / request_facts / ...; false for superseded versions.';
COMMENT ON COLUMN report_versions.versions IS 'How many versions of this agency-year were accepted (> 1 = revised).';

CREATE OR REPLACE VIEW proactive_series AS
SELECT f.report_id, r.agency_id, f.agency_name, f.year, r.template, w.series, w.comparable,
       f.item, f.row_code, f.column_code, f.value, f.blank
FROM proactive_facts f
JOIN reports r USING (report_id)
JOIN proactive_crosswalk w
  ON w.item = f.item AND w.row = f.row_code
 AND f.column_code = CASE r.template WHEN '2019' THEN w.col_2019 ELSE w.col_2021 END;
COMMENT ON VIEW proactive_series IS 'Table 二 under template-independent series names (proactive_crosswalk): filter on series and comparable = true for a 2019-2025 series without caring which template a report used.';
COMMENT ON COLUMN proactive_series.series IS 'Crosswalk series, e.g. normative_documents_issued (2019 本年新制作数量 / 2021 本年制发件数) or penalty_decisions.';
COMMENT ON COLUMN proactive_series.comparable IS 'false: the series exists in one template only or changed meaning; do not chain it across 2020/2021.';

-- Comments on the contract relations' agency columns (the columns themselves are defined in 010).
COMMENT ON COLUMN reports.agency_id IS 'Stable agency key (see agencies): the same agency under a name variant or after a 局 -> 分局 reorganisation keeps one id; a revised report replaces the agency-year with the same id.';
COMMENT ON COLUMN reports.region_name IS 'Province + city + county of the agency, from the cpca division table (NULL: not placed).';
COMMENT ON COLUMN reports.adcode IS '6-digit administrative-division code (GB/T 2260) of the place the agency name states; NULL if unknown.';
COMMENT ON COLUMN reports.admin_level IS 'national / province / city / county / township; NULL if unknown.';
COMMENT ON COLUMN reports.sector IS 'Sector code from codes.yaml sectors (e.g. public_security, education, general_government); NULL if the name matches no keyword.';
COMMENT ON COLUMN reports.template IS '2019 (国办公开办函〔2019〕60号, report years 2019-2020) or 2021 (〔2021〕30号, 2021 onward).';
COMMENT ON TABLE quality_results IS 'Every rule evaluated on every scope: passed true/false, or NULL when not assessable. Rules: R1-R4 (arithmetic inside a report), R5_carry_continuity and X2_in_force_continuity (across consecutive years, attached to the later report), A1_agency_placed (agency dimension). Suites in expectations/, shaping queries in sql/checks/.';
COMMENT ON TABLE quarantine IS 'Documents that could not be read or recognised, with the stage (read / detect / parse / validate / load) and a reason code.';
COMMENT ON TABLE documents IS 'Internal: every distinct document (by content) ever seen in the inbox, with its status (new / loaded / quarantined).';
COMMENT ON TABLE file_index IS 'Internal: hash cache by path, size and mtime, so unchanged files are not read again.';
