"""What a fetched HTML page is and where it leads: links, report links, attachments, pagination.

Pure functions over bytes (no I/O). Government sites are built on a handful of CMSs, so the structure is
read, not the layout: a link is a report when its text or title names an annual report on government
information disclosure; a listing paginates through 下一页 / 尾页 / numbered ``index_N.html`` links or a
TRS ``createPageHTML(count, current, "index", "html")`` call; a report page either carries the report
(its section headings are on the page) or points to attachments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html

from pipelines.lib.fetch.content import ATTACHMENT_KINDS, url_kind
from pipelines.lib.model import DocumentRejected
from pipelines.lib.read.decode import decode_bytes

_DISCLOSURE = re.compile(r"政府信息公开|政务公开|信息公开")
_ANNUAL_REPORT = re.compile(r"年度报告|年报")
_YEAR = re.compile(r"(?:19|20)\d{2}|二[〇○零Ｏ0]|[〇○零][一二三四五六七八九]")
# Pages about reports that are not reports: notices to compile or submit them, explanations, trainings,
# assessments of other agencies' reports.
_NOT_A_REPORT = re.compile(r"通知|通报|报送|编制|做好|解读|图解|培训|会议|评估|考核|检查|工作要点|征求意见|政策问答")
# Section headings every report carries (2019 and 2021 templates): a page showing most of them is the report.
_REPORT_SECTIONS = ("主动公开", "收到和处理", "行政复议", "行政诉讼", "存在的主要问题")
_PAGER_TEXT = re.compile(r"^(下一页|下页|尾页|末页|最后一页|上一页|上页|首页|第一页|>|>>|»|\d{1,4}|\[\d{1,4}\])$")
_PAGED_NAME = re.compile(r"^(?P<stem>[A-Za-z]+)(?:_(?P<n>\d+))?\.(?P<ext>s?html?)$")
# TRS WCM (most provincial and municipal portals): createPageHTML(pages, current, "index", "html").
_TRS_PAGER = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?\d+['\"]?\s*,\s*['\"]([\w-]+)['\"]\s*,"
                        r"\s*['\"](s?html?)['\"]")
_ATTACHMENT_TEXT = re.compile(r"\.(" + "|".join(ATTACHMENT_KINDS) + r")\s*$", re.I)


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    title: str = ""

    @property
    def label(self) -> str:
        return self.title or self.text


@dataclass
class Page:
    url: str
    title: str
    carries_report: bool  # the report itself is on the page (as HTML)
    report_links: list[Link] = field(default_factory=list)  # links to reports (pages or attachments)
    attachments: list[Link] = field(default_factory=list)  # links to PDF/DOCX/DOC/WPS/OFD files
    listing_pages: list[str] = field(default_factory=list)  # further pages of the same listing

    @property
    def names_a_report(self) -> bool:
        return is_report_label(self.title)


def is_report_label(text: str) -> bool:
    """Whether a link text, link title or page title names an annual report on information disclosure."""
    text = re.sub(r"\s+", "", text or "")
    return bool(_DISCLOSURE.search(text) and _ANNUAL_REPORT.search(text) and _YEAR.search(text)
                and not _NOT_A_REPORT.search(text))


def is_attachment(link: Link) -> bool:
    kind = url_kind(link.url)
    return kind in ATTACHMENT_KINDS or bool(_ATTACHMENT_TEXT.search(link.text))


def page_text(data: bytes, content_type: str | None = None) -> str:
    """The page as text: the charset the server declared, else the page's <meta>, else detection."""
    declared = re.search(r"charset=([\w-]+)", content_type or "", re.I)
    if declared:
        enc = declared.group(1).lower()
        enc = "gb18030" if enc in ("gb2312", "gbk") else enc
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return decode_bytes(data, html=True)
    except DocumentRejected:
        return ""


def analyze(data: bytes, url: str, content_type: str | None = None) -> Page:
    text = page_text(data, content_type)
    if not text.strip():
        return Page(url=url, title="", carries_report=False)
    try:
        doc = lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError):
        return Page(url=url, title="", carries_report=False)
    base = doc.find(".//base[@href]")
    base_url = urljoin(url, base.get("href")) if base is not None else url
    links = _links(doc, base_url)
    title = _title(doc)
    page = Page(url=url, title=title, carries_report=_carries_report(doc))
    page.report_links = [ln for ln in links if is_report_label(ln.text) or is_report_label(ln.title)]
    page.attachments = [ln for ln in links if is_attachment(ln) and not _NOT_A_REPORT.search(ln.label)]
    page.listing_pages = _listing_pages(links, url, text)
    return page


def _links(doc, base_url: str) -> list[Link]:
    out: dict[str, Link] = {}
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.lower().startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        url = urldefrag(urljoin(base_url, href)).url
        if urlsplit(url).scheme not in ("http", "https"):
            continue
        link = Link(url=url, text=re.sub(r"\s+", " ", a.text_content()).strip(), title=(a.get("title") or "").strip())
        prev = out.get(url)
        if prev is None or (not prev.title and link.title) or len(link.text) > len(prev.text):
            out[url] = link  # the same target linked twice (icon + title): keep the wordier link
    return list(out.values())


def _title(doc) -> str:
    for xpath in ("//meta[@name='ArticleTitle']/@content", "//h1", "//title"):
        found = doc.xpath(xpath)
        for f in found:
            t = (f if isinstance(f, str) else f.text_content()).strip()
            if t:
                return re.sub(r"\s+", " ", t)
    return ""


def _carries_report(doc) -> bool:
    """Most of the report's section headings appear in the page's own text (not in its links: a listing's
    navigation may name 行政复议 or 主动公开 columns)."""
    text = re.sub(r"\s+", "", "".join(doc.xpath("//text()[not(ancestor::a)]")))
    return sum(s in text for s in _REPORT_SECTIONS) >= 4


def _listing_pages(links: list[Link], url: str, text: str) -> list[str]:
    """The other pages of a listing on the same host: pager links, and the pages a 尾页 / TRS pager implies."""
    here = urlsplit(url)
    folder = here.path.rsplit("/", 1)[0] + "/"
    out: list[str] = []

    def add(u: str) -> None:
        u = urldefrag(u).url
        if u != url and u not in out and urlsplit(u).netloc == here.netloc:
            out.append(u)

    for ln in links:
        target = urlsplit(ln.url)
        if target.netloc != here.netloc:
            continue
        name = target.path.rsplit("/", 1)[-1]
        m = _PAGED_NAME.match(name)
        same_folder = target.path.startswith(folder) and "/" not in target.path[len(folder):]
        if _PAGER_TEXT.match(ln.text) and (m or target.query):
            add(ln.url)
            if m and m.group("n") and same_folder:  # 尾页 -> index_9.html: the pages between exist too
                for k in range(1, int(m.group("n"))):
                    add(urljoin(ln.url, f"{m.group('stem')}_{k}.{m.group('ext')}"))
        elif m and m.group("n") and same_folder and _PAGED_NAME.match(here.path.rsplit("/", 1)[-1] or "index.html"):
            add(ln.url)
    for m in _TRS_PAGER.finditer(text):
        count, stem, ext = int(m.group(1)), m.group(2), m.group(3)
        add(urljoin(url, f"{stem}.{ext}"))
        for k in range(1, count):
            add(urljoin(url, f"{stem}_{k}.{ext}"))
    return out
