"""An HTML report page like the Shanghai one: <p> prose and bordered <table> grids with rowspan/colspan.

Blank cells are ``&nbsp;``. With ``js_embed`` the whole page sits escaped inside a JavaScript
string (``var content = "..."``) of an otherwise empty shell page, as some CMS front ends serve it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable

from .narrative import SECTION_HEADINGS, build_narrative
from .spans import Span, SpanTable, t2_tables, t3_table, t4_table
from .truth import ReportTruth

_TABLE_OPEN = '<table align="center" border="1" cellspacing="0" cellpadding="2" style="border-collapse:collapse">'


def _td(span: Span) -> str:
    attrs = ""
    if span.rowspan > 1:
        attrs += f' rowspan="{span.rowspan}"'
    if span.colspan > 1:
        attrs += f' colspan="{span.colspan}"'
    body = html.escape(span.text).replace("\n", "<br />") if span.text.strip() else "&nbsp;"
    return f'<td{attrs}><p align="{"left" if span.label else "center"}">{body}</p></td>'


def _table(table: SpanTable) -> str:
    rows = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in table)
    return _TABLE_OPEN + "<tbody>" + rows + "</tbody></table>"


TableHook = Callable[[str, SpanTable], SpanTable]  # (section '二'/'三'/'四', table) -> the table as printed


def render_page(truth: ReportTruth, *, split_t2: bool = False, year_first: bool = True,
                table_hook: TableHook | None = None) -> str:
    """``table_hook`` changes a table before it is drawn (e.g. a 备注 column added)."""
    nar = build_narrative(truth)
    hook = table_hook or (lambda _k, t: t)
    title = (f"{truth.year}年{truth.agency.name}政府信息公开工作年度报告" if year_first
             else f"{truth.agency.name}{truth.year}年度政府信息公开工作年度报告")

    def p(text: str, style: str = "") -> str:
        return f"<p{style}>{html.escape(text)}</p>"

    body = [p(title, " style='text-align: center;font-weight: bold;'"),
            p(f"发布日期：{truth.year + 1}-01-{(truth.year * 7) % 20 + 10:02d}", " style='text-align: center'"),
            p(nar.intro)]
    for k in ("一", "二", "三", "四", "五", "六"):
        body.append(p(SECTION_HEADINGS[k]))
        body += [p(x) for x in nar.sections[k]]
        if k == "二":
            body += [_table(hook(k, t)) for t in t2_tables(truth, split=split_t2)]
        elif k == "三":
            body.append(_table(hook(k, t3_table(truth))))
        elif k == "四":
            body.append(_table(hook(k, t4_table(truth))))
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + html.escape(title) +
            "</title></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def render_js_embedded(truth: ReportTruth, **kw) -> str:
    """The page as a JSON-escaped string in a script (``<`` as \\u003c, as JSON encoders for HTML do)."""
    inner = json.dumps(render_page(truth, **kw), ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>政府信息公开</title></head><body>\n"
            "<div id=\"app\"></div>\n<script type=\"text/javascript\">\n"
            f"var content = {inner};\n"
            "document.getElementById('app').innerHTML = content;\n</script>\n</body></html>\n")


def render(truth: ReportTruth, *, js_embed: bool = False, split_t2: bool = False, year_first: bool = True) -> bytes:
    if js_embed:
        return render_js_embedded(truth, split_t2=split_t2, year_first=year_first).encode("utf-8")
    return render_page(truth, split_t2=split_t2, year_first=year_first).encode("utf-8")
