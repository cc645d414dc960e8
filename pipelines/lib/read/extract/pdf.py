"""PDFs with a text layer: tables rebuilt from their ruling lines, cells filled by word position.

Why not a generic table finder: PyMuPDF's ``find_tables`` costs seconds per report, while
the reports' tables are fully ruled. Here the ruling lines (``get_cdrawings``) define the
cells and every word (``extractWORDS``) goes to the cell holding its centre, so a number
and its label on different baselines, a label wrapped over two lines, or a label stacked
one character per line all end up in one cell. A cell with no line between it and its
neighbour is one merged cell; its text is copied into every slot it covers (``GridCell``
h_copy/v_copy), as the HTML reader does for rowspan/colspan.

A table cut by a page break (no repeated header) is joined with its continuation into one
grid, and a merged label cell cut by the break ('（四）无' / '法提供') is joined across it.
No label is interpreted here.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pymupdf

from pipelines.lib.harmonize.values import looks_numeric
from pipelines.lib.model import DocumentRejected
from pipelines.lib.read.extract import Extracted
from pipelines.lib.read.extract.pdf_text_layout import text_layout_grids
from pipelines.lib.read.grid import Grid, GridCell
from pipelines.lib.read.union_find import UnionFind

MAX_PAGES = 200  # an annual report has a handful of pages; more is a compilation or a hostile file
MAX_DRAWINGS_PER_PAGE = 20_000  # path items; beyond this a page is vector art (maps, charts), not a ruled table
MAX_CONTENT_BYTES = 8_000_000  # page content stream size above which ruling lines are not extracted
MAX_SEGMENT_PAIRS = 60_000  # horizontal x vertical rules; a page of report tables has a few thousand
MAX_SLOTS = 20_000  # rows x columns of one table: beyond this the ruling is a chart grid, not a report table
SNAP = 2.5  # pt: ruling lines closer than this are one line (double borders, WPS cell-by-cell strokes)
MIN_CELL = 4.0  # pt: narrower gaps between lines are border artefacts, not rows or columns
MARGIN = 0.09  # share of the page height at top and bottom where page numbers live
# Narrower: the band where only running headers and footers print (body text starts ~2.5 cm in),
# ignored when deciding whether a table runs on across a page break. A heading at 90 % is body.
RUNNING_MARGIN = 0.06
MIN_TEXT_CHARS = 20  # fewer printable characters in the whole file: there is no text layer

_PAGE_NO_RE = re.compile(r"^\s*(?:[-—–－―~]+\s*\d{1,4}\s*[-—–－―~]+|\d{1,4}|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
                         r"|\d{1,4}\s*/\s*\d{1,4})\s*$")
_CJK_RE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")

Word = tuple[float, float, float, float, str]  # x0, y0, x1, y1, text


@dataclass
class _Part:
    """The ruling lines and words of one table on one page (or several pages, once joined)."""

    hsegs: list[tuple[float, float, float]]  # y, x0, x1
    vsegs: list[tuple[float, float, float]]  # x, y0, y1
    page: int
    x0: float
    y0: float
    x1: float
    y1: float
    words: list[Word] = field(default_factory=list)
    # (y from which rows belong to the page, page): several entries once parts are joined
    page_starts: list[tuple[float, int]] = field(default_factory=list)
    seams: list[float] = field(default_factory=list)  # y of each page break inside the table


# ---------------------------------------------------------------- geometry helpers


def _cluster(values: Iterable[float], tol: float) -> list[float]:
    """Sorted representatives of values that lie within ``tol`` of each other."""
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [sum(g) / len(g) for g in out]


def _merge_collinear(segs: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Join touching or overlapping segments on the same line (WPS strokes each cell edge apart)."""
    groups: list[list[tuple[float, float, float]]] = []
    for seg in sorted(segs):
        if groups and seg[0] - groups[-1][-1][0] <= SNAP:
            groups[-1].append(seg)
        else:
            groups.append([seg])
    out: list[tuple[float, float, float]] = []
    for group in groups:
        pos = sum(g[0] for g in group) / len(group)
        spans = sorted((a, b) for _, a, b in group)
        cur_a, cur_b = spans[0]
        for a, b in spans[1:]:
            if a <= cur_b + SNAP:
                cur_b = max(cur_b, b)
            else:
                out.append((pos, cur_a, cur_b))
                cur_a, cur_b = a, b
        out.append((pos, cur_a, cur_b))
    return out


