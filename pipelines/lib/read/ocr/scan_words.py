"""Words of a scanned page without ruling lines: ink grouped into words, each word recognised on its own.

A table printed without rules has only the gaps between its cells. So the page's ink (after the local
threshold, specks dropped) is grouped the way a reader sees it:

* pieces of ink on one line join when the gap between them is less than ``WORD_GAP`` of their height
  (the characters of a label, the digits of a number, a '，' or '一' that sits inside its neighbours' band);
  two numbers in neighbouring columns are several characters apart, so they stay separate words;
* flat pieces stacked in one character's height join (the strokes of 三 or 二 printed alone, as a
  label stacked one character per line is);
* each word is recognised alone (free and digits-only readings, ``engine.recognize_lines``), the other
  words' ink painted out of its crop; a word is a number or a label by the same rule as a ruled cell
  (``scan_table.cell_reading``).

The words come back in points (1/72 in) with their confidence, so ``pdf_text_layout`` rebuilds rows and
columns from them exactly as it does from a text layer's words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

from pipelines.lib.read.ocr.engine import recognize_lines
from pipelines.lib.read.ocr.scan_table import PageImage, _clean_ink, binarize, cell_reading
from pipelines.lib.read.union_find import UnionFind

_CJK_RE = re.compile(r"[\u3400-\u9fff]")
WORD_GAP = 0.8  # of the taller piece's height: characters of a word are closer, cells of a table further apart
SAME_LINE = 0.5
SMALL_MARK = 0.5  # a piece less than this share of its neighbour's height is a mark ('、', '，', '.')
FLAT = 0.3  # a word flatter than this share of the print around it is a stroke ('一', '—')
SURE_DASH = 0.8  # a flat stroke is a printed dash (a blank cell) only when read as one this surely
MARK_GAP = 1.5  # of the neighbour's height: how far left of its character a mark may sit  # share of the smaller piece's height that must overlap the other's band to be on its line
GLYPH_PT = 9.0  # the tallest table print (as scan_table): stacked pieces of one character fit in 1.25 of it
LABEL_GAP = 1.5  # of the line's height: the widest gap a punctuation mark leaves inside a label
PAD = 0.15  # of a word's height, the paper kept around it in its crop
SQUARE = 1.2  # a character is about as tall as it is wide: strokes stacked taller are two characters
FONT_BOX = 1.4
MAX_GLYPH_PT = 30.0  # no character of a report is this tall or wide (titles are ~16 pt)  # a text layer's word box is ~1.4x the ink height of its characters (ascent + descent)


@dataclass
class OcrWord:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    conf: float


def _groups(boxes: np.ndarray, join) -> list[list[int]]:
    """Indices of boxes (x0, y0, x1, y1) grouped by ``join(a, b)``, tried for boxes whose x ranges come close."""
    n = len(boxes)
    uf = UnionFind(n)
    order = np.argsort(boxes[:, 0], kind="stable")
    heights = boxes[:, 3] - boxes[:, 1]
    reach = max(WORD_GAP, MARK_GAP) * float(heights.max(initial=1))
    for k, a in enumerate(order):
        ax1 = boxes[a, 2]
        for b in order[k + 1:]:
            if boxes[b, 0] > ax1 + reach:
                break
            if join(boxes[a], boxes[b]):
                uf.union(int(a), int(b))
    out: dict[int, list[int]] = {}
    for i in range(n):
        out.setdefault(uf.find(i), []).append(i)
    return list(out.values())


def _on_one_line(a: np.ndarray, b: np.ndarray) -> bool:
    """Two pieces of one word: on one line and closer than a word gap. A piece much lower than its
    neighbour (a mark '、' '，', a flat stroke like the 一 of '一、') counts as on its line when its centre is
    inside the neighbour's band; a mark (small both ways) may stand further off to the left of its character
    (it fills only a corner of its square)."""
    if a[0] > b[0]:
        a, b = b, a
    ha, hb = a[3] - a[1], b[3] - b[1]
    tall = max(ha, hb)
    gap = b[0] - a[2]
    small, big = (a, b) if ha < hb else (b, a)
    if small[3] - small[1] < SMALL_MARK * tall:
        if not big[1] - 0.1 * tall <= (small[1] + small[3]) / 2 <= big[3] + 0.1 * tall:
            return False
        mark = small[2] - small[0] < SMALL_MARK * tall
        return gap <= (MARK_GAP if mark and small is a else WORD_GAP) * tall
    overlap = min(a[3], b[3]) - max(a[1], b[1])
    return overlap >= SAME_LINE * min(ha, hb) and gap <= WORD_GAP * tall


def _union(boxes: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    return np.array([[boxes[g, 0].min(), boxes[g, 1].min(), boxes[g, 2].max(), boxes[g, 3].max()] for g in groups],
                    dtype=np.float64).reshape(-1, 4)


def _stacked_glyphs(boxes: np.ndarray, glyph: float) -> list[list[int]]:
    """Boxes one above the other that together make one character: the strokes of 三 or 二 printed alone
    (a label stacked one character per line). Closest first, and only while the whole stays within a
    character's square (no taller than ``SQUARE`` times its width, nor than ``glyph``): the last stroke of
    one 三 and the first of the 三 below are close, but together with the rest of either they are not a character."""
    n = len(boxes)
    uf = UnionFind(n)
    whole = boxes.copy()
    pairs = []
    order = np.argsort(boxes[:, 1], kind="stable")
    for k, a in enumerate(order):
        for b in order[k + 1:]:
            gap = boxes[b, 1] - boxes[a, 3]
            if gap > glyph:
                break
            x_overlap = min(boxes[a, 2], boxes[b, 2]) - max(boxes[a, 0], boxes[b, 0])
            if x_overlap >= 0.6 * min(boxes[a, 2] - boxes[a, 0], boxes[b, 2] - boxes[b, 0]):
                pairs.append((max(gap, 0.0), int(a), int(b)))
    for _gap, a, b in sorted(pairs):
        ra, rb = uf.find(a), uf.find(b)
        if ra == rb:
            continue
        u = np.array([min(whole[ra, 0], whole[rb, 0]), min(whole[ra, 1], whole[rb, 1]),
                      max(whole[ra, 2], whole[rb, 2]), max(whole[ra, 3], whole[rb, 3])])
        height = u[3] - u[1]
        if height <= glyph and height <= SQUARE * (u[2] - u[0]):
            uf.union(ra, rb)
            whole[uf.find(ra)] = u
    out: dict[int, list[int]] = {}
    for i in range(n):
        out.setdefault(uf.find(i), []).append(i)
    return list(out.values())


def word_boxes(ink: np.ndarray, dpi: float) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """(word boxes in pixels, the label image of the ink's pieces, each word's piece labels)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    if n <= 1:
        return np.zeros((0, 4)), labels, []
    # A piece bigger than any character (a rule, an underline, the dark edge of a photographed page) is
    # no text, and would pull every word it touches into one.
    big = (stats[:, 2] > MAX_GLYPH_PT * dpi / 72) | (stats[:, 3] > MAX_GLYPH_PT * dpi / 72)
    big[0] = False
    if big.any():
        ink = np.where(big[labels], 0, ink).astype(np.uint8)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
        if n <= 1:
            return np.zeros((0, 4)), labels, []
    pieces = np.column_stack([stats[1:, 0], stats[1:, 1], stats[1:, 0] + stats[1:, 2],
                              stats[1:, 1] + stats[1:, 3]]).astype(np.float64)
    words = _groups(pieces, _on_one_line)
    boxes = _union(pieces, words)
    # Flat pieces stacked within one character's square (三 printed alone) are one character.
    merged = _stacked_glyphs(boxes, 1.25 * GLYPH_PT * dpi / 72.0)
    words = [[p for w in m for p in words[w]] for m in merged]
    # Once whole, a character joins its line: the 一 and 、 of '一、本年新收' are too flat to be on it alone.
    again = _groups(_union(pieces, words), _on_one_line)
    words = [[p for w in m for p in words[w]] for m in again]
    return _union(pieces, words), labels, [[p + 1 for p in w] for w in words]


