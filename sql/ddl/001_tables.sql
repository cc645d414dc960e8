-- Gongkai warehouse: base tables. Applied in order on every run; every statement is idempotent.

-- Every distinct document (by content) ever seen in an inbox.
CREATE TABLE IF NOT EXISTS documents (
    sha256          VARCHAR PRIMARY KEY,
    source_file     VARCHAR NOT NULL,      -- path (relative to the inbox) where it was first seen
    format          VARCHAR,
    size_bytes      BIGINT,
    first_seen      TIMESTAMP NOT NULL,
    last_seen       TIMESTAMP NOT NULL,
    present         BOOLEAN NOT NULL,      -- still in the inbox at the last scan
    status          VARCHAR NOT NULL,      -- new / loaded / quarantined
    parser_version  VARCHAR,
    report_id       VARCHAR
);

-- Hash cache: a file whose path, size and mtime are unchanged is not read again.
CREATE TABLE IF NOT EXISTS file_index (
    path        VARCHAR PRIMARY KEY,
    size_bytes  BIGINT NOT NULL,
    mtime_ns    BIGINT NOT NULL,
    sha256      VARCHAR NOT NULL,
    last_seen   TIMESTAMP NOT NULL
);

-- Every accepted report version; the contract relation `reports` shows the current one per agency-year.
CREATE TABLE IF NOT EXISTS report_history (
    report_id     VARCHAR PRIMARY KEY,
    accepted_seq  BIGINT NOT NULL,         -- load order: the newest accepted version of an agency-year wins
    agency_id     VARCHAR NOT NULL,
    agency_name   VARCHAR NOT NULL,
    region_name   VARCHAR,
    adcode        VARCHAR,
    admin_level   VARCHAR,
    sector        VARCHAR,
    year          INTEGER NOT NULL,
    template      VARCHAR NOT NULL CHECK (template IN ('2019', '2021')),
    title         VARCHAR,
    format        VARCHAR,
    source_file   VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    parse_warnings VARCHAR[],
    narrative     VARCHAR,
    loaded_at     TIMESTAMP NOT NULL
);

-- Every printed number of tables 二/三/四 under its codes, with provenance. One row per
-- (report_id, table_no, row_code, col_code): the loader checks it set-wise before every insert
-- (sql/load/duplicate_cells.sql) instead of a primary key, whose in-memory index is ten times the size of
-- the data and triples the cost of a load.
CREATE TABLE IF NOT EXISTS facts (
    report_id    VARCHAR NOT NULL,
    table_no     VARCHAR NOT NULL CHECK (table_no IN ('T2', 'T3', 'T4')),
    item         VARCHAR,
    row_code     VARCHAR NOT NULL,
    col_code     VARCHAR NOT NULL,
    value        DOUBLE NOT NULL,
    printed      VARCHAR,
    blank        BOOLEAN NOT NULL,
    row_label    VARCHAR,
    col_label    VARCHAR,
    page         INTEGER,
    inferred     BOOLEAN NOT NULL DEFAULT false,
    derived      BOOLEAN NOT NULL DEFAULT false,
    unit_factor  DOUBLE NOT NULL DEFAULT 1.0,
    source_file  VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS quality_results (
    report_id     VARCHAR,
    rule_id       VARCHAR NOT NULL,
    scope         VARCHAR NOT NULL,
    passed        BOOLEAN,
    expected      DOUBLE,
    observed      DOUBLE,
    message       VARCHAR,
    severity      VARCHAR NOT NULL DEFAULT 'warning',
    evaluated_at  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS quarantine (
    sha256       VARCHAR PRIMARY KEY,
    source_file  VARCHAR NOT NULL,
    stage        VARCHAR NOT NULL CHECK (stage IN ('read', 'detect', 'parse', 'validate', 'load')),
    reason       VARCHAR NOT NULL,
    detail       VARCHAR NOT NULL,
    first_seen   TIMESTAMP NOT NULL,
    last_seen    TIMESTAMP NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS accepted_seq START 1;
