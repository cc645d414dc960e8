"""Fetch provenance in the warehouse: what is known from earlier runs (validators, links, hashes) and the
rows a run adds (fetch_log, fetched_files, fetched_urls, fetched_links), written in one transaction per source."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import polars as pl

from pipelines.lib.fetch.client import RequestRecord, Validators


@dataclass(frozen=True)
class KnownUrl:
    role: str
    etag: str | None
    last_modified: str | None
    sha256: str | None

    @property
    def validators(self) -> Validators:
        return Validators(self.etag, self.last_modified)


@dataclass
class FetchState:
    urls: dict[str, KnownUrl]
    links: dict[str, list[tuple[str, str, str | None]]]  # page_url -> [(kind, url, label)]
    fetched_sha: set[str]  # contents fetch already brought in (fetched_files)
    inbox_sha: set[str]  # contents already in the warehouse's documents (put in the inbox by hand, say)


def load_state(con: duckdb.DuckDBPyConnection) -> FetchState:
    urls = {u: KnownUrl(*rest) for u, *rest in
            con.execute("SELECT url, role, etag, last_modified, sha256 FROM fetched_urls").fetchall()}
    links: dict[str, list] = {}
    for page, kind, url, label in con.execute(
            "SELECT page_url, kind, url, label FROM fetched_links ORDER BY page_url, kind, url").fetchall():
        links.setdefault(page, []).append((kind, url, label))
    fetched = {r[0] for r in con.execute("SELECT sha256 FROM fetched_files").fetchall()}
    inbox = {r[0] for r in con.execute("SELECT sha256 FROM documents").fetchall()}
    return FetchState(urls, links, fetched, inbox)


LOG_SCHEMA = {"url": pl.String, "status": pl.String, "bytes": pl.Int64, "sha256": pl.String,
              "fetched_at": pl.Datetime("us"), "error": pl.String, "referrer": pl.String, "source_name": pl.String}
FILE_SCHEMA = {"sha256": pl.String, "url": pl.String, "referrer": pl.String, "source_name": pl.String,
               "region": pl.String, "inbox_path": pl.String, "content_type": pl.String,
               "fetched_at": pl.Datetime("us")}
URL_SCHEMA = {"url": pl.String, "role": pl.String, "etag": pl.String, "last_modified": pl.String,
              "sha256": pl.String, "checked_at": pl.Datetime("us")}
LINK_SCHEMA = {"page_url": pl.String, "kind": pl.String, "url": pl.String, "label": pl.String}


@dataclass
class PendingRows:
    """What one source's crawl adds; flushed into the warehouse when the source is done."""
    log: list[tuple] = field(default_factory=list)
    files: list[tuple] = field(default_factory=list)
    urls: dict[str, tuple] = field(default_factory=dict)
    links: dict[str, list[tuple]] = field(default_factory=dict)  # page_url -> its links (replaces the old ones)

    def request(self, r: RequestRecord, referrer: str | None, source_name: str) -> None:
        self.log.append((r.url, r.status, r.bytes, r.sha256, r.fetched_at, r.error, referrer, source_name))

    def flush(self, con: duckdb.DuckDBPyConnection) -> None:
        con.execute("BEGIN")
        try:
            _insert(con, "fetch_log", self.log, LOG_SCHEMA, "INSERT INTO fetch_log SELECT * FROM _rows")
            _insert(con, "fetched_files", self.files, FILE_SCHEMA,
                    "INSERT INTO fetched_files SELECT * FROM _rows ON CONFLICT DO NOTHING")
            _insert(con, "fetched_urls", list(self.urls.values()), URL_SCHEMA,
                    "INSERT OR REPLACE INTO fetched_urls SELECT * FROM _rows")
            if self.links:
                pages = pl.DataFrame({"page_url": list(self.links)}, schema={"page_url": pl.String})
                con.register("_pages", pages)
                con.execute("DELETE FROM fetched_links WHERE page_url IN (SELECT page_url FROM _pages)")
                con.unregister("_pages")
                rows = [(page, *ln) for page, lns in self.links.items() for ln in lns]
                _insert(con, "fetched_links", rows, LINK_SCHEMA,
                        "INSERT INTO fetched_links SELECT DISTINCT * FROM _rows ON CONFLICT DO NOTHING")
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        self.log.clear()
        self.files.clear()
        self.urls.clear()
        self.links.clear()


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple], schema: dict, sql: str) -> None:
    if not rows:
        return
    con.register("_rows", pl.DataFrame(rows, schema=schema, orient="row"))
    try:
        con.execute(sql)
    finally:
        con.unregister("_rows")
