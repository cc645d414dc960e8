"""What a document is: an annual report or not, which agency and year, which template era."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.lib.harmonize.normalize import nfkc
from pipelines.lib.model import DocumentRejected

_TITLE_RE = re.compile(r"政府信息公开(?:工作)?年度报告|信息公开(?:工作)?年度报告|政务公开工作年度报告")
_YEAR_RE = re.compile(r"(20\d{2}|19\d{2})\s*年\s*度?")
_CRAWLER_KEYS = ("标题", "发布时间", "原文链接", "来源", "索引号", "发布机构")


# A body sentence that names the report and its agency: '本年报由宁波市公安局编制', '本报告…'.
_BODY_PHRASE_RE = re.compile(r"本(?:年度?)?报告?[^。]{0,80}?由\s*([^，。、；\s]{2,40}?)\s*(?:负责)?编制")
# '结合2019年度宁波市公安局政府信息公开工作实际编制': the year and the agency in the report's own words.
_BODY_NAMES_RE = re.compile(r"结合\s*(20\d{2})\s*年度?\s*([^，。、；\s]{2,40}?)\s*(?:的)?政府信息公开(?:工作)?实际")
_BODY_YEAR_RE = re.compile(r"本报告[^。]{0,40}?(20\d{2})\s*年\s*1\s*月\s*1\s*日")
_FILE_TITLE_RE = re.compile(r"(?P<head>[\u4e00-\u9fff（）()]{2,40}?)\s*(?P<year>20\d{2})\s*年?度?")
_PAGE_FOOTER_RE = re.compile(r"^[-—–]+\s*\d{1,3}\s*[-—–]+$|^第\s*\d+\s*页(?:\s*[/／共]\s*\d+\s*页?)?$")
_HEAD_LINES = 80
_BODY_CHARS = 8000


@dataclass
class Identity:
    """Which agency and year a document reports on, and the signals that said so (recorded on the report)."""

    title: str
    agency: str
    year: int
    # 'title_lines: …', 'html_title: …', 'body_phrase: …', 'file_name: …'; the one used first.
    signals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _head_lines(text: str) -> list[str]:
    """The first non-empty lines, page footers left out, so a title wrapped over lines or pages joins up."""
    out = []
    for ln in text[:20000].split("\n"):
        ln = ln.strip()
        if ln and not _PAGE_FOOTER_RE.match(ln):
            out.append(ln)
        if len(out) >= _HEAD_LINES:
            break
    return out


def _title_candidates(text: str) -> list[tuple[str, str]]:
    """Title strings found in the head of the text, with wrapped title lines joined.

    A title may wrap anywhere ('…政府信息公开工作年' / '度报告'), so the lines are searched joined: each
    match is taken from the start of the line it starts on to the end of the title words, across line ends.
    Each candidate comes with the line above it (a title wrapped inside the agency name starts there).
    """
    lines = _head_lines(text)
    joined = "".join(lines)
    if not _TITLE_RE.search(joined):
        # Title words never need NFKC themselves; the rare head that does is normalised whole.
        lines = [nfkc(ln) for ln in lines]
        joined = "".join(lines)
    starts, pos = [], 0
    for ln in lines:
        starts.append(pos)
        pos += len(ln)
    out = []
    for m in _TITLE_RE.finditer(joined):
        i = max(k for k, s0 in enumerate(starts) if s0 <= m.start())
        ln_start = starts[i]
        line = joined[ln_start: m.end()]
        # A crawler header line such as '标题：…' keeps its value.
        line = re.sub(r"^(?:{})\s*[:：]\s*".format("|".join(_CRAWLER_KEYS)), "", line)
        tm = _TITLE_RE.search(line)
        head = line[: tm.start()].strip()
        above = lines[i - 1] if i > 0 else ""
        if len(_YEAR_RE.sub("", head)) < 2 and i > 0:
            # Agency and year printed on the line(s) above the title word ('宁波市公安局' / '2019年度…').
            head = lines[i - 1] + head
            above = lines[i - 2] if i > 1 else ""
        out.append((nfkc(head + line[tm.start(): tm.end()]), nfkc(above)))
    return out


def _split_title(title: str) -> tuple[str, str, int] | None:
    title = re.sub(r"\s+", "", title)
    m = _TITLE_RE.search(title)
    if m is None:
        return None
    head = title[: m.start()]
    ym = _YEAR_RE.search(head)
    if not ym:
        return None
    year = int(ym.group(1))
    agency = (head[: ym.start()] + head[ym.end():]).strip(" :：-—_|")
    agency = re.sub(r"^(关于)?", "", agency)
    agency = re.sub(r"(的)?$", "", agency)
    if len(agency) < 2:
        return None
    return title[: m.end()], agency, year


def find_title(text: str, html_title: str | None = None) -> tuple[str, str, int]:
    """(title, agency_name, year) from the document's own title lines."""
    ident = identify(text, html_title)
    return ident.title, ident.agency, ident.year