@functools.lru_cache(maxsize=256)
def _is_white(color) -> bool:
    return bool(color) and all(c > 0.95 for c in color[:3])


def _ruling_segments(page: pymupdf.Page) -> tuple[list, list]:
    """Horizontal and vertical ruling segments of a page: stroked lines and rect edges, thin filled bars.

    Filled boxes are cell backgrounds (WPS paints one per cell, inset from the border), not rules.
    """
    try:
        if len(page.read_contents()) > MAX_CONTENT_BYTES:
            return [], []  # checked first: extracting millions of paths is itself the cost to avoid
        paths = page.get_cdrawings()
    except Exception:  # noqa: BLE001 - a broken content stream: the page just has no table lines
        return [], []
    if sum(len(path.get("items", ())) for path in paths) > MAX_DRAWINGS_PER_PAGE:
        return [], []
    hs: list[tuple[float, float, float]] = []
    vs: list[tuple[float, float, float]] = []
    lines: list[tuple[float, float, float, float]] = []  # x0, y0, x1, y1 of every stroke and bar

    for path in paths:
        kind = path.get("type") or ""
        # White or fully transparent paint draws nothing a reader sees, so it is no rule.
        stroked = "s" in kind and not _is_white(_hashable(path.get("color"))) and path.get("stroke_opacity", 1) != 0
        filled = "f" in kind and not _is_white(_hashable(path.get("fill"))) and path.get("fill_opacity", 1) != 0
        if not (stroked or filled):
            continue
        for item in path.get("items", ()):
            op = item[0]
            if op == "l" and stroked:
                (ax, ay), (bx, by) = item[1], item[2]
                lines.append((ax, ay, bx, by))
            elif op == "re":
                x0, y0, x1, y1 = item[1]
                w, h = abs(x1 - x0), abs(y1 - y0)
                if min(w, h) <= SNAP:
                    # a bar: a line drawn as a thin rectangle
                    if w >= h:
                        lines.append((x0, (y0 + y1) / 2, x1, (y0 + y1) / 2))
                    else:
                        lines.append(((x0 + x1) / 2, y0, (x0 + x1) / 2, y1))
                elif stroked:
                    lines += ((x0, y0, x1, y0), (x0, y1, x1, y1), (x0, y0, x0, y1), (x1, y0, x1, y1))
    for x0, y0, x1, y1 in lines:
        dx, dy = abs(x1 - x0), abs(y1 - y0)
        if dy <= 1.0 and dx >= 2.0:
            hs.append(((y0 + y1) / 2, x0 if x0 < x1 else x1, x1 if x0 < x1 else x0))
        elif dx <= 1.0 and dy >= 2.0:
            vs.append(((x0 + x1) / 2, y0 if y0 < y1 else y1, y1 if y0 < y1 else y0))
    return _merge_collinear(hs), _merge_collinear(vs)


def _hashable(color):
    return tuple(color) if isinstance(color, list) else color


def _table_parts(hs: list, vs: list, page_no: int) -> list[_Part]:
    """Connected networks of ruling lines with at least two lines each way: one per ruled table."""
    if not hs or not vs or len(hs) * len(vs) > MAX_SEGMENT_PAIRS:
        return []
    n_h = len(hs)
    uf = UnionFind(n_h + len(vs))
    for i, (y, hx0, hx1) in enumerate(hs):
        for j, (x, vy0, vy1) in enumerate(vs):
            if hx0 - SNAP <= x <= hx1 + SNAP and vy0 - SNAP <= y <= vy1 + SNAP:
                uf.union(i, n_h + j)
    comps: dict[int, tuple[list, list]] = {}
    for i, s in enumerate(hs):
        comps.setdefault(uf.find(i), ([], []))[0].append(s)
    for j, s in enumerate(vs):
        comps.setdefault(uf.find(n_h + j), ([], []))[1].append(s)
    parts = []
    for ch, cv in comps.values():
        if len(ch) < 2 or len(cv) < 2:
            continue  # an underline or a frame edge, not a table
        x0 = min(min(s[1] for s in ch), min(s[0] for s in cv))
        x1 = max(max(s[2] for s in ch), max(s[0] for s in cv))
        y0 = min(min(s[0] for s in ch), min(s[1] for s in cv))
        y1 = max(max(s[0] for s in ch), max(s[2] for s in cv))
        if x1 - x0 < 2 * MIN_CELL or y1 - y0 < 2 * MIN_CELL:
            continue
        parts.append(_Part(ch, cv, page_no, x0, y0, x1, y1, page_starts=[(y0 - SNAP, page_no)]))
    # A page frame or layout box drawn around tables is not a table itself.
    parts = [p for p in parts if not any(q is not p and q.x0 >= p.x0 - 1 and q.x1 <= p.x1 + 1
                                         and q.y0 >= p.y0 - 1 and q.y1 <= p.y1 + 1 for q in parts)]
    parts.sort(key=lambda p: (p.y0, p.x0))
    return parts


