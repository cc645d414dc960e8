"""Ruled tables of a scanned page: ruling lines found in the image, each cell recognised on its own.

A page image is straightened first (the tilt that maximises the sharpness of the row profile),
then the ruling lines are the long thin runs of ink that a morphological opening keeps
(OpenCV). They become segments in points (1/72 in), so the text-layer reader's own geometry
(``pdf._table_parts``, its line clustering and merged-cell rule) cuts them into the same
rows, columns and merged cells. Each cell's ink, with the rules masked out, is split into its
text lines, and each line goes to the recogniser alone: a recogniser on a small crop reads a
lone '0' that detection over the whole page misses, and costs a fraction of it.

Each cell keeps the recogniser's confidence (``GridCell.conf``, the lowest of its lines), so the
facts read from it say how sure the reading is, and the arithmetic repair knows which cells to doubt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

from pipelines.lib.read.extract import pdf as pdf_geometry
from pipelines.lib.read.grid import Grid, GridCell
from pipelines.lib.read.ocr.engine import recognize_lines
from pipelines.lib.read.union_find import UnionFind

MAX_TILT_DEG = 3.0
FRAME = 0.04  # share of a page image's width and height at each edge left out of the tilt estimate
LINE_PAD = 0.15  # of a text line's height: the paper kept around it in its crop


@dataclass
class PageImage:
    gray: np.ndarray  # uint8, white paper, straightened
    dpi: float
    page: int  # 1-based page number
    tilt_deg: float = 0.0  # how much it was turned to straighten it


def binarize(gray: np.ndarray, dpi: float) -> np.ndarray:
    """Ink = 255. A local threshold, so a photo's uneven light does not black out a corner."""
    block = int(dpi / 4) | 1
    smooth = cv2.medianBlur(gray, 3)
    return cv2.adaptiveThreshold(smooth, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY_INV, block, 15)


def _rotate(img: np.ndarray, deg: float, border: int, flags: int = cv2.INTER_LINEAR) -> np.ndarray:
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
    return cv2.warpAffine(img, m, (w, h), flags=flags, borderValue=border)


def estimate_tilt(gray: np.ndarray, dpi: float) -> float:
    """Degrees to turn the page by to make its lines level: the angle whose row profile is sharpest
    (ruling lines and text baselines all pile up in few rows), searched coarse then fine at ~75 dpi."""
    scale = min(1.0, 75.0 / dpi)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ink = binarize(small, dpi * scale)
    # The frame of the picture is no line of the page: a photo's dark edge, level with the frame whatever
    # the page's tilt, would make 0° the sharpest profile. Only what lies inside counts.
    mh, mw = int(ink.shape[0] * FRAME), int(ink.shape[1] * FRAME)
    ink = ink[mh:ink.shape[0] - mh, mw:ink.shape[1] - mw]

    def score(deg: float) -> float:
        # Nearest-pixel turning: interpolation would blur every angle but 0° and so favour 0°.
        prof = _rotate(ink, deg, 0, cv2.INTER_NEAREST).sum(axis=1, dtype=np.float64)
        return float(np.square(np.diff(prof)).sum())

    # Coarse steps of 0.25°: on a sparse page (a few short labels) the profile's sharpness is not smooth
    # enough for 0.5° steps to land near the best angle.
    best = max(np.arange(-MAX_TILT_DEG, MAX_TILT_DEG + 1e-9, 0.25), key=score)
    best = max(np.arange(best - 0.25, best + 0.25 + 1e-9, 0.05), key=score)
    best = max(np.arange(best - 0.05, best + 0.05 + 1e-9, 0.01), key=score)
    return float(round(best, 2))


def straighten(gray: np.ndarray, dpi: float, page: int) -> PageImage:
    tilt = estimate_tilt(gray, dpi)
    if abs(tilt) >= 0.02:
        gray = _rotate(gray, tilt, 255)
    return PageImage(gray, dpi, page, tilt)


