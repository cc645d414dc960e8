-- OCR (issue 14): a number read from a scanned page carries the recogniser's confidence in what it
-- read; NULL for every number read from text. Added after facts was first created, so existing
-- warehouses gain the column too.
ALTER TABLE facts ADD COLUMN IF NOT EXISTS confidence DOUBLE;
COMMENT ON COLUMN facts.confidence IS 'OCR only: the recogniser''s confidence (0–1) in the printed text of this cell, the lowest of its text lines; NULL when the number was read from a text layer, HTML, DOCX or text.';
