"""The tables' own arithmetic as the safety net of OCR: a misread digit breaks a sum, and the sums say which.

Only numbers read by OCR (``Fact.confidence`` set) are ever changed, and only like this:

* the broken sums (R1–R4 of formats.md, the ones whose cells were all read) are grouped where they
  share cells; for each group, a *candidate* is an OCR cell that lies in every broken sum of the group
  and in no sum that holds, whose one new value restores all of them, a non-negative whole number a
  recogniser could have misread (one digit changed, dropped, added, or two swapped);
* exactly one candidate the recogniser doubted (confidence below ``LOW_CONFIDENCE``, or a cell where no ink
  was found, the known way OCR loses a lone digit): the value is
  corrected and marked ``inferred_how = 'ocr_arithmetic'`` (``printed`` keeps what OCR read);
* several doubted candidates: their rows leave the facts for ``unresolved_rows`` with every reading
  that fits, never a guess;
* no doubted candidate: every reading was confident, so the sum is broken as printed; it loads as
  read and the quality rules report it, like any report with wrong arithmetic.

A table-二 cell has no sum to check it: when OCR doubted it much (``UNCHECKED_CONFIDENCE``), its row
goes to ``unresolved_rows`` too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.lib.codes import load_codes
from pipelines.lib.model import Fact, UnresolvedRow

LOW_CONFIDENCE = 0.9  # below: the recogniser itself doubted the reading
UNCHECKED_CONFIDENCE = 0.6  # below, for a cell no sum checks: too doubtful to load
FRAME_ROWS = ("received_new", "carried_over_from_prior", "processed_total", "carried_forward")
T3_PARTS = ("natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
            "legal_service_org", "other_org")
T4_PARTS = ("upheld", "corrected", "other", "pending")

Key = tuple[str, str, str]


@dataclass(frozen=True)
class Sum:
    """sum(lhs) = sum(rhs), named by its rule."""

    rule: str
    lhs: tuple[Key, ...]
    rhs: tuple[Key, ...]

    def residual(self, vals: dict[Key, float]) -> float:
        return sum(vals[k] for k in self.lhs) - sum(vals[k] for k in self.rhs)

    def sign(self, key: Key) -> int:
        return (1 if key in self.lhs else 0) - (1 if key in self.rhs else 0)

    def cells(self) -> tuple[Key, ...]:
        return self.lhs + self.rhs


@dataclass
class RepairResult:
    facts: list[Fact]
    unresolved: list[UnresolvedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    corrected: int = 0


def table_sums(keys: set[Key]) -> list[Sum]:
    """R1–R4 over the cells present (a sum with a cell not read is not checked)."""
    codes = load_codes()
    t3_rows = sorted({r for t, r, _ in keys if t == "T3"})
    outcome_rows = [r for r in codes.request_rows if r not in FRAME_ROWS and ("T3", r, "total") in keys]
    if any(r.startswith("other_") and r != "other_total" for r in outcome_rows):
        outcome_rows = [r for r in outcome_rows if r != "other_total"]  # 2021: other_total is derived
    sums = []
    for r in t3_rows:
        sums.append(Sum(f"R3 {r}", (("T3", r, "total"),), tuple(("T3", r, c) for c in T3_PARTS)))
    for c in (*T3_PARTS, "total"):
        sums.append(Sum(f"R1 {c}", (("T3", "received_new", c), ("T3", "carried_over_from_prior", c)),
                        (("T3", "processed_total", c), ("T3", "carried_forward", c))))
        sums.append(Sum(f"R2 {c}", (("T3", "processed_total", c),), tuple(("T3", r, c) for r in outcome_rows)))
    for p in codes.proceedings:
        sums.append(Sum(f"R4 {p}", (("T4", p, "total"),), tuple(("T4", p, c) for c in T4_PARTS)))
    return [s for s in sums if s.rhs and all(k in keys for k in s.cells())]


def _plausible_misread(printed: str, value: int) -> bool:
    """Could a recogniser have read ``value`` as ``printed``: one digit changed, dropped or added, or two swapped."""
    a = "".join(ch for ch in (printed or "") if ch.isdigit())
    b = str(value)
    if a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    short, long_ = sorted((a, b), key=len)
    if len(long_) - len(short) != 1:
        return False
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def _doubted(f: Fact) -> bool:
    """OCR doubted the reading, or found no ink where a lone digit may have been (the recogniser never saw it)."""
    return (f.confidence or 0) < LOW_CONFIDENCE or not (f.printed or "").strip()


def _groups(broken: list[Sum]) -> list[list[Sum]]:
    groups: list[list[Sum]] = []
    for s in broken:
        touching = [g for g in groups if any(set(s.cells()) & set(t.cells()) for t in g)]
        merged = [s] + [t for g in touching for t in g]
        groups = [g for g in groups if g not in touching] + [merged]
    return groups


def repair(facts: list[Fact]) -> RepairResult:
    """Facts with OCR misreads corrected where the sums allow exactly one correction (see module doc)."""
    if not any(f.confidence is not None for f in facts):
        return RepairResult(facts)
    by_key = {(f.table, f.row_code, f.col_code): f for f in facts if f.table in ("T3", "T4") and not f.derived}
    vals = {k: f.value for k, f in by_key.items()}
    sums = table_sums(set(by_key))
    broken = [s for s in sums if abs(s.residual(vals)) > 1e-9]
    out = RepairResult(facts)
    drop_rows: dict[tuple[str, str], list[str]] = {}
    for group in _groups(broken):
        others = [s for s in sums if s not in group]
        cands: list[tuple[Key, int]] = []
        for key in {k for s in group for k in s.cells()}:
            f = by_key[key]
            if f.confidence is None or not all(s.sign(key) for s in group) or any(s.sign(key) for s in others):
                continue
            news = {vals[key] - s.residual(vals) * s.sign(key) for s in group}
            if len(news) != 1:
                continue
            new = news.pop()
            if new < 0 or new != int(new) or not _plausible_misread(f.printed or "", int(new)):
                continue
            cands.append((key, int(new)))
        doubted = sorted((c for c in cands if _doubted(by_key[c[0]])),
                         key=lambda c: by_key[c[0]].confidence or 0)
        rules = ", ".join(s.rule for s in group)
        if len(doubted) == 1:
            key, new = doubted[0]
            f = by_key[key]
            out.warnings.append(f"OCR read {f.printed!r} in {f.table} {f.row_code}/{f.col_code} with confidence "
                                f"{f.confidence:.2f}; {rules} hold only with {new}, which was loaded (ocr_arithmetic)")
            f.value, f.inferred, f.inferred_how = float(new) * f.unit_factor, True, "ocr_arithmetic"
            vals[key] = f.value
            out.corrected += 1
        elif len(doubted) > 1:
            for key, new in doubted:
                drop_rows.setdefault((key[0], key[1]), []).append(f"{key[2]}={new}")
        else:
            out.warnings.append(f"{rules} do not hold as OCR read them with confidence; loaded as read "
                                "(the report's own arithmetic, or a confident misread: the quality rules show it)")
    for f in facts:  # table 二: no sum checks these cells
        if f.table == "T2" and f.confidence is not None and f.confidence < UNCHECKED_CONFIDENCE:
            drop_rows.setdefault(("T2", f.row_code), []).append(f"{f.col_code}: OCR read {f.printed!r} "
                                                               f"(confidence {f.confidence:.2f})")
    if drop_rows:
        out.facts = [f for f in facts if (f.table, f.row_code) not in drop_rows]
        for (table, row), readings in drop_rows.items():
            row_facts = [f for f in facts if f.table == table and f.row_code == row]
            label = next((f.row_label for f in row_facts if f.row_label), row) or row
            printed = "/".join(f.printed or "" for f in row_facts)
            if table == "T2":
                detail = (f"Table 二 row {label}: OCR doubted its reading and no sum can check it; the row is "
                          "left out rather than guessed.")
                reason = "ocr_uncertain"
            else:
                detail = (f"Table {'三' if table == 'T3' else '四'} row {label}: as OCR read it the table's sums "
                          f"break, and more than one doubted cell could be the misread one; the row is left out "
                          "rather than guessed (readings: each alternative alone restores the sums).")
                reason = "ambiguous_cells"
            out.unresolved.append(UnresolvedRow(table, row, label, printed, reason, detail, readings))
    return out