def identify(text: str, html_title: str | None = None, file_name: str | None = None) -> Identity:
    """Agency and year from several signals, strongest first: the title lines (joined across wraps), the
    HTML <title>, the body's own phrases, and only last the file name (flagged in a warning)."""
    signals: list[str] = []
    found: list[tuple[str, tuple[str, str, int]]] = []
    if html_title and _TITLE_RE.search(nfkc(html_title)):
        split = _split_title(nfkc(html_title).strip())
        if split:
            found.append(("html_title", split))
    body = text[:_BODY_CHARS]  # the intro that names the report sits near the top
    nm = _BODY_NAMES_RE.search(re.sub(r"\s+", "", body))  # prose wraps anywhere in PDFs
    if nm is None and not body.isascii():
        body = nfkc(body)  # full-width digits in the year
        nm = _BODY_NAMES_RE.search(re.sub(r"\s+", "", body))
    for cand, above in _title_candidates(text):
        split = _split_title(cand)
        if split:
            title, agency, year = split
            if nm and int(nm.group(1)) == year and nm.group(2) == re.sub(r"\s+", "", above) + agency:
                # The title wrapped inside the agency name ('成都市武侯区' / '市场监督管理局2019年度…'): the body,
                # naming the whole agency, says where it starts.
                split = (re.sub(r"\s+", "", above) + title, nm.group(2), year)
            found.append(("title_lines", split))
            break
    signals += [f"{kind}: {split[0]}" for kind, split in found]
    bm = _BODY_PHRASE_RE.search(body)
    for m in (nm, bm):
        if m:
            signals.append(f"body_phrase: {m.group(0)[:80]}")
    if found:
        # The HTML <title> first (as before: a page's printed title may sit in chrome), then the title lines.
        kind, (title, agency, year) = found[0]
        warnings = []
        others = {(a, y) for k, (_t, a, y) in found if k != kind}
        if any(y != year for _a, y in others):
            warnings.append(f"identity: the {kind.replace('_', ' ')} says {year}, another title signal says "
                            f"{sorted({y for _a, y in others})}; the {kind.replace('_', ' ')} was taken")
        return Identity(title, agency, year, signals, warnings)
    titled = looks_like_report(text) or bool(html_title and looks_like_report(html_title))
    # No readable title: the body's own phrase and the file name, each flagged.
    if nm:
        agency, year = nm.group(2), int(nm.group(1))
        return Identity(f"{agency}{year}年度政府信息公开工作年度报告", agency, year, signals,
                        [f"identity: no readable title; agency and year taken from the report's own text "
                         f"({nm.group(0)[:60]!r})"])
    year_m = _BODY_YEAR_RE.search(body)
    if bm and year_m:
        agency, year = bm.group(1), int(year_m.group(1))
        return Identity(f"{agency}{year}年度政府信息公开工作年度报告", agency, year, signals,
                        [f"identity: no readable title; agency and year taken from the report's own text "
                         f"({bm.group(0)[:60]!r}, {year_m.group(0)[:40]!r})"])
    if file_name:
        stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", file_name.replace("\\", "/").rsplit("/", 1)[-1])
        split = _split_title(nfkc(stem)) if _TITLE_RE.search(nfkc(stem)) else None
        if split is None:
            fm = _FILE_TITLE_RE.search(nfkc(stem))
            if fm and len(fm.group("head")) >= 2 and not _TITLE_RE.fullmatch(fm.group("head")):
                split = (stem, fm.group("head"), int(fm.group("year")))
        if split:
            signals.insert(0, f"file_name: {stem}")  # the signal the identity was taken from comes first
            return Identity(split[0], split[1], split[2], signals,
                            [f"identity: no readable title in the document; agency {split[1]!r} and year {split[2]} "
                             f"taken from the file name {stem!r} (check them)"])
    if titled:
        raise DocumentRejected(
            "detect", "title_unreadable",
            "The document carries the report's title words (…政府信息公开工作年度报告), but no agency and year "
            "could be read from its title lines, its HTML title, its own text or its file name.")
    raise DocumentRejected(
        "detect", "no_title",
        "No title naming an agency and a year (…20XX年度政府信息公开工作年度报告) was found at the top of "
        "the document, so it cannot be filed under an agency-year.")


def looks_like_report(text: str) -> bool:
    head = text[:5000]
    if _TITLE_RE.search(head) or _TITLE_RE.search(nfkc(head)):
        return True
    # A title wrapped over lines: the title words appear once the head's lines are joined.
    return bool(_TITLE_RE.search("".join(nfkc(ln) for ln in _head_lines(head))))


_T3_ANCHOR_RE = re.compile(r"\s*".join("本年新收政府信息公开申请数量"))


def has_table3_text(text: str) -> bool:
    """The text carries table 三's first row label (whatever spacing), i.e. it holds the report's table 三."""
    return _T3_ANCHOR_RE.search(text) is not None  # the label has no compatibility forms; \s covers U+3000


def check_era(text: str, year: int, has_new_tables: bool) -> None:
    """Reject pre-2019 reports (old 统计表 or prose only) with a clear reason."""
    if has_new_tables:
        return
    if year < 2019:
        raise DocumentRejected(
            "detect", "template_pre2019",
            f"This is a {year} report, written before the 2019 template: it has no 表三/表四 of the "
            "2019/2021 formats to harmonize, so it is kept out of the warehouse.")
    raise DocumentRejected(
        "detect", "tables_not_found",
        "The document reads as an annual report, but none of its tables is the 2019/2021 table 三 "
        "(收到和处理政府信息公开申请情况).")
