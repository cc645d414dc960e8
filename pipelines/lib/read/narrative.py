"""Numbers a report's own prose states for a table-二 cell, used to pick the one reading of a digit run.

Crawler renderings glue a table-二 row's cells together ('行政规范性文件15621'). Table 二 has no
arithmetic, so the digits alone often allow several readings. Many reports also say the same numbers in
words ('废止规范性文件6件，制定规范性文件15件'). A statement counts only when one clause names one
column's verb, the row's subject right after it, and an exact count ('15件', not '500余份'); clauses about
several years or about reviewing documents are ignored. A reading is chosen only when it is the single
reading that agrees with the most statements, so a statement that contradicts every reading decides
nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_CLAUSE_SPLIT_RE = re.compile(r"[。；;，,！!？?\n]")
# Clauses about many years, or about handling documents rather than issuing them, state other counts.
_OFF_TOPIC = ("历年", "累计", "清理", "审查", "备案", "解读", "梳理", "征求", "评估", "报送")
_SUBJECTS = {
    "normative_documents": r"(?:行政)?规范性文件",
    "regulations": r"(?<!部门)规章",
}
# Column verbs per template; the subject must follow the verb within the clause.
_VERBS = {
    "2021": {"issued": r"制发|制定|印发|出台", "repealed": r"废止|宣布失效", "in_force": r"现行有效"},
    "2019": {"new_made": r"制发|制定|印发|出台|制作"},
}
_COUNT_RE = re.compile(r"\s*(?:共计|共|计|合计)?\s*(\d+)\s*(?:件|份|部|个)(?![余多])")


@dataclass(frozen=True)
class Statement:
    row_code: str
    col_code: str
    value: int
    text: str  # the clause, for the warning a person reads


def t2_statements(text: str, template: str) -> list[Statement]:
    """Every exact count the prose states for a table-二 row and column of this template."""
    verbs = _VERBS.get(template, {})
    out: list[Statement] = []
    for clause in _CLAUSE_SPLIT_RE.split(text):
        if len(clause) > 120 or any(w in clause for w in _OFF_TOPIC):
            continue
        for row_code, subject in _SUBJECTS.items():
            for sm in re.finditer(subject, clause):
                cm = _COUNT_RE.match(clause, sm.end())
                if cm is None:
                    continue
                before = clause[: sm.start()]
                cols = [col for col, verb in verbs.items() if re.search(verb, before)]
                if len(cols) == 1:  # one verb only: '制定和废止规范性文件N件' says nothing about either
                    out.append(Statement(row_code, cols[0], int(cm.group(1)), clause.strip()))
    return out


def choose_reading(readings: Sequence[Sequence[float]], columns: Sequence[str], row_code: str,
                   statements: Sequence[Statement]) -> tuple[int, list[Statement]] | None:
    """(index of the reading the prose singles out, the statements it agrees with), or None."""
    relevant = [s for s in statements if s.row_code == row_code and s.col_code in columns]
    if not relevant or len(readings) < 2:
        return None
    scores = []
    for reading in readings:
        agree = [s for s in relevant if reading[columns.index(s.col_code)] == s.value]
        scores.append(agree)
    best = max(len(a) for a in scores)
    winners = [i for i, a in enumerate(scores) if len(a) == best]
    if best == 0 or len(winners) != 1:
        return None
    return winners[0], scores[winners[0]]
