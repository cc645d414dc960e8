"""The canonical codes (data dictionary) loaded from ``pipelines/data/codes.yaml``.

That file is a copy of the shared spec and is the single source of codes: every
other module asks this one which codes exist and in which order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

CODES_PATH = Path(__file__).resolve().parent.parent / "data" / "codes.yaml"
TEMPLATES = ("2019", "2021")


@dataclass(frozen=True)
class ProactiveItem:
    item: str
    rows: dict[str, str]
    columns: dict[str, str]


@dataclass(frozen=True)
class Codes:
    requester_types: dict[str, str]
    request_rows: dict[str, str]
    outcome_groups: dict[str, list[str]]
    proceedings: dict[str, str]
    results: dict[str, str]
    proactive: dict[str, dict[str, ProactiveItem]]
    raw: dict

    def request_rows_for(self, template: str, split_other: bool) -> list[str]:
        """Table-3 row codes a report prints, in printed order.

        ``split_other`` says whether the report printed the three （六） sub-rows
        (2021 layout) or the single （六）其他处理 row (2019 layout).
        """
        rows = []
        for code in self.request_rows:
            if code.startswith("other_") and code != "other_total" and not split_other:
                continue
            if code == "other_total" and split_other:
                continue
            rows.append(code)
        return rows

    def outcome_rows(self) -> list[str]:
        return [c for group in self.outcome_groups.values() for c in group]


@cache
def load_codes(path: Path = CODES_PATH) -> Codes:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    rl = raw["review_litigation"]
    proactive = {
        template: {
            item: ProactiveItem(item=item, rows=dict(spec["rows"]), columns=dict(spec["columns"]))
            for item, spec in items.items()
        }
        for template, items in raw["proactive"].items()
    }
    return Codes(
        requester_types=dict(raw["requester_types"]),
        request_rows=dict(raw["request_rows"]),
        outcome_groups={k: list(v) for k, v in raw["outcome_groups"].items()},
        proceedings=dict(rl["proceedings"]),
        results=dict(rl["results"]),
        proactive=proactive,
        raw=raw,
    )


# ---------------------------------------------------------------- analyst warehouse (issue 4)

@dataclass(frozen=True)
class Sector:
    code: str
    zh: str
    en: str
    keywords: tuple[str, ...]


def sectors(codes: Codes | None = None) -> list[Sector]:
    """The sector taxonomy (codes.yaml `sectors:`), in file order."""
    raw = (codes or load_codes()).raw.get("sectors", {})
    return [Sector(code, spec["zh"], spec["en"], tuple(spec["keywords"])) for code, spec in raw.items()]


def region_aliases(codes: Codes | None = None) -> dict[str, str]:
    """Zone name -> 6-digit adcode of the division that hosts it (codes.yaml `region_aliases:`)."""
    return {k: str(v) for k, v in (codes or load_codes()).raw.get("region_aliases", {}).items()}


def agency_abbreviations(codes: Codes | None = None) -> dict[str, str]:
    """Short agency name -> full name (codes.yaml `agency_abbreviations:`)."""
    return dict((codes or load_codes()).raw.get("agency_abbreviations", {}))


def proactive_crosswalk(codes: Codes | None = None) -> list[dict]:
    """Table-二 crosswalk rows 2019 <-> 2021 (codes.yaml `proactive_crosswalk:`)."""
    return [dict(r) for r in (codes or load_codes()).raw.get("proactive_crosswalk", [])]


def code_labels(codes: Codes | None = None) -> list[tuple[str, str, str, str]]:
    """(domain, code, label_zh, label_en) for every code of every domain.

    Table-二 rows and columns whose Chinese wording differs between templates get both wordings
    ("2019 / 2021"), so each code has one row.
    """
    c = codes or load_codes()
    en = c.raw.get("labels_en", {})
    zh_extra = c.raw.get("labels_zh", {})
    out: list[tuple[str, str, str, str]] = []

    def add(domain: str, en_key: str, zh: dict[str, str]) -> None:
        for code, label in zh.items():
            out.append((domain, code, label, en.get(en_key, {}).get(code, code)))

    add("template", "templates", {t: f"{t}年模板" for t in c.raw["templates"]})
    add("requester_type", "requester_types", c.requester_types)
    add("request_row", "request_rows", c.request_rows)
    add("outcome_group", "outcome_groups", zh_extra.get("outcome_groups", {}))
    add("proceeding", "proceedings", c.proceedings)
    add("result", "results", c.results)
    add("proactive_item", "proactive_items", zh_extra.get("proactive_items", {}))
    rows: dict[str, list[str]] = {}
    cols: dict[str, list[str]] = {}
    for template in TEMPLATES:
        for it in c.proactive.get(template, {}).values():
            for code, label in it.rows.items():
                if label not in rows.setdefault(code, []):
                    rows[code].append(label)
            for code, label in it.columns.items():
                if label not in cols.setdefault(code, []):
                    cols[code].append(label)
    add("proactive_row", "proactive_rows", {k: " / ".join(v) for k, v in rows.items()})
    add("proactive_column", "proactive_columns", {k: " / ".join(v) for k, v in cols.items()})
    out += [("sector", s.code, s.zh, s.en) for s in sectors(c)]
    out += [("admin_level", k, v["zh"], v["en"]) for k, v in c.raw.get("admin_levels", {}).items()]
    return out


def row_columns(codes: Codes | None = None) -> list[tuple[str, str, str | None, str, str, int, str]]:
    """(table_no, template, item, row_code, col_code, position, col_label): the cells of every printed row,
    per template, in printed column order (position from 1).

    The order in which a row's cells are printed, and so the order of an unresolved row's readings
    ('69/3/665') and of a person's reading given to `gongkai resolve`.
    """
    c = codes or load_codes()
    out: list[tuple[str, str, str | None, str, str, int, str]] = []
    for template in TEMPLATES:
        for row in c.request_rows:
            out += [("T3", template, None, row, col, k, label)
                    for k, (col, label) in enumerate(c.requester_types.items(), 1)]
        for proc in c.proceedings:
            out += [("T4", template, None, proc, res, k, label) for k, (res, label) in enumerate(c.results.items(), 1)]
        for it in c.proactive.get(template, {}).values():
            for row in it.rows:
                out += [("T2", template, it.item, row, col, k, label)
                        for k, (col, label) in enumerate(it.columns.items(), 1)]
    return out
