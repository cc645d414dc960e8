"""What a document is: an annual report or not, which agency and year, which template era."""

from __future__ import annotations

import re

from pipelines.lib.harmonize.normalize import nfkc
from pipelines.lib.model import DocumentRejected

_TITLE_RE = re.compile(r"政府信息公开(?:工作)?年度报告|信息公开(?:工作)?年度报告|政务公开工作年度报告")
_YEAR_RE = re.compile(r"(20\d{2}|19\d{2})\s*年\s*度?")
_CRAWLER_KEYS = ("标题", "发布时间", "原文链接", "来源", "索引号", "发布机构")


def _title_candidates(text: str) -> list[str]:
    # NFKC only the lines that matter: the title words themselves have no compatibility forms.
    raw = [ln.strip() for ln in text[:20000].split("\n")][:80]
    hits = [i for i, ln in enumerate(raw) if _TITLE_RE.search(ln)]
    lines = [nfkc(ln) if any(abs(i - h) <= 3 for h in hits) else ln for i, ln in enumerate(raw)]
    out = []
    for i in hits:
        ln = lines[i]
        m = _TITLE_RE.search(ln)
        if not m:
            continue
        # A crawler header line such as '标题：…' keeps its value.
        ln = re.sub(r"^(?:{})\s*[:：]\s*".format("|".join(_CRAWLER_KEYS)), "", ln)
        m = _TITLE_RE.search(ln)
        head = ln[: m.start()].strip()
        if len(_YEAR_RE.sub("", head)) < 2 and i > 0:
            # Agency and year printed on the line(s) above the title word ('宁波市公安局' / '2019年度…').
            prev = next((p for p in reversed(lines[:i]) if p), "")
            head = prev + head
        out.append(head + ln[m.start(): m.end()])
    return out


def find_title(text: str, html_title: str | None = None) -> tuple[str, str, int]:
    """(title, agency_name, year) from the document's own title lines."""
    candidates = ([nfkc(html_title).strip()] if html_title and _TITLE_RE.search(nfkc(html_title)) else [])
    candidates += _title_candidates(text)
    for title in candidates:
        title = re.sub(r"\s+", "", title)
        m = _TITLE_RE.search(title)
        head = title[: m.start()]
        ym = _YEAR_RE.search(head)
        if not ym:
            continue
        year = int(ym.group(1))
        agency = (head[: ym.start()] + head[ym.end():]).strip(" :：-—_|")
        agency = re.sub(r"^(关于)?", "", agency)
        agency = re.sub(r"(的)?$", "", agency)
        if len(agency) >= 2:
            return title, agency, year
    raise DocumentRejected(
        "detect", "no_title",
        "No title naming an agency and a year (…20XX年度政府信息公开工作年度报告) was found at the top of "
        "the document, so it cannot be filed under an agency-year.")


def looks_like_report(text: str) -> bool:
    head = text[:5000]
    return bool(_TITLE_RE.search(head) or _TITLE_RE.search(nfkc(head)))


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
