-- Reviewed findings: a person who checked a finding against the original marks it confirmed (the report
-- itself is wrong) or dismissed (with a reason). Keyed by the document's content hash, rule and scope,
-- so a decision survives re-runs and re-parses of the same document.
CREATE TABLE IF NOT EXISTS finding_reviews (
    sha256       VARCHAR NOT NULL,
    rule_id      VARCHAR NOT NULL,
    scope        VARCHAR NOT NULL,
    decision     VARCHAR NOT NULL CHECK (decision IN ('confirmed', 'dismissed')),
    reason       VARCHAR,
    reviewer     VARCHAR,
    reviewed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (sha256, rule_id, scope),
    CHECK (decision = 'confirmed' OR coalesce(trim(reason), '') <> '')
);
COMMENT ON TABLE finding_reviews IS 'A person''s verdict on a quality finding, keyed by document hash, rule and scope (survives re-runs and re-parses): confirmed = the report itself is wrong; dismissed = not a real problem, with a reason. Written by `gongkai review`; shown in quality_findings and the asset checks.';
