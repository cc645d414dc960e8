"""One fetch run: every registry entry's listing followed through its pages, its annual reports kept.

For each entry: the entry page is a listing (follow its pagination, same host, up to max_pages) or itself
a report page. A report link leads to a page that carries the report (kept as HTML), a page that points to
attachments (each downloaded), or straight to an attachment. Unchanged pages and files cost a 304 (or are
recognised by their hash) and add nothing. One entry's failure never stops the others.
"""

from __future__ import annotations

import hashlib
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pipelines.lib.fetch import content, pages, record, store
from pipelines.lib.fetch.client import FetchClient, Fetched, FetchPolicy, RequestRecord
from pipelines.lib.fetch.registry import Source
from pipelines.lib.load.connection import locked_warehouse, now, writer_lock

_KEEP_KINDS = ("pdf", "docx", "ofd", "ole")
# A report link may lead to a page that lists reports itself (a city's "2023年度各部门政府信息公开工作年度报告"
# page linking forty departments' reports); those are followed, one level deeper and no further.
MAX_REPORT_DEPTH = 2


@dataclass
class FetchSummary:
    sources: int = 0
    requests: int = 0  # HTTP requests made (retries and redirect hops included)
    new_files: int = 0  # files written into the inbox
    unchanged: int = 0  # reports already fetched (304, or the same bytes again)
    failures: int = 0  # URLs that could not be fetched (after retries); each is in fetch_log
    disallowed: int = 0  # URLs robots.txt disallows (never requested)
    new_paths: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"sources: {self.sources}  requests: {self.requests}  new files: {self.new_files}  "
                f"unchanged: {self.unchanged}  failures: {self.failures}  disallowed by robots.txt: {self.disallowed}")


def fetch_sources(sources: list[Source], inbox: Path, warehouse: Path, policy: FetchPolicy, *,
                  progress: Callable[[str], None] = lambda s: None, lock_wait: float = 0) -> FetchSummary:
    """Fetch every entry into the inbox and record provenance in the warehouse (the single writer: the
    writer lock is held only while reading the state and writing each entry's rows, not during downloads)."""
    summary = FetchSummary(sources=len(sources))
    if not sources:
        return summary
    with writer_lock(warehouse, timeout=lock_wait), locked_warehouse(warehouse) as con:
        state = record.load_state(con)
    pending = record.PendingRows()
    context = {"referrer": None, "source": ""}

    def on_request(r: RequestRecord) -> None:
        if r.sent:
            summary.requests += 1
        pending.request(r, context["referrer"], context["source"])

    allowed = {s.netloc for s in sources}
    with FetchClient(policy, allowed, on_request=on_request) as client:
        for source in sources:
            context["source"] = source.name
            crawl = _SourceCrawl(source, client, state, pending, summary, inbox, policy, context)
            try:
                crawl.run()
            except Exception as e:  # a bug or an unforeseen page must not stop the other entries
                summary.failures += 1
                context["referrer"] = None
                pending.request(RequestRecord(source.url, "error", None, None, now(),
                                              f"{type(e).__name__}: {e} | {traceback.format_exc(limit=3)}",
                                              sent=False), None, source.name)
            with locked_warehouse(warehouse) as con:
                pending.flush(con)
            progress(f"{source.name}: {summary.line()}")
    return summary