def _coords(values: Iterable[float]) -> list[float]:
    """Line positions, dropping those too close to the previous one to bound a row or column."""
    out: list[float] = []
    for v in _cluster(values, SNAP):
        if not out or v - out[-1] >= MIN_CELL:
            out.append(v)
    return out


def _lines_at(segs: list[tuple[float, float, float]], coords: list[float]) -> list[list[tuple[float, float]]]:
    """For each line position, the spans of the segments lying on it."""
    out: list[list[tuple[float, float]]] = [[] for _ in coords]
    for p, s0, s1 in segs:
        k = bisect.bisect_left(coords, p - SNAP)
        while k < len(coords) and coords[k] <= p + SNAP:
            out[k].append((s0, s1))
            k += 1
    return out


def _coverage(spans: list[tuple[float, float]], a: float, b: float) -> float:
    """Share of [a, b] covered by the spans of one line."""
    if b <= a:
        return 0.0
    covered = 0.0
    for s0, s1 in spans:
        lo = s0 if s0 > a else a
        hi = s1 if s1 < b else b
        if hi > lo:
            covered += hi - lo
    return covered / (b - a)


def _join_lines(lines: list[str]) -> str:
    """Lines of one cell: no separator inside Chinese text (the break is layout), else a newline."""
    out = ""
    for ln in lines:
        if out and not (_CJK_RE.match(out[-1]) and _CJK_RE.match(ln[0])):
            out += "\n"
        out += ln
    return out


def _cell_text(words: list[Word]) -> str:
    """Words of one cell in reading order: lines top to bottom, words left to right."""
    if not words:
        return ""
    if len(words) == 1:
        return words[0][4].strip()
    words = sorted(words, key=lambda w: (w[1] + w[3]) / 2)
    lines: list[list[Word]] = []
    for w in words:
        cy, h = (w[1] + w[3]) / 2, w[3] - w[1]
        if lines:
            last = lines[-1]
            ly = sum((v[1] + v[3]) / 2 for v in last) / len(last)
            lh = min(v[3] - v[1] for v in last)
            # Same baseline and side by side; characters stacked one per line overlap in x instead.
            if abs(cy - ly) < 0.5 * min(h, lh) and not any(
                    min(w[2], v[2]) - max(w[0], v[0]) > 0.5 * min(w[2] - w[0], v[2] - v[0]) for v in last):
                last.append(w)
                continue
        lines.append([w])
    return _join_lines([" ".join(v[4] for v in sorted(ln, key=lambda v: v[0])) for ln in lines]).strip()


# ---------------------------------------------------------------- one table -> Grid