def ruling_masks(ink: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical rules: runs of ink longer than any stroke of the table's text
    (0.3 in across, 0.2 in down; the narrowest report cell is ~0.45 in wide, the lowest ~0.25 in)."""
    h_len, v_len = max(15, int(dpi * 0.3)), max(10, int(dpi * 0.2))
    bridged_h = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 1)))
    bridged_v = cv2.morphologyEx(ink, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 5)))
    hmask = cv2.morphologyEx(bridged_h, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (h_len, 1)))
    vmask = cv2.morphologyEx(bridged_v, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, v_len)))
    return hmask, vmask


def _segments(mask: np.ndarray, horizontal: bool, to_pt: float) -> list[tuple[float, float, float]]:
    """(position, start, end) in points of each connected run of a line mask."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, w, h, _area = stats[i]
        if horizontal:
            out.append(((y + h / 2) * to_pt, x * to_pt, (x + w) * to_pt))
        else:
            out.append(((x + w / 2) * to_pt, y * to_pt, (y + h) * to_pt))
    return out


def ink_share(gray: np.ndarray, dpi: float) -> float:
    """Share of the page that is ink (after the local threshold): ~0 for a blank or empty scan."""
    return float(np.count_nonzero(binarize(gray, dpi))) / max(1, gray.size)


def has_ruled_table(gray: np.ndarray, dpi: float) -> bool:
    """Cheap test at low resolution: a page of prose has no long horizontal and vertical rules."""
    ink = binarize(gray, dpi)
    hmask, vmask = ruling_masks(ink, dpi)
    hs = _segments(hmask, True, 72.0 / dpi)
    vs = _segments(vmask, False, 72.0 / dpi)
    return bool(pdf_geometry._table_parts(pdf_geometry._merge_collinear(hs), pdf_geometry._merge_collinear(vs), 0))


# ------------------------------------------------------------------ cell text

_DIGIT_LIKE = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "〇": "0", "l": "1", "I": "1", "|": "1",
                             "i": "1", "!": "1", "Z": "2", "z": "2", "S": "5", "s": "5", "B": "8", "g": "9",
                             "，": ",", "。": ".", "．": ".", "、": ","})
_NUMERIC_RE = re.compile(r"^-?\d[\d,]*(?:\.\d+)?(?:万?元)?$")


def normalize_number(text: str) -> tuple[str, bool]:
    """('3O' -> '30', True): letters a recogniser confuses with digits, in a cell that is otherwise a number.
    The flag says a substitution was made (the reading is then less certain)."""
    t = re.sub(r"\s+", "", text)
    if not t or _NUMERIC_RE.match(t):
        return t, False
    fixed = t.translate(_DIGIT_LIKE)
    if _NUMERIC_RE.match(fixed) and (sum(ch.isdigit() for ch in t) >= len(t) / 2 or len(t) <= 2):
        return fixed, True
    return text.strip(), False


def _line_bands(ink: np.ndarray, glyph_h: float) -> list[tuple[int, int]]:
    """Text lines of a cell's ink: row bands with ink, a character's own gaps (三, 二) closed by
    joining bands that together are no taller than one glyph."""
    rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return []
    bands: list[list[int]] = []
    start = prev = int(rows[0])
    for r in rows[1:]:
        r = int(r)
        if r > prev + 1:
            bands.append([start, prev + 1])
            start = r
        prev = r
    bands.append([start, prev + 1])
    merged: list[list[int]] = [bands[0]]
    for b in bands[1:]:
        if b[1] - merged[-1][0] <= 1.25 * glyph_h:
            merged[-1][1] = b[1]
        else:
            merged.append(b)
    return [(a, b) for a, b in merged]