@dataclass
class _SourceCrawl:
    source: Source
    client: FetchClient
    state: record.FetchState
    pending: record.PendingRows
    summary: FetchSummary
    inbox: Path
    policy: FetchPolicy
    context: dict
    visited: set[str] = field(default_factory=set)

    def run(self) -> None:
        listings: deque[tuple[str, str]] = deque()  # (further listing page, the page that linked it)
        self._visit_page(self.source.url, None, "entry", listings)
        pages_read = 1
        while listings and pages_read < self.source.max_pages:
            url, referrer = listings.popleft()
            if url in self.visited:
                continue
            pages_read += 1
            self._visit_page(url, referrer, "listing", listings)

    # -- pages --------------------------------------------------------------------------------------------

    def _visit_page(self, url: str, referrer: str | None, mode: str, listings: deque[tuple[str, str]], depth: int = 0) -> None:
        """mode: entry (a listing or a report page), listing (a further page of a listing), report (a page
        a report link led to, ``depth`` report links away from a listing)."""
        if url in self.visited:
            return
        self.visited.add(url)
        known = self.state.urls.get(url)
        # A listing page must be HTML. A report link may be a download script (downfile.jsp?id=7) that serves
        # the PDF itself: there the bytes decide, under the attachment size cap.
        listing = mode == "listing"
        got = self._get(url, referrer, known.validators if known else None, "html" if listing else None,
                        self.policy.max_page_bytes if listing else self.policy.max_bytes)
        if got.not_modified and known is not None:
            self._touch(url, known.role, got)
            if known.role in ("report_html", "attachment"):
                self.summary.unchanged += 1
            self._follow(url, known.role, self.state.links.get(url, []), mode, listings, depth)
            return
        if not got.ok or got.body is None:
            return
        if got.kind in _KEEP_KINDS:
            self._keep(got, referrer, content.file_extension(got.kind, content.url_kind(url)))
            self._remember(url, "attachment", got, [])
            return
        if got.kind != "html" and content.declared_kind(got.content_type) != "html":
            self._fail(got.url, referrer, "content_mismatch",
                       f"neither an HTML page nor a PDF/DOCX/DOC/WPS/OFD file (the bytes are {got.kind}); not kept")
            return
        page = pages.analyze(got.body, got.url, got.content_type)
        if mode != "listing" and page.carries_report:
            self._keep(got, referrer, "html")
            self._remember(url, "report_html", got, [])
            return
        if mode != "listing" and page.attachments and (mode == "report" or page.names_a_report):
            links = [("attachment", a.url, a.label) for a in page.attachments]
            self._remember(url, "report_page", got, links)
            self._follow(url, "report_page", links, mode, listings, depth)
            return
        links = [("report", r.url, r.label) for r in page.report_links if r.url != url]
        if mode != "report":  # a report link that led to a sub-listing: its reports, not its pagination
            links += [("listing", u, None) for u in page.listing_pages]
        self._remember(url, "listing", got, links)
        self._follow(url, "listing", links, mode, listings, depth)

    def _follow(self, page_url: str, role: str, links: list[tuple], mode: str, listings: deque[tuple[str, str]],
                depth: int) -> None:
        for kind, url, label in links:
            if urlsplit(url).netloc.lower() not in self.client.allowed_hosts:
                if kind != "listing":  # not followed, but visible: the host may belong in the registry
                    self.pending.request(RequestRecord(url, "offsite_link", None, None, now(),
                                                       "a report link to a host outside the sources registry; "
                                                       "not requested", sent=False), page_url, self.source.name)
                continue
            if kind == "attachment" or (kind == "report" and content.url_kind(url) in content.ATTACHMENT_KINDS):
                self._visit_attachment(url, page_url, label)
            elif kind == "report" and depth < MAX_REPORT_DEPTH:
                self._visit_page(url, page_url, "report", listings, depth + 1)
            elif kind == "listing" and mode != "report" and urlsplit(url).netloc == urlsplit(page_url).netloc:
                listings.append((url, page_url))

    # -- attachments --------------------------------------------------------------------------------------

    def _visit_attachment(self, url: str, referrer: str, label: str | None) -> None:
        if url in self.visited:
            return
        self.visited.add(url)
        known = self.state.urls.get(url)
        expect = content.url_kind(url)
        if expect not in content.ATTACHMENT_KINDS:  # download.jsp?id=1 named "2023年报.pdf" in the link text
            expect = content.url_kind("/x." + (label or "").rsplit(".", 1)[-1].strip()) if label else None
        got = self._get(url, referrer, known.validators if known else None, expect, self.policy.max_bytes)
        if got.not_modified and known is not None:
            self._touch(url, known.role, got)
            self.summary.unchanged += 1
            return
        if not got.ok or got.body is None:
            return
        if got.kind not in _KEEP_KINDS:
            self._fail(got.url, referrer, "content_mismatch",
                       f"linked as an attachment but the bytes are {got.kind}, not a PDF/DOCX/DOC/WPS/OFD file")
            return
        self._keep(got, referrer, content.file_extension(got.kind, expect))
        self._remember(url, "attachment", got, [])

    # -- helpers ------------------------------------------------------------------------------------------

    def _get(self, url: str, referrer: str | None, validators, expect: str | None, cap: int) -> Fetched:
        self.context["referrer"] = referrer
        got = self.client.get(url, validators=validators, expect=expect, max_bytes=cap)
        if got.disallowed:
            self.summary.disallowed += 1
        elif not got.ok and not got.not_modified:
            self.summary.failures += 1
        return got

    def _fail(self, url: str, referrer: str | None, code: str, message: str) -> None:
        self.summary.failures += 1
        self.pending.request(RequestRecord(url, code, None, None, now(), message, sent=False), referrer,
                             self.source.name)

    def _keep(self, got: Fetched, referrer: str | None, extension: str) -> None:
        """Into the inbox unless these bytes were fetched before; provenance either way for new bytes."""
        body = got.body or b""
        sha = hashlib.sha256(body).hexdigest()
        if sha in self.state.fetched_sha:
            self.summary.unchanged += 1
            return
        relpath = None
        if sha in self.state.inbox_sha:  # the same file was put in the inbox by hand: no second copy
            self.summary.unchanged += 1
        else:
            relpath = store.inbox_relpath(got.url, sha, extension)
            store.write_atomically(self.inbox, relpath, body)
            self.summary.new_files += 1
            self.summary.new_paths.append(relpath)
        self.state.fetched_sha.add(sha)
        self.pending.files.append((sha, got.url, referrer, self.source.name, self.source.region, relpath,
                                   got.content_type, now()))

    def _remember(self, url: str, role: str, got: Fetched, links: list[tuple]) -> None:
        sha = hashlib.sha256(got.body).hexdigest() if got.body is not None else None
        self.pending.urls[url] = (url, role, got.etag, got.last_modified, sha, now())
        self.pending.links[url] = links
        self.state.urls[url] = record.KnownUrl(role, got.etag, got.last_modified, sha)
        self.state.links[url] = links

    def _touch(self, url: str, role: str, got: Fetched) -> None:
        known = self.state.urls[url]
        self.pending.urls[url] = (url, role, got.etag or known.etag, got.last_modified or known.last_modified,
                                  known.sha256, now())