_PUNCT = "，、：；。（）()“”\"'《》,.:;"
_ORDINAL_ONLY = re.compile(r"^\d{1,2}[.、．]?$")


def _joins_label(left: OcrWord, left_free: str, right: OcrWord) -> bool:
    """Two words of one label that a wide punctuation mark ('，', '：', '）') or an ordinal ('1.') split:
    the next word is a label on the same line, close, and the break is at punctuation or after an ordinal."""
    h = max(left.y1 - left.y0, right.y1 - right.y0)
    overlap = min(left.y1, right.y1) - max(left.y0, right.y0)
    gap = right.x0 - left.x1
    if overlap < SAME_LINE * min(left.y1 - left.y0, right.y1 - right.y0) or not -0.2 * h <= gap <= LABEL_GAP * h:
        return False
    if not _CJK_RE.search(right.text):
        return False
    if _ORDINAL_ONLY.match(left_free.strip()):
        return True
    return bool(_CJK_RE.search(left.text)) and (left.text[-1] in _PUNCT or right.text[0] in _PUNCT)


def read_words(img: PageImage, *, top: float = 0.0, bottom: float = 1.0) -> list[OcrWord]:
    """Every word printed between ``top`` and ``bottom`` (shares of the page height), in points."""
    dpi = img.dpi
    ink = _clean_ink(binarize(img.gray, dpi), max(4, int((dpi / 100) ** 2 * 3)))
    h_img, w_img = ink.shape
    ink[: int(top * h_img)] = 0
    ink[int(bottom * h_img):] = 0
    boxes, labels, members = word_boxes(ink, dpi)
    crops = []
    for (x0, y0, x1, y1), mine in zip(boxes.astype(int), members, strict=True):
        pad = max(1, round(PAD * (y1 - y0)))  # a lone '0' with more paper around it reads as 'o' or nothing
        ya, yb, xa, xb = max(0, y0 - pad), min(h_img, y1 + pad), max(0, x0 - pad), min(w_img, x1 + pad)
        crop = img.gray[ya:yb, xa:xb].copy()
        lab = labels[ya:yb, xa:xb]
        crop[(lab > 0) & ~np.isin(lab, mine)] = 255  # another word's ink reaching into the crop
        crops.append(crop)
    to_pt = 72.0 / dpi
    read: list[tuple[OcrWord, str]] = []
    typical = float(np.median(boxes[:, 3] - boxes[:, 1])) if len(boxes) else 0.0
    for (x0, y0, x1, y1), reading in zip(boxes, recognize_lines(crops), strict=True):
        text, conf = _word_reading(reading, y1 - y0, x1 - x0, typical)
        if not text:
            continue
        # The word-position reader's tolerances are set for a text layer's word boxes (ascent to descent).
        cy, half = (y0 + y1) / 2 * to_pt, (y1 - y0) * to_pt * FONT_BOX / 2
        read.append((OcrWord(x0 * to_pt, cy - half, x1 * to_pt, cy + half, text, conf), reading[0]))
    return _join_labels(read)