def _clean_ink(ink: np.ndarray, min_area: int) -> np.ndarray:
    """Drop specks (scanner noise, JPEG ringing, stubs of rules) smaller than a dot of print."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    keep = np.zeros(n, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return np.where(keep[labels], 255, 0).astype(np.uint8)


def _drop_rule_remnants(ink: np.ndarray, glyph_h: float) -> np.ndarray:
    """Drop what is left of a rule the eraser missed (a photo's rule bends off its straightened line):
    thin runs taller, or wider, than any character. Left in, the stub joins a cell's lone digit in one
    crop, mostly paper, and the digit is read as nothing."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    w, h = stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]
    stub = ((h > 1.1 * glyph_h) & (w < 0.2 * glyph_h)) | ((w > 1.5 * glyph_h) & (h < 0.15 * glyph_h))
    stub[0] = False
    if not stub.any():
        return ink
    return np.where(stub[labels], 0, ink).astype(np.uint8)


_LABEL_CHAR_RE = re.compile(r"[\u3400-\u9fff]")


def cell_reading(lines: list[tuple[str, float, str, float]]) -> tuple[str, float]:
    """A cell's text and confidence from the readings of its lines (free and digits-only).

    A cell whose free reading has Chinese words in it (other than a number's 万元/元) is a label;
    any other cell is a number, read digits-only: the recogniser's 'o', '。' or '|' for a lone
    digit is then the digit it is most likely to be, with that digit's own probability.
    Confidence is the lowest of the lines'; a cell without ink is empty and certain."""
    if not lines:
        return "", 1.0
    free = pdf_geometry._join_lines([t.strip() for t, *_ in lines if t.strip()]) if any(
        t.strip() for t, *_ in lines) else ""
    fixed, changed = normalize_number(free)
    if _LABEL_CHAR_RE.search(free) and not _NUMERIC_RE.match(fixed):
        # A label: its lines that read as nothing (a stray '、' of a stacked label) do not count.
        return free, round(min((c for t, c, _, _ in lines if t.strip()), default=0.0), 4)
    if _NUMERIC_RE.match(fixed) and not changed and "元" in fixed:
        return fixed, round(min(c for _, c, _, _ in lines), 4)
    # A point or comma belongs between digits: one read at either end is a speck beside the number ('7.').
    digits = "".join(d for _, _, d, _ in lines).strip(".,").rstrip("-")
    return digits, round(min(c for _, _, _, c in lines), 4)


@dataclass
class _Cell:
    r0: int
    c0: int
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels
    lines: list[tuple[int, int, int, int]]  # boxes of its text lines, in pixels


def read_tables(img: PageImage) -> list[Grid]:
    """Every ruled table on a straightened page image as a Grid (cells carry text and confidence)."""
    dpi = img.dpi
    to_pt, to_px = 72.0 / dpi, dpi / 72.0
    ink = binarize(img.gray, dpi)
    hmask, vmask = ruling_masks(ink, dpi)
    hs = pdf_geometry._merge_collinear(_segments(hmask, True, to_pt))
    vs = pdf_geometry._merge_collinear(_segments(vmask, False, to_pt))
    parts = pdf_geometry._table_parts(hs, vs, img.page)
    if not parts:
        return []
    # The rules to erase are the tables' own segments, redrawn a little thicker than printed; not the
    # line masks, which also keep a run of digit bottoms that a blur has joined ('2955.09' lost its point).
    rules = np.zeros_like(ink)
    thick = max(3, int(dpi * 0.03))
    for part in parts:
        for y, a, b in part.hsegs:
            cv2.line(rules, (int(a * to_px), int(y * to_px)), (int(b * to_px), int(y * to_px)), 255, thick)
        for x, a, b in part.vsegs:
            cv2.line(rules, (int(x * to_px), int(a * to_px)), (int(x * to_px), int(b * to_px)), 255, thick)
    # Specks decide no cell's lines or emptiness.
    text_ink = _clean_ink(cv2.bitwise_and(ink, cv2.bitwise_not(rules)), max(4, int((dpi / 100) ** 2 * 3)))
    glyph_h = dpi * 9.0 / 72.0  # the tallest table type the reports use (9 pt); refined below
    text_ink = _drop_rule_remnants(text_ink, glyph_h)
    grids = []
    for k, part in enumerate(parts):
        grid = _read_part(part, img, text_ink, rules, glyph_h, to_px,
                          f"pdf page {img.page} scanned table {k + 1}")
        if grid is not None:
            grids.append(grid)
    return grids


def _read_part(part, img: PageImage, text_ink: np.ndarray, rules: np.ndarray, glyph_h: float, to_px: float,
               origin: str) -> Grid | None:
    g = pdf_geometry
    xs = g._coords([s[0] for s in part.vsegs] + [part.x0, part.x1])
    ys = g._coords([s[0] for s in part.hsegs] + [part.y0, part.y1])
    n_r, n_c = len(ys) - 1, len(xs) - 1
    if n_r < 1 or n_c < 1 or n_r * n_c > g.MAX_SLOTS:
        return None
    v_at, h_at = g._lines_at(part.vsegs, xs), g._lines_at(part.hsegs, ys)
    uf = UnionFind(n_r * n_c)
    for r in range(n_r):
        for c in range(n_c):
            if c + 1 < n_c and g._coverage(v_at[c + 1], ys[r], ys[r + 1]) < 0.5:
                uf.union(r * n_c + c, r * n_c + c + 1)
            if r + 1 < n_r and g._coverage(h_at[r + 1], xs[c], xs[c + 1]) < 0.5:
                uf.union(r * n_c + c, (r + 1) * n_c + c)
    members: dict[int, list[int]] = {}
    for k in range(n_r * n_c):
        members.setdefault(uf.find(k), []).append(k)

    h_img, w_img = text_ink.shape
    inset = max(2, int(img.dpi * 0.025))
    cells: dict[int, _Cell] = {}
    for root, ks in members.items():
        r0, r1 = min(k // n_c for k in ks), max(k // n_c for k in ks)
        c0, c1 = min(k % n_c for k in ks), max(k % n_c for k in ks)
        # Inset by a rule's width: a rule printed a pixel off its neighbours' line leaves no stub to read.
        x0, x1 = int(xs[c0] * to_px) + inset, min(w_img, int(xs[c1 + 1] * to_px) - inset)
        y0, y1 = int(ys[r0] * to_px) + inset, min(h_img, int(ys[r1 + 1] * to_px) - inset)
        if x1 <= x0 or y1 <= y0:
            x0, x1, y0, y1 = x0 - inset, x1 + inset, y0 - inset, y1 + inset
        crop = text_ink[y0:y1, x0:x1]
        lines = []
        for a, b in _line_bands(crop, glyph_h):
            cols = np.flatnonzero(crop[a:b].any(axis=0))
            lines.append((x0 + int(cols[0]), y0 + a, x0 + int(cols[-1]) + 1, y0 + b))
        cells[root] = _Cell(r0, c0, (x0, y0, x1, y1), lines)

    crops, owners = [], []
    for root, cell in cells.items():
        for lx0, ly0, lx1, ly1 in cell.lines:
            # Paper around the line in proportion to its height: a lone '0' with much paper around it
            # reads as 'o' or nothing (as in ocr.scan_words).
            pad = max(1, round(LINE_PAD * (ly1 - ly0)))
            crop = img.gray[max(0, ly0 - pad):ly1 + pad, max(0, lx0 - pad):lx1 + pad].copy()
            # The rules' pixels near the crop edge are painted white, so no stroke of a rule is read as '1';
            # the rest stays as scanned (a decimal point is smaller than the specks the line finder ignores).
            crop[rules[max(0, ly0 - pad):ly1 + pad, max(0, lx0 - pad):lx1 + pad] > 0] = 255
            crops.append(crop)
            owners.append(root)
    readings = recognize_lines(crops)
    lines_of: dict[int, list[tuple[str, float, str, float]]] = {root: [] for root in cells}
    for root, reading in zip(owners, readings, strict=True):
        lines_of[root].append(reading)
    final = {root: cell_reading(lines_of[root]) for root in cells}

    rows: list[list[GridCell]] = []
    for r in range(n_r):
        row = []
        for c in range(n_c):
            root = uf.find(r * n_c + c)
            cell = cells[root]
            text, conf = final[root]
            row.append(GridCell(text, h_copy=c > cell.c0, v_copy=r > cell.r0, conf=conf))
        rows.append(row)
    return Grid(rows, [img.page] * n_r, origin)