def _build_grid(part: _Part, origin: str) -> Grid | None:
    xs = _coords([s[0] for s in part.vsegs] + [part.x0, part.x1])
    ys = _coords([s[0] for s in part.hsegs] + [part.y0, part.y1])
    n_r, n_c = len(ys) - 1, len(xs) - 1
    if n_r < 1 or n_c < 1 or n_r * n_c > MAX_SLOTS:
        return None
    v_at, h_at = _lines_at(part.vsegs, xs), _lines_at(part.hsegs, ys)
    uf = UnionFind(n_r * n_c)
    for r in range(n_r):
        for c in range(n_c):
            # No ruling line between two slots: they are one merged cell.
            if c + 1 < n_c and _coverage(v_at[c + 1], ys[r], ys[r + 1]) < 0.5:
                uf.union(r * n_c + c, r * n_c + c + 1)
            if r + 1 < n_r and _coverage(h_at[r + 1], xs[c], xs[c + 1]) < 0.5:
                uf.union(r * n_c + c, (r + 1) * n_c + c)

    slot_words: dict[int, list[Word]] = {}
    for w in part.words:
        cx, cy = (w[0] + w[2]) / 2, (w[1] + w[3]) / 2
        c = min(max(bisect.bisect_right(xs, cx) - 1, 0), n_c - 1)
        r = min(max(bisect.bisect_right(ys, cy) - 1, 0), n_r - 1)
        slot_words.setdefault(r * n_c + c, []).append(w)

    def groups() -> tuple[list[int], dict[int, list[int]], dict[int, str]]:
        root = [uf.find(k) for k in range(n_r * n_c)]
        members: dict[int, list[int]] = {}
        for k, g in enumerate(root):
            members.setdefault(g, []).append(k)
        texts = {g: _cell_text([w for k in ks for w in slot_words.get(k, ())]) for g, ks in members.items()}
        return root, members, texts

    root, members, texts = groups()
    if part.seams:
        _join_across_seams(part, ys, n_r, n_c, uf, members, texts)
        root, members, texts = groups()

    # members are listed in slot order, so a group's first slot is its top row
    top_left = {g: (ks[0] // n_c, min(k % n_c for k in ks)) for g, ks in members.items()}
    rows: list[list[GridCell]] = []
    pages: list[int | None] = []
    for r in range(n_r):
        row = []
        for c in range(n_c):
            g = root[r * n_c + c]
            r0, c0 = top_left[g]
            row.append(GridCell(texts[g], h_copy=c > c0, v_copy=r > r0))
        rows.append(row)  # kept even when empty: a table 四 row of blank cells means all zero
        mid = (ys[r] + ys[r + 1]) / 2
        pages.append(next((p for y, p in reversed(part.page_starts) if mid >= y), part.page))
    if not rows:
        return None
    return Grid(rows, pages, origin)


def _join_across_seams(part: _Part, ys: list[float], n_r: int, n_c: int, uf: UnionFind,
                       members: dict[int, list[int]], texts: dict[int, str]) -> None:
    """Join a merged label cell that a page break cut in two ('（四）无' / '法提供', or an empty
    continuation of '三、本年度办理结果'), never two rows of numbers."""
    for seam in part.seams:
        r_b = min(range(len(ys)), key=lambda i: abs(ys[i] - seam))
        r_a = r_b - 1
        if r_a < 0 or r_b >= n_r:
            continue
        for c in range(n_c):
            ga, gb = uf.find(r_a * n_c + c), uf.find(r_b * n_c + c)
            if ga == gb:
                continue
            cols_a = {k % n_c for k in members[ga]}
            cols_b = {k % n_c for k in members[gb]}
            if cols_a != cols_b or c != min(cols_a):
                continue
            above, below = texts[ga], texts[gb]
            if not above or looks_numeric(above):
                continue
            rows_b = {k // n_c for k in members[gb]}
            if not below or (len(rows_b) > 1 and not looks_numeric(below)):
                uf.union(ga, gb)


# ---------------------------------------------------------------- pages


@dataclass
class _Page:
    number: int  # 1-based
    height: float
    text: str
    parts: list[_Part]
    body_words: list[Word]  # words outside the top and bottom margins
    scanned: bool  # no text, but an image covering most of the page


def _is_chrome(text: str, y0: float, y1: float, height: float) -> bool:
    """A page number line in the top or bottom margin ('- 3 -', '第3页 共5页', '3/5')."""
    in_margin = y1 < height * MARGIN or y0 > height * (1 - MARGIN)
    return in_margin and bool(_PAGE_NO_RE.match(text))


def _read_page(page: pymupdf.Page) -> _Page:
    # Text and drawings come in unrotated page space, so margins are measured there too.
    box = pymupdf.Rect(0, 0, page.cropbox.width, page.cropbox.height)
    height = box.height
    tp = page.get_textpage()
    raw_words = tp.extractWORDS()
    blocks = tp.extractBLOCKS()
    chrome_blocks = {b[5] for b in blocks if b[6] == 0 and _is_chrome(b[4], b[1], b[3], height)}
    if chrome_blocks:
        # A page number stands alone on its line; a bare number beside other words in the margin band is a
        # table cell (a table carried on at the very top of the page, its cells one block each).
        chrome_blocks = {b[5] for b in blocks if b[5] in chrome_blocks and not any(
            w[5] != b[5] and b[1] <= (w[1] + w[3]) / 2 <= b[3] for w in raw_words if w[4].strip())}
    text = "\n".join(b[4].rstrip("\n") for b in blocks if b[6] == 0 and b[5] not in chrome_blocks)
    # Running headers and footers do not stop a table from going on across the page break.
    body = [(w[0], w[1], w[2], w[3], w[4]) for w in raw_words if w[4].strip() and w[5] not in chrome_blocks
            and height * RUNNING_MARGIN < (w[1] + w[3]) / 2 < height * (1 - RUNNING_MARGIN)]
    hs, vs = _ruling_segments(page) if body else ([], [])  # a table without text has nothing to read
    parts = _table_parts(hs, vs, page.number + 1)
    chars: dict[tuple[int, int, int], list[Word]] | None = None
    for part in parts:
        inside = [w for w in raw_words if w[4].strip() and w[5] not in chrome_blocks
                  and part.x0 - 1 <= (w[0] + w[2]) / 2 <= part.x1 + 1
                  and part.y0 - 1 <= (w[1] + w[3]) / 2 <= part.y1 + 1]
        vsegs = sorted(part.vsegs)
        vx = [s[0] for s in vsegs]
        for w in inside:
            cuts = _crossings(w, vsegs, vx)
            if cuts:
                if chars is None:
                    chars = _word_chars(tp)
                part.words.extend(_split_word(w, cuts, chars.get((w[5], w[6], w[7]))))
            else:
                part.words.append((w[0], w[1], w[2], w[3], w[4]))
    scanned = False
    if len(re.sub(r"\s", "", text)) < MIN_TEXT_CHARS:
        scanned = any(abs(pymupdf.Rect(im["bbox"]) & box) >= 0.4 * abs(box) for im in page.get_image_info())
    return _Page(page.number + 1, height, text, parts, body, scanned)


def _crossings(w, vsegs: list[tuple[float, float, float]], vx: list[float]) -> list[float]:
    """Vertical rules that run through a word: MuPDF glues the texts of adjacent cells
    into one word when no space separates them ('审结' + '总计' -> '审结总计').
    ``vsegs`` sorted by x, ``vx`` their x positions."""
    lo, hi = bisect.bisect_right(vx, w[0] + 1), bisect.bisect_left(vx, w[2] - 1)
    if lo >= hi:
        return []
    cy = (w[1] + w[3]) / 2
    return [x for x, y0, y1 in vsegs[lo:hi] if y0 - 1 <= cy <= y1 + 1]


def _word_chars(tp: pymupdf.TextPage) -> dict[tuple[int, int, int], list[Word]]:
    """Characters of every word, keyed like extractWORDS (block, line, word number)."""
    out: dict[tuple[int, int, int], list[Word]] = {}
    for block in tp.extractRAWDICT()["blocks"]:
        if block.get("type") != 0:
            continue
        for l_no, line in enumerate(block["lines"]):
            w_no, current = 0, []
            for span in line["spans"]:
                for ch in span["chars"]:
                    if ch["c"].isspace():
                        if current:
                            out[(block["number"], l_no, w_no)] = current
                            w_no, current = w_no + 1, []
                        continue
                    current.append((*ch["bbox"], ch["c"]))
            if current:
                out[(block["number"], l_no, w_no)] = current
    return out


def _split_word(w, cuts: list[float], chars: list[Word] | None) -> list[Word]:
    """A glued word cut at the rules that run through it, by the centre of each character."""
    if not chars or "".join(c[4] for c in chars) != w[4]:
        return [(w[0], w[1], w[2], w[3], w[4])]  # characters not found: keep the word whole
    runs: dict[int, list[Word]] = {}
    for c in chars:
        runs.setdefault(bisect.bisect_right(cuts, (c[0] + c[2]) / 2), []).append(c)
    return [(min(c[0] for c in cs), min(c[1] for c in cs), max(c[2] for c in cs), max(c[3] for c in cs),
             "".join(c[4] for c in cs)) for _, cs in sorted(runs.items())]


def _ends_page(part: _Part, page: _Page) -> bool:
    """Nothing but page chrome below the table: it may go on on the next page."""
    return not any((w[1] + w[3]) / 2 > part.y1 + 1 for w in page.body_words) and \
        part is max(page.parts, key=lambda p: p.y1)


def _starts_page(part: _Part, page: _Page) -> bool:
    return not any((w[1] + w[3]) / 2 < part.y0 - 1 for w in page.body_words) and \
        part is min(page.parts, key=lambda p: p.y0)


def _edge_columns(part: _Part, bottom: bool) -> list[float]:
    """x of the vertical rules that reach the table's bottom (or top) edge: its last (first) row's columns."""
    if bottom:
        return _cluster((x for x, y0, y1 in part.vsegs if y1 >= part.y1 - SNAP and y0 < part.y1 - MIN_CELL), SNAP)
    return _cluster((x for x, y0, y1 in part.vsegs if y0 <= part.y0 + SNAP and y1 > part.y0 + MIN_CELL), SNAP)


def _continues(a: _Part, b: _Part) -> bool:
    """Whether ``b``, at the top of the next page, can be the rest of ``a``: same width, and the
    columns of one boundary row are among those of the other (a merged cell drops some, never adds)."""
    if abs(a.x0 - b.x0) > 3 * SNAP or abs(a.x1 - b.x1) > 3 * SNAP:
        return False
    above, below = _edge_columns(a, True), _edge_columns(b, False)
    small, large = sorted((above, below), key=len)
    return all(any(abs(x - y) <= 2 * SNAP for y in large) for x in small)


def _join(a: _Part, b: _Part) -> _Part:
    """Stack continuation ``b`` under ``a``: b's lines and words shifted so its top meets a's bottom."""
    dy = a.y1 - b.y0
    return _Part(
        hsegs=a.hsegs + [(y + dy, x0, x1) for y, x0, x1 in b.hsegs],
        vsegs=_merge_collinear(a.vsegs + [(x, y0 + dy, y1 + dy) for x, y0, y1 in b.vsegs]),
        page=a.page,
        x0=min(a.x0, b.x0), y0=a.y0, x1=max(a.x1, b.x1), y1=b.y1 + dy,
        words=a.words + [(w[0], w[1] + dy, w[2], w[3] + dy, w[4]) for w in b.words],
        page_starts=a.page_starts + [(a.y1, b.page)],
        seams=a.seams + [a.y1],
    )


def _tables(pages: list[_Page], join_pages: bool = True) -> list[_Part]:
    """Tables of the document in order, a table cut by a page break joined with its continuation."""
    out: list[_Part] = []
    prev_page: _Page | None = None
    for page in pages:
        for k, part in enumerate(page.parts):
            if (join_pages and k == 0 and out and prev_page is not None and prev_page.number == page.number - 1
                    and prev_page.parts and out[-1].page_starts[-1][1] == prev_page.number
                    and _ends_page(prev_page.parts[-1], prev_page) and _starts_page(part, page)
                    and _continues(prev_page.parts[-1], part)):
                out[-1] = _join(out[-1], part)
            else:
                out.append(part)
        prev_page = page
    return out


# ---------------------------------------------------------------- entry points


def _open(data: bytes) -> pymupdf.Document:
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as e:  # noqa: BLE001 - MuPDF raises several types for broken files
        raise DocumentRejected("read", "corrupt_pdf",
                               f"The PDF file is damaged and cannot be opened ({type(e).__name__}).") from e
    if doc.needs_pass and not doc.authenticate(""):
        raise DocumentRejected("read", "encrypted_pdf",
                               "The PDF is protected by a password, so its text cannot be read.")
    if doc.page_count == 0:
        raise DocumentRejected("read", "corrupt_pdf", "The PDF file has no pages.")
    if doc.page_count > MAX_PAGES:
        raise DocumentRejected("read", "too_many_pages",
                               f"The PDF has {doc.page_count} pages, more than the {MAX_PAGES} an annual "
                               "report can plausibly have; it is probably a compilation of several documents.")
    return doc


def read_pdf_bytes(data: bytes, *, join_pages: bool = True) -> Extracted:
    """Text and ruled-table grids of a PDF with a text layer.

    ``join_pages=False`` keeps each page's piece of a table as its own grid (then the
    interpreter's 'T3-continued' grouping joins table 三).
    """
    doc = _open(data)
    repaired = doc.is_repaired  # MuPDF rebuilt a broken or truncated file: parts may be missing
    try:
        try:
            pages = [_read_page(p) for p in doc]
        except DocumentRejected:
            raise
        except Exception as e:  # noqa: BLE001 - MuPDF errors inside a page's content are damage
            raise DocumentRejected("read", "corrupt_pdf",
                                   f"A page of the PDF could not be read ({type(e).__name__}: {str(e)[:120]}).") from e
    finally:
        doc.close()
    n_chars = sum(len(re.sub(r"\s", "", p.text)) for p in pages)
    scanned = [p.number for p in pages if p.scanned]
    if n_chars < MIN_TEXT_CHARS and not scanned:
        raise DocumentRejected("read", "no_text_layer",
                               "The PDF has no text layer and no page is a scanned image: there is nothing to read.")
    grids = []
    for k, part in enumerate(_tables(pages, join_pages)):
        grid = _build_grid(part, f"pdf page {part.page} table {k + 1}")
        if grid is not None:
            grids.append(grid)
    if repaired and not grids and not scanned:
        raise DocumentRejected("read", "corrupt_pdf",
                               "The PDF file is damaged (truncated or with a broken cross-reference table); its "
                               "text was partly recovered but no table could be read from it.")
    text = "\n".join(p.text for p in pages)
    if scanned:
        # Scanned pages (no text layer) are read by OCR; the text pages stay as read above.
        return _with_scanned_pages(data, pages, scanned, grids, text)
    if not grids:
        # No ruled table anywhere: read the tables from word positions (less certain, so marked inferred).
        grids = text_layout_grids([(p.number, p.body_words) for p in pages])
        return Extracted(text=text, grids=grids, inferred_how="text_positions", warnings=[
            "PDF without ruling lines: table rows and cells were rebuilt from word positions alone"])
    return Extracted(text=text, grids=grids)


def _with_scanned_pages(data: bytes, pages: list[_Page], scanned: list[int], grids: list[Grid],
                        text: str) -> Extracted:
    """Text-page grids plus the OCR'd grids of the scanned pages, in page order (ocr cells carry conf)."""
    from pipelines.lib.read.extract.pdf_scan import read_scanned_pages
    from pipelines.lib.read.ocr.budget import ocr_timeout_from_env

    # The title is printed at the top of page 1: read it by OCR when page 1 is a scan.
    need_title = scanned[0] == 1 or len(re.sub(r"\s", "", text)) < MIN_TEXT_CHARS
    ocr = read_scanned_pages(data, scanned, need_title=need_title, timeout_s=ocr_timeout_from_env())
    if not ocr.grids and not grids:
        raise DocumentRejected("read", "scan_unreadable",
                               f"Page(s) {', '.join(map(str, scanned))} of the PDF are scanned images without a "
                               f"text layer; OCR read {ocr.pages} of them but found no table on any page "
                               "(no ruling lines and no rows of numbers), so the report's tables cannot be read.")
    merged = sorted(grids + ocr.grids, key=lambda g: next((p for p in g.pages if p is not None), 0))
    warnings = [f"Page(s) {', '.join(map(str, scanned))} are scanned images: read by OCR "
                f"({ocr.seconds:.0f} s); their numbers carry the recogniser's confidence", *ocr.warnings]
    return Extracted(text=(ocr.text + "\n" + text) if ocr.text else text, grids=merged, warnings=warnings)


def register(readers: dict[str, Callable[[bytes], Extracted]]) -> None:
    readers["pdf"] = read_pdf_bytes