_DASHES = set("-－—–一_")


def _word_reading(reading: tuple[str, float, str, float], h: float, w: float, typical: float) -> tuple[str, float]:
    """A word's text and confidence. Its size says what it cannot be: a digit is at least half as tall as
    most print, so anything lower (a '、' of a stacked label, a speck, a smudge at the picture's edge) is
    never a number, whatever its digits-only reading invents; it is kept only as the punctuation it looks
    like, or as a printed dash (a blank cell) when flat and read surely."""
    free = reading[0].strip()
    if h >= SMALL_MARK * typical:
        return cell_reading([reading])
    if h < FLAT * typical and free and set(free) <= _DASHES and reading[1] >= SURE_DASH:
        return "-", reading[1]  # '—' printed for an empty cell (read as 一 or -)
    if w < SMALL_MARK * typical and free and all(ch in _PUNCT or _CJK_RE.match(ch) for ch in free):
        return free, reading[1]
    return "", 0.0


def _join_labels(read: list[tuple[OcrWord, str]]) -> list[OcrWord]:
    """Words of one label split at a wide punctuation mark or after an ordinal, joined again (left to right)."""
    read = sorted(read, key=lambda r: r[0].x0)
    out: list[OcrWord] = []
    free: list[str] = []
    gone: set[int] = set()
    for i, (w, f) in enumerate(read):
        if i in gone:
            continue
        for j in range(i + 1, len(read)):
            if j in gone:
                continue
            nxt = read[j][0]
            if nxt.x0 - w.x1 > LABEL_GAP * max(w.y1 - w.y0, nxt.y1 - nxt.y0):
                break
            if _joins_label(w, f, nxt):
                text = (f.strip() if _ORDINAL_ONLY.match(f.strip()) else w.text) + nxt.text
                w = OcrWord(w.x0, min(w.y0, nxt.y0), nxt.x1, max(w.y1, nxt.y1), text, min(w.conf, nxt.conf))
                f = text
                gone.add(j)
        out.append(w)
        free.append(f)
    return out
