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
