"""The GX Data Docs, made to work offline and to stay small.

GX renders its pages with CSS and JavaScript from CDNs: offline (or behind a firewall, as many disclosure offices
are) the index is empty, because its tables are filled in by JavaScript, and every page is unstyled. So after each
build: the CDN references are removed from every page, a small local stylesheet takes their place, the index is
replaced by a plain-HTML one (suites, their latest validation and how many scopes failed), and only the newest
validation pages of each suite are kept, so nightly runs do not grow the folder without end.
"""

from __future__ import annotations

import html
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

KEEP_VALIDATIONS = 5  # per suite: the newest runs, enough to compare the last few nights

_REMOTE_TAG = re.compile(
    r"""<link\b[^>]*href=["']https?://[^"']*["'][^>]*>"""
    r"""|<script\b[^>]*src=["']https?://[^"']*["'][^>]*>\s*</script>"""
    r"""|<img\b[^>]*src=["']https?://[^"']*["'][^>]*>""",
    re.IGNORECASE)

STYLESHEET = """\
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", system-ui, sans-serif; margin: 1.5rem auto;
       max-width: 72rem; padding: 0 1rem; color: #1d2733; line-height: 1.45; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #c8d1dc; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #eef2f6; }
a { color: #1f5fa8; }
.ok { color: #1d7a3a; font-weight: 600; } .failed { color: #b3261e; font-weight: 600; }
.muted { color: #5b6775; font-size: .9rem; }
ol.breadcrumb, ul.nav { padding-left: 1.2rem; }
"""


@dataclass(frozen=True)
class SuiteSummary:
    suite: str
    rules: int
    scopes: int
    failed_scopes: int


def _strip_remote(page: str, css_href: str) -> str:
    page = _REMOTE_TAG.sub("", page)
    link = f'<link rel="stylesheet" href="{css_href}">'
    return page.replace("</head>", link + "</head>", 1) if "</head>" in page else link + page


def _prune_validations(docs_dir: Path, keep: int) -> dict[str, Path]:
    """Keep the ``keep`` newest validation runs per suite; return the newest page of each suite."""
    newest: dict[str, Path] = {}
    root = docs_dir / "validations"
    if not root.is_dir():
        return newest
    for suite_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        runs = sorted((r for r in suite_dir.glob("*/*") if r.is_dir()), key=lambda r: r.name, reverse=True)
        for old in runs[keep:]:
            shutil.rmtree(old, ignore_errors=True)
        pages = sorted(runs[0].glob("*.html")) if runs else []
        if pages:
            newest[suite_dir.name] = pages[0]
    return newest


def _index(docs_dir: Path, suites: list[SuiteSummary], newest: dict[str, Path], title: str) -> str:
    rows = []
    for s in suites:
        page = newest.get(s.suite)
        run = page.parent.parent.name if page else ""  # validations/<suite>/<run name>/<run time>/<batch>.html
        validation = (f'<a href="{html.escape(page.relative_to(docs_dir).as_posix())}">latest validation</a>'
                      + (f' <span class="muted">({html.escape(run)})</span>' if run and run != "__none__" else "")
                      if page else '<span class="muted">not validated (no rows to judge)</span>')
        suite_page = docs_dir / "expectations" / f"{s.suite}.html"
        suite_link = (f'<a href="expectations/{html.escape(s.suite)}.html">{html.escape(s.suite)}</a>'
                      if suite_page.exists() else html.escape(s.suite))
        status = ('<span class="failed">' + f"{s.failed_scopes} failed</span>" if s.failed_scopes
                  else '<span class="ok">all passed</span>')
        rows.append(f"<tr><td>{suite_link}</td><td>{s.rules}</td><td>{s.scopes}</td><td>{status}</td>"
                    f"<td>{validation}</td></tr>")
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<link rel="stylesheet" href="static/gongkai.css"></head><body>
<h1>{html.escape(title)}</h1>
<p class="muted">Great Expectations Data Docs of this warehouse: one suite per rule family (expectations/*.json).
Works offline. Scopes and results count every row of <code>quality_results</code>; a validation page shows
the reports one pass judged (a pass judges the agencies that changed, a chunk of agencies at a time: the run
name says which, e.g. <code>changed-1-of-1</code>, <code>full-3-of-11</code>). Findings per agency:
<code>gongkai check</code>, <code>gongkai report</code>, or the <code>quality_findings</code> relation.</p>
<table><tr><th>suite</th><th>rules</th><th>scopes judged</th><th>result</th><th>validation</th></tr>
{''.join(rows)}</table></body></html>
"""


def publish_offline(docs_dir: Path, suites: list[SuiteSummary], title: str = "Gongkai data quality") -> None:
    """Make the freshly built Data Docs under ``docs_dir`` self-contained (see the module docstring)."""
    if not docs_dir.is_dir():
        return
    static = docs_dir / "static"
    static.mkdir(parents=True, exist_ok=True)
    (static / "gongkai.css").write_text(STYLESHEET, encoding="utf-8")
    newest = _prune_validations(docs_dir, KEEP_VALIDATIONS)
    for page in docs_dir.rglob("*.html"):
        depth = len(page.relative_to(docs_dir).parts) - 1
        text = page.read_text(encoding="utf-8")
        fixed = _strip_remote(text, "../" * depth + "static/gongkai.css") if "gongkai.css" not in text else text
        if fixed != text:
            page.write_text(fixed, encoding="utf-8")
    (docs_dir / "index.html").write_text(_index(docs_dir, suites, newest, title), encoding="utf-8")
