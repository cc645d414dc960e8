-- gongkai fetch: what was requested from the agencies' websites and where every fetched file came from.

-- One row per HTTP request (each retry and each redirect hop is a request), and per request refused before it
-- was made (robots.txt, a redirect off the registry's hosts).
CREATE TABLE IF NOT EXISTS fetch_log (
    url          VARCHAR NOT NULL,   -- the address requested (a redirect hop's target is a row of its own)
    status       VARCHAR NOT NULL,   -- HTTP status ('200', '304', '404') or an error code
    bytes        BIGINT,             -- size of the body received (0 for a 304; NULL when none came)
    sha256       VARCHAR,            -- SHA-256 of the body received
    fetched_at   TIMESTAMP NOT NULL, -- when the answer came (UTC)
    error        VARCHAR,            -- NULL when the request succeeded (2xx, 3xx)
    referrer     VARCHAR,            -- the page that linked to url
    source_name  VARCHAR             -- the registry entry (its name) being fetched
);
COMMENT ON TABLE fetch_log IS 'One row per request made by `gongkai fetch` (each retry and redirect hop counts), and per request refused before it was made. status is the HTTP status, or an error code: timeout, connect_error, too_large, content_mismatch, offsite_redirect, offsite_link (a report linked on a host outside the registry; not requested), too_many_redirects, robots_disallowed (not requested), robots_unreachable (robots.txt could not be read, so the host was not visited), error (an unexpected failure; see error).';
COMMENT ON COLUMN fetch_log.status IS 'HTTP status (200, 304 not modified, 404...) or an error code: timeout, connect_error, too_large, content_mismatch, offsite_redirect, offsite_link, too_many_redirects, robots_disallowed, robots_unreachable, error.';
COMMENT ON COLUMN fetch_log.error IS 'What went wrong, in a sentence; NULL for a successful request.';
COMMENT ON COLUMN fetch_log.referrer IS 'The page that linked to url (NULL for a registry entry''s own url and robots.txt).';

-- Every distinct file (by content) that fetch brought into the inbox, with where it was published.
CREATE TABLE IF NOT EXISTS fetched_files (
    sha256        VARCHAR PRIMARY KEY,
    url           VARCHAR NOT NULL,   -- where the file was downloaded from (after redirects)
    referrer      VARCHAR,            -- the page that linked to it
    source_name   VARCHAR NOT NULL,   -- the registry entry (its name) it was fetched for
    region        VARCHAR,            -- the registry entry's region, as written there
    inbox_path    VARCHAR,            -- relative to the inbox; NULL when the same bytes were already there
    content_type  VARCHAR,            -- the Content-Type the server sent
    fetched_at    TIMESTAMP NOT NULL  -- when it was first fetched (UTC)
);
COMMENT ON TABLE fetched_files IS 'Every distinct file (by content hash) that `gongkai fetch` found on a website: the URL it came from, the page that linked it and when. reports.source_url joins on sha256.';

-- The last answer for each URL fetched: validators for the next conditional request, and what the page was.
CREATE TABLE IF NOT EXISTS fetched_urls (
    url            VARCHAR PRIMARY KEY,  -- the address requested
    role           VARCHAR NOT NULL CHECK (role IN ('listing', 'report_page', 'report_html', 'attachment')),  -- what the page was: a listing, a page linking attachments, the report as HTML, an attachment
    etag           VARCHAR,              -- the server's ETag, sent back as If-None-Match
    last_modified  VARCHAR,              -- the server's Last-Modified, sent back as If-Modified-Since
    sha256         VARCHAR,              -- SHA-256 of the body last received
    checked_at     TIMESTAMP NOT NULL    -- when it was last asked for (UTC)
);
COMMENT ON TABLE fetched_urls IS 'The last successful answer for each URL `gongkai fetch` requested: ETag and Last-Modified for the next conditional request (an unchanged page costs a 304), and its role (listing, report_page = links to attachments, report_html = the report itself, attachment).';

-- The links a listing or report page led to when it was last read, so a 304 still leads on to them.
CREATE TABLE IF NOT EXISTS fetched_links (
    page_url  VARCHAR NOT NULL,  -- the page the link is on
    kind      VARCHAR NOT NULL CHECK (kind IN ('listing', 'report', 'attachment')),  -- what the link leads to
    url       VARCHAR NOT NULL,  -- where it leads
    label     VARCHAR,           -- the link's title or text
    PRIMARY KEY (page_url, kind, url)
);
COMMENT ON TABLE fetched_links IS 'The links a fetched page led to when last read (further listing pages, reports, attachments): an unchanged page (304) is followed from here.';
