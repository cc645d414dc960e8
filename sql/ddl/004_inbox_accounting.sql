-- Every file accounted for (issue 11): a file's exact name bytes, the files a scan did not read, and the
-- order-independent version keys of a report.

-- The exact bytes of the path (hex): file_index.path shows invalid UTF-8 bytes as \xNN escapes.
ALTER TABLE file_index ADD COLUMN IF NOT EXISTS path_hex VARCHAR;

-- What the last scan (and the parse of its run) did not read, and why: hidden by the dot rule, a symlink,
-- unreadable, still being written, replaced during the run. Replaced at every scan.
CREATE TABLE IF NOT EXISTS inbox_skips (
    path     VARCHAR NOT NULL,   -- relative to the inbox; invalid UTF-8 bytes shown as \xNN
    path_hex VARCHAR,            -- the path's exact bytes, hex
    reason   VARCHAR NOT NULL,   -- hidden / hidden_directory / symlink / not_regular_file / unreadable / still_being_written / changed_during_run
    detail   VARCHAR NOT NULL,   -- a sentence a person understands
    seen_at  TIMESTAMP NOT NULL
);

-- Which version of an agency-year is current is decided by the documents themselves, never by the order
-- files were ingested in: revision marker in the file name, then the date the report was signed, then
-- the content hash (see sql/views/010_contract.sql).
ALTER TABLE report_history ADD COLUMN IF NOT EXISTS revision INTEGER;
ALTER TABLE report_history ADD COLUMN IF NOT EXISTS published_on DATE;
