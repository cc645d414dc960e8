"""Reading one printed cell as a number, the way agencies print them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipelines.lib.harmonize.normalize import nfkc, squash_spaces

# Printed placeholders that mean "nothing to report": stored as 0 with the blank flag.
BLANK_MARKS = {"", "-", "--", "—", "——", "–", "/", "无", "空", "不适用", "N/A", "NA", "n/a", "×"}
UNITS = {"万元": 10000.0, "元": 1.0, "件": 1.0, "个": 1.0, "项": 1.0, "条": 1.0, "次": 1.0, "人次": 1.0}
_NUMBER_RE = re.compile(r"^([+-]?\d+(?:\.\d+)?)(万元|元|件|个|项|条|人次|次)?$")


@dataclass(frozen=True)
class CellValue:
    value: float
    blank: bool
    unit: str | None = None
    unit_factor: float = 1.0


class UnreadableCell(ValueError):
    pass


@lru_cache(maxsize=65536)  # labels raise in parse_cell, and lru_cache does not keep exceptions
def looks_numeric(text: str | None) -> bool:
    """True for a cell that is a number or a blank mark (not a label)."""
    try:
        parse_cell(text)
    except UnreadableCell:
        return False
    return True


@lru_cache(maxsize=65536)  # reports print the same few cell texts ('0', '1', '—') thousands of times
def parse_cell(text: str | None) -> CellValue:
    """'251000元' -> 251000 (unit 元); '7,545万元' -> 75450000 (x10000); '—' -> 0 blank; '０１' -> 1."""
    s = squash_spaces(nfkc(text or ""))
    if s in BLANK_MARKS:
        return CellValue(0.0, True)
    s = s.replace(",", "").replace("，", "")
    if s.startswith("−"):
        s = "-" + s[1:]
    m = _NUMBER_RE.match(s)
    if not m:
        raise UnreadableCell(f"cell {text!r} is not a number")
    unit = m.group(2)
    factor = UNITS.get(unit, 1.0) if unit else 1.0
    return CellValue(float(m.group(1)), False, unit, factor)
