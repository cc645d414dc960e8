"""Crawler text renderings in which table cells run together without separators.

The pingtan page.txt files flatten each table row to ``<label><digits>``, e.g.
``一、本年新收政府信息公开申请数量801000081``. The label sequence of tables 三 and 四 is
fixed by the template, so the rows are cut at the known labels; the digit run of a row
is then split into cells by enumerating EVERY split and keeping the ones the table's own
arithmetic allows:

* a printed count has no leading zero ('023' is '0', '23'); spaces are hard separators;
* R3 per row (总计 = sum of the six requester columns), then R1/R2 across rows (table 三);
* R4 per block (table 四).

A reading is accepted only when it is unique; otherwise the document is rejected with
``ambiguous_cells`` naming the row and its candidate readings. Agencies do print wrong
arithmetic (pingtan-zrz-2023, -jjf-2024, -2020), so when NO reading satisfies every
check the reader falls back to the readings that break the fewest checks, still only
if those agree on every value, and records the broken checks as warnings.

Table 二 has no arithmetic. A row whose digits allow several readings is settled only by the
report's own prose (``narrative.choose_reading``: the single reading agreeing with the counts the
text states, e.g. '制定规范性文件15件'); otherwise it is not guessed: the row becomes an
``UnresolvedRow`` (reason ``ambiguous_cells``, with its readings), kept out of the facts and shown
in the warehouse's ``unresolved_rows``, while the rest of the report loads.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipelines.lib.codes import load_codes
from pipelines.lib.harmonize.labels import T2_2019_PHRASES, T2_2021_PHRASES, org_column_names
from pipelines.lib.model import DocumentRejected, UnresolvedRow
from pipelines.lib.read.extract import Extracted
from pipelines.lib.read.grid import Grid
from pipelines.lib.read.narrative import choose_reading, t2_statements

T3_WIDTH = 7
T4_WIDTH = 15
# Beyond this many combined readings of the ambiguous table-三 rows the proof is not attempted.
MAX_COMBINATIONS = 200_000
# Beyond this many cuts of one digit run the run is refused instead of enumerated.
MAX_SPLITS = 100_000

_BODY_MARK_RE = re.compile(r"^=+\s*正文\s*=+\s*$", re.M)
_HEADER_LINE_RE = re.compile(r"^(标题|发布时间|文号|发布机构|栏目|原文链接|本地目录)\s*[:：]\s*(.*)$")
# Page chrome of the site template: '当前位置： 首页… 全真版 文字版 文件下载 相关链接： -->'.
_CHROME_HEAD_RE = re.compile(r"^\s*当前位置[:：].{0,400}?文件下载(?:\s*相关链接[:：])?(?:\s*-->)?\s*", re.S)
_CHROME_TAIL_RE = re.compile(r"\s*附件下载\s*$")


def nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _sp(literal: str) -> str:
    """Regex for a literal label that tolerates spaces between any two characters ('社会公益 组织')."""
    return r"\s*".join(re.escape(ch) for ch in nfkc(literal))


def _ordinal(ordinal: str) -> str:
    """Optional ordinal before a label. A digit ordinal must carry its dot: in '40000042.没有现成'
    the '2.' is the next label's ordinal, not a digit of the row."""
    o = nfkc(ordinal)
    if o[0].isdigit():
        return rf"(?:{o[0]}\s*[.、]\s*)?"
    return rf"(?:{_sp(o)}\s*)?"


# ---------------------------------------------------------------- splitting digit runs into cells

_COUNT_RE = re.compile(r"0|[1-9]\d*")
_SIGNED_RE = re.compile(r"0|-?[1-9]\d*")
_AMOUNT_RE = re.compile(r"(?:0|[1-9]\d*)(?:\.\d+)?")


class TooManyReadings(ValueError):
    pass


def _cell_ok(text: str, kind: str) -> bool:
    pattern = {"count": _COUNT_RE, "signed": _SIGNED_RE, "amount": _AMOUNT_RE}[kind]
    return pattern.fullmatch(text) is not None


def enumerate_splits(run: str, kinds: Sequence[str], *, fewest_blanks: bool = True) -> list[tuple[str, ...]]:
    """Every way to cut ``run`` into ``len(kinds)`` cells; '' is a blank cell.

    Whitespace in ``run`` is a hard cell boundary. A cell is a whole printed number of its
    column kind ('count': no sign, no leading zero; 'signed': may start with '-'; 'amount':
    may carry decimals). Blank cells are assumed only when the run has too few digits
    for the cells (the fewest blanks that make a reading possible): a row printing
    six digits for seven cells (pingtan-gaj-2019) or no digit at all (pingtan-scj-2022).
    ``fewest_blanks=False``: a blank may stand in any cell (a document that leaves its zeros blank).
    """
    groups = run.split()
    n = len(kinds)
    digits = sum(len(g) for g in groups)
    if n > 1 and digits > n and math.comb(digits - 1, n - 1) > MAX_SPLITS:
        # A run this long for so few cells means the row was mis-cut; do not enumerate it.
        raise TooManyReadings(f"{run!r} has over {MAX_SPLITS} ways to cut it into {n} cells")

    def rec(gi: int, pos: int, col: int, blanks: int) -> list[tuple[str, ...]]:
        if gi == len(groups):
            if col == n:
                return [()]
            if n - col <= blanks:
                return [("",) * (n - col)]
            return []
        if col == n:
            return []
        out: list[tuple[str, ...]] = []
        group = groups[gi]
        if blanks:
            out += [("",) + rest for rest in rec(gi, pos, col + 1, blanks - 1)]
        for end in range(pos + 1, len(group) + 1):
            cell = group[pos:end]
            if not _cell_ok(cell, kinds[col]):
                continue
            nxt = (gi + 1, 0) if end == len(group) else (gi, end)
            out += [(cell,) + rest for rest in rec(nxt[0], nxt[1], col + 1, blanks)]
        return out

    if not fewest_blanks:
        return sorted(set(rec(0, 0, 0, n)))  # ``blanks`` is a budget: up to n, so any number of them
    for blanks in range(n + 1):
        found = sorted(set(rec(0, 0, 0, blanks))) if groups or blanks == n else []
        if found:
            return found
    return []


def block_sums(blocks: Sequence[int]) -> list[tuple[int, ...]]:
    """Sum rules for consecutive blocks whose last cell is the sum of the others (table 三 [7], 四 [5, 5, 5])."""
    rules: list[tuple[int, ...]] = []
    for size in blocks:
        first = len(rules)
        rules += [()] * (size - 1) + [tuple(range(first, first + size - 1))]
    return rules


def checked_splits(run: str, blocks: Sequence[int] | None = None, limit: int = MAX_SPLITS, *,
                   blanks: bool = True, sums: Sequence[tuple[int, ...]] | None = None) -> list[tuple[str, ...]]:
    """Every reading of ``run`` as cells that keep the table's sums, when any cell may be blank (a document
    that leaves its zeros blank).

    ``blocks``: consecutive blocks, each block's last cell the sum of the others (``block_sums``); or
    ``sums``: per cell, the earlier cells it is the sum of (empty: a free count), e.g. a 小计 column inside
    table 三's row (自然人, five organisations, 小计 = their sum, 总计 = 自然人 + 小计).
    Unlike ``enumerate_splits`` no cell is assumed printed: a blank may stand anywhere, so a row printing
    ``1212`` reads as 12/…/12 with the 12 under any one of the requester columns. The sums are applied
    while cutting, which keeps the readings few enough to list. Raises TooManyReadings past ``limit``.
    ``blanks=False``: every cell printed (a table that prints its zeros), which is how a long run whose
    cuts are too many to list is still read under its sums.
    """
    groups = run.split()
    rules = list(sums) if sums is not None else block_sums(blocks or [])
    n = len(rules)
    # Each sum cell's running total of the cells it adds, carried in the state while cutting.
    targets = [j for j, refs in enumerate(rules) if refs]
    feeds = [tuple(t for t, j in enumerate(targets) if i in rules[j]) for i in range(n)]
    own = {j: t for t, j in enumerate(targets)}

    def bump(acc: tuple[int, ...], slot: int, value: int) -> tuple[int, ...]:
        if not value or not feeds[slot]:
            return acc
        out = list(acc)
        for t in feeds[slot]:
            out[t] += value
        return tuple(out)

    @functools.cache
    def rec(gi: int, pos: int, slot: int, acc: tuple[int, ...]) -> tuple[tuple[str, ...], ...]:
        if slot == n:
            return ((),) if gi == len(groups) else ()
        out: list[tuple[str, ...]] = []
        if slot in own:
            need = acc[own[slot]]
            if need == 0 and blanks:
                out += [("",) + rest for rest in rec(gi, pos, slot + 1, acc)]
            if gi < len(groups):
                cell = str(need)
                group = groups[gi]
                if group.startswith(cell, pos):
                    end = pos + len(cell)
                    nxt = (gi + 1, 0) if end == len(group) else (gi, end)
                    out += [(cell,) + rest for rest in rec(*nxt, slot + 1, bump(acc, slot, need))]
        else:
            if blanks:
                out += [("",) + rest for rest in rec(gi, pos, slot + 1, acc)]
            if gi < len(groups):
                group = groups[gi]
                for end in range(pos + 1, len(group) + 1):
                    cell = group[pos:end]
                    if not _cell_ok(cell, "count"):
                        break  # a leading zero: every longer cell has it too
                    nxt = (gi + 1, 0) if end == len(group) else (gi, end)
                    out += [(cell,) + rest for rest in rec(*nxt, slot + 1, bump(acc, slot, int(cell)))]
        if len(out) > limit:
            raise TooManyReadings(f"{run!r} has over {limit} readings that keep the sums")
        return tuple(out)

    try:
        return list(rec(0, 0, 0, (0,) * len(targets)))
    finally:
        rec.cache_clear()


def agreed_cells(readings: Sequence[Sequence[str]]) -> list[str | None]:
    """Per cell: its text where every reading gives it the same value (the text when they all print it
    alike, else the value), None where the readings disagree."""
    out: list[str | None] = []
    for cells in zip(*readings, strict=True):
        values = {_val(c) for c in cells}
        if len(values) > 1:
            out.append(None)
        elif len(set(cells)) == 1:
            out.append(cells[0])
        else:
            out.append(_num(values.pop()))
    return out


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)


def _val(cell: str) -> float:
    return float(cell) if cell else 0.0


def _show(reading: Sequence[str]) -> str:
    return "/".join(c if c else "(blank)" for c in reading)


def _r3_ok(reading: Sequence[str]) -> bool:
    return sum(_val(c) for c in reading[:6]) == _val(reading[6])


# ---------------------------------------------------------------- table 三

@dataclass(frozen=True)
class _RowSpec:
    code: str  # for the cross-row checks only; the shared interpreter maps the printed label
    ordinal: str
    head: str  # the label's opening words, enough to find it in order
    group: str = ""  # merged group label above the row ('（六）其他处理' for '3.其他')


_T3_HEAD = [
    _RowSpec("received_new", "一、", "本年新收"),
    _RowSpec("carried_over_from_prior", "二、", "上年结转"),
    _RowSpec("granted", "（一）", "予以公开"),
    _RowSpec("partially_granted", "（二）", "部分公开"),
    _RowSpec("denied_state_secret", "1.", "属于国家秘密"),
    _RowSpec("denied_law_prohibited", "2.", "其他法律行政"),
    _RowSpec("denied_security_stability", "3.", "危及"),
    _RowSpec("denied_third_party_rights", "4.", "保护第三方"),
    _RowSpec("denied_internal_affairs", "5.", "属于三类内部事务"),
    _RowSpec("denied_process_info", "6.", "属于四类过程性"),
    _RowSpec("denied_enforcement_file", "7.", "属于行政执法案卷"),
    _RowSpec("denied_admin_query", "8.", "属于行政查询"),
    _RowSpec("unavailable_not_held", "1.", "本机关不掌握"),
    _RowSpec("unavailable_needs_creation", "2.", "没有现成"),
    _RowSpec("unavailable_unclear", "3.", "补正后申请内容"),
    _RowSpec("not_processed_complaint", "1.", "信访举报"),
    _RowSpec("not_processed_duplicate", "2.", "重复申请"),
    _RowSpec("not_processed_publication", "3.", "要求提供公开出版物"),
    _RowSpec("not_processed_excessive", "4.", "无正当理由大量反复"),
    _RowSpec("not_processed_confirmation", "5.", "要求行政机关确认"),
]
_T3_OTHER_2019 = [_RowSpec("other_total", "（六）", "其他处理")]
_T3_OTHER_2021 = [
    _RowSpec("other_no_correction", "1.", "申请人无正当理由逾期不补正", "（六）其他处理"),
    _RowSpec("other_unpaid_fee", "2.", "申请人逾期未按收费通知", "（六）其他处理"),
    _RowSpec("other_other", "3.", "其他", "（六）其他处理"),
]
_T3_TAIL = [
    _RowSpec("processed_total", "（七）", "总计"),
    _RowSpec("carried_forward", "四、", "结转下年度"),
]
_T3_ANCHOR_RE = re.compile(r"(?:一\s*、\s*)?" + _sp("本年新收政府信息公开申请数量"))
# Table 四's heading, including the typo '行政法复议' (pingtan-2022, -shs-2025).
_T4_HEADING_RE = re.compile(r"四\s*、[^0-9。]{0,20}?行\s*政\s*法?\s*复\s*议")
_T4_HEADER_RE = re.compile(_sp("结果维持") + r"\s*" + _sp("结果纠正") + r"\s*" + _sp("其他结果") + r"\s*"
                           + _sp("尚未审结") + r"\s*" + _sp("总计"))
_SECTION5_RE = re.compile(r"五\s*、")
_DIGITS_RE = re.compile(r"\d[\d\s]*")
_SUBTOTAL_RE = re.compile(r"小\s*计|合\s*计")
_GROUP_HEADING_RE = re.compile(r"[(][一二三四五六七八九十][)]|[一二三四]\s*、")


@dataclass
class _Row:
    spec: _RowSpec
    label: str
    run: str
    readings: list[tuple[str, ...]] = field(default_factory=list)
    r3_failed: bool = False


def _cut_rows(region: str, specs: list[_RowSpec], warnings: list[str]) -> list[_Row]:
    """Locate the labels in printed order; a row's digits lie between its label and the next one."""
    found: list[tuple[_RowSpec, re.Match[str]]] = []
    pos = 0
    for spec in specs:
        tail = r"(?!\s*处\s*理)" if spec.code == "other_other" else ""  # '3.其他', not '其他处理'
        m = re.compile(_ordinal(spec.ordinal) + _sp(spec.head) + tail).search(region, pos)
        if m is None:
            warnings.append(f"table 三: row label {nfkc(spec.ordinal + spec.head)!r} not found in the text")
            continue
        found.append((spec, m))
        pos = m.end()
    rows = []
    for k, (spec, m) in enumerate(found):
        end = found[k + 1][1].start() if k + 1 < len(found) else len(region)
        span = region[m.end():end]
        if sub := _SUBTOTAL_RE.search(span):
            # A 小计 row some agencies add after a group's last row: its digits are its own, not this row's.
            span = span[: sub.start()]
        runs = list(_DIGITS_RE.finditer(span))
        tail = span[: runs[0].start()] if runs else span
        tail = tail[: g.start()] if (g := _GROUP_HEADING_RE.search(tail)) else tail
        label = re.sub(r"\s+", "", m.group(0) + tail)
        if len(runs) > 1:
            warnings.append(f"table 三: row {label!r} is followed by more digits than one row "
                            f"({', '.join(repr(r.group(0).strip()) for r in runs)}); only the first run was read")
        rows.append(_Row(spec, label, runs[0].group(0).strip() if runs else ""))
    return rows


def _t3_checks(rows: list[_Row], template_rows: list[str]) -> list[tuple[str, list[int], list[int]]]:
    """Column checks as (name, row indexes added, row indexes subtracted), per column later."""
    idx = {r.spec.code: i for i, r in enumerate(rows)}
    checks = []
    r1 = ["received_new", "carried_over_from_prior", "processed_total", "carried_forward"]
    if all(c in idx for c in r1):
        checks.append(("R1 (一+二 = （七）总计+四)", [idx[r1[0]], idx[r1[1]]], [idx[r1[2]], idx[r1[3]]]))
    outcomes = [c for c in template_rows if c not in r1]
    if all(c in idx for c in outcomes) and "processed_total" in idx:
        checks.append(("R2 (（七）总计 = sum of the outcome rows)", [idx[c] for c in outcomes],
                       [idx["processed_total"]]))
    return checks


def _failed(combo: Sequence[tuple[str, ...]], checks) -> list[str]:
    cols = list(load_codes().requester_types.values())
    out = []
    for name, plus, minus in checks:
        for c in range(T3_WIDTH):
            if sum(_val(combo[i][c]) for i in plus) != sum(_val(combo[i][c]) for i in minus):
                out.append(f"{name} in column {cols[c]}")
    return out


def _values(reading: Sequence[str]) -> tuple[float, ...]:
    return tuple(_val(c) for c in reading)


MAX_READINGS_LISTED = 200  # candidate readings kept on one unresolved row


_TABLE_NAMES = {"T2": "Table 二", "T3": "Table 三", "T4": "Table 四"}


def read_in_part(table: str, code: str, label: str, run: str, readings: Sequence[Sequence[str]],
                 columns: Sequence[tuple[str, str]], why: str, *,
                 agreed: list[str | None] | None = None) -> tuple[UnresolvedRow | None, list[str]]:
    """A row's cells where every reading agrees ("" where they do not: a placeholder build_report does not
    load), and the row listed as unresolved when any cell is in doubt: with the columns in doubt
    (``columns``: code, label) when some cells are read, as a whole row when none is. ``agreed``: the
    cells to trust, when the caller has already decided (all None: nothing is certain)."""
    if agreed is None:
        agreed = agreed_cells(readings) if readings else [None] * len(columns)
    cells = [c if c is not None else "" for c in agreed]
    doubt = [i for i, c in enumerate(agreed) if c is None]
    if not doubt:
        return None, cells
    shown = sorted({_show(r) for r in readings})
    partial = len(doubt) < len(columns)
    sample = f" ({' or '.join(shown[:6])}{' …' if len(shown) > 6 else ''})" if shown else ""
    what = (f"the cells they all agree on are loaded, {', '.join(columns[i][1] for i in doubt)} not" if partial
            else "no cell of the row is certain, so the row is not loaded")
    listed = UnresolvedRow(
        table, code, label, run, "ambiguous_cells",
        f"{_TABLE_NAMES[table]} row {label!r} prints the digits {run!r} with no separators; "
        f"{len(shown) or 'no'} readings {why}{sample}; {what}.",
        shown[:MAX_READINGS_LISTED], [columns[i][0] for i in doubt] if partial else [])
    return listed, cells


def _t3_in_part(row: _Row, readings: Sequence[Sequence[str]], why: str, unresolved: list[UnresolvedRow],
                agreed: list[str | None] | None = None) -> tuple[str, ...]:
    """Table 三 row ``row`` read where its readings agree (e.g. the 总计 of '220000022', 2/20/…/22 or
    22/0/…/22); the rest listed in ``unresolved``."""
    listed, cells = read_in_part("T3", row.spec.code, row.label, row.run, readings,
                                 list(load_codes().requester_types.items()), why, agreed=agreed)
    if listed is not None:
        unresolved.append(listed)
    return tuple(cells)


def _org_chain(text: str, backwards: bool) -> int:
    """How many organisation column names follow one another at the end (or start) of ``text``."""
    n = 0
    while True:
        hit = next((name for name in org_column_names() if (text.endswith(name) if backwards else text.startswith(name))),
                   None)
        if hit is None:
            return n
        text = text[: -len(hit)] if backwards else text[len(hit):]
        n += 1


def subtotal_in_header(header: str) -> int | None:
    """Where table 三's header puts a 小计 column among the 法人或其他组织 columns: the number of organisation
    columns printed before it, or None. ``header``: the text before the table's first row. The 小计 must
    stand in the chain of organisation names (商业企业科研机构…其他小计), whatever precedes the chain."""
    flat = re.sub(r"\s+", "", header)
    # Only 小计: some agencies call the 总计 column 合计, and a 合计 after 其他 is that column.
    for sub in reversed(list(re.finditer("小计", flat))):
        before = _org_chain(flat[: sub.start()], backwards=True)
        after = _org_chain(flat[sub.end():], backwards=False)
        if before + after >= 3:
            return before
    return None


def _subtotal_sums(k: int) -> list[tuple[int, ...]]:
    """Sum rules of a row with a 小计 column at k among the organisations: 自然人, the organisation cells
    with 小计 (their sum) among them, 总计 = 自然人 + 小计."""
    orgs = [1 + i for i in range(6) if i != k]
    rules: list[tuple[int, ...]] = [()] * 8
    rules[1 + k] = tuple(orgs)
    rules[7] = (0, 1 + k)
    return rules


def _drop_subtotal(reading: tuple[str, ...], k: int) -> tuple[str, ...]:
    return reading[: 1 + k] + reading[2 + k:]


def _solve_t3(rows: list[_Row], template_rows: list[str], warnings: list[str],
              unresolved: list[UnresolvedRow], subtotal_at: int | None = None) -> list[tuple[str, ...]]:
    """Each row's reading; a row whose readings the table's arithmetic does not settle (several readings
    keep every check, and they differ in this row) is added to ``unresolved`` and its reading holds only
    the cells the readings agree on ("" for the others, not loaded)."""
    width = T3_WIDTH + (subtotal_at is not None)
    for row in rows:
        try:
            everything = enumerate_splits(row.run, ["count"] * width)
            if subtotal_at is not None:
                # The 小计 column's own sum first: cut under it, and fall back to every cut only if none keeps it.
                kept = checked_splits(row.run, sums=_subtotal_sums(subtotal_at), blanks=False)
                everything = [_drop_subtotal(r, subtotal_at) for r in (kept or everything)]
        except TooManyReadings as e:
            raise DocumentRejected("parse", "ambiguous_cells", f"Table 三 row {row.label!r}: {e}.") from e
        if not everything:
            raise DocumentRejected("parse", "unreadable_cell",
                                   f"Table 三 row {row.label!r}: its digits {row.run!r} cannot be cut into "
                                   f"{width} cells.")
        r3 = [r for r in everything if _r3_ok(r)]
        # R3 is the first filter; a row the report itself got wrong keeps all its readings.
        row.readings, row.r3_failed = (r3, False) if r3 else (everything, True)
    checks = _t3_checks(rows, template_rows)
    free = [i for i, r in enumerate(rows) if len(r.readings) > 1]
    n_comb = 1
    for i in free:
        n_comb *= len(rows[i].readings)
    # Partial readings (some rows unresolved) only where the table prints every cell (no row needs a blank).
    # The readings assume blank cells only where the digits run short; in a table that leaves cells blank
    # that assumption fails unseen (a table with no zero printed is read by _solve_t3_blank instead).
    partial_ok = not any("" in reading for r in rows for reading in r.readings)
    if n_comb > MAX_COMBINATIONS:
        # Too many to prove: each row is read only in the cells its own readings agree on.
        if not partial_ok:
            raise DocumentRejected("parse", "ambiguous_cells", _ambiguity_text(rows, free, None, n_comb, 0))
        return _row_local(rows, template_rows, warnings, unresolved,
                          f"keep R3 (总计 = sum of the requester columns), and with the other ambiguous rows "
                          f"{n_comb} combinations are too many to check R1/R2")
    best: list[tuple[tuple[tuple[str, ...], ...], list[str]]] = []
    best_n = None
    base = [r.readings[0] for r in rows]
    for choice in itertools.product(*(rows[i].readings for i in free)):
        combo = list(base)
        for i, reading in zip(free, choice, strict=True):
            combo[i] = reading
        failed = _failed(combo, checks)
        if best_n is None or len(failed) < best_n:
            best, best_n = [], len(failed)
        if len(failed) == best_n:
            best.append((tuple(combo), failed))
    distinct = {tuple(_values(r) for r in combo) for combo, _ in best}
    unsettled: set[int] = set()
    if len(distinct) > 1:
        # Several readings keep every check: the rows they agree on are read, the others stay unresolved
        # (not guessed). When no reading keeps every check, or the table's key rows differ, it is refused.
        unsettled = {i for i in free if len({_values(c[i]) for c, _ in best}) > 1}
        if not partial_ok:
            raise DocumentRejected("parse", "ambiguous_cells", _ambiguity_text(rows, free, best, n_comb, best_n or 0))
        if best_n or any(r.r3_failed for r in rows):
            # No reading keeps every check: the report's own arithmetic is off somewhere, so R1/R2 cannot
            # choose; each row is read by its own sum only.
            return _row_local(rows, template_rows, warnings, unresolved,
                              "keep R3 (总计 = sum of the requester columns); the table breaks R1/R2 under every "
                              "reading, so they cannot choose")
    combo, failed = best[0]
    out: list[tuple[str, ...]] = []
    for i, row in enumerate(rows):
        if i in unsettled:
            out.append(_t3_in_part(row, [c[i] for c, _ in best],
                                   "keep the table's arithmetic (R3 in the row, R1/R2 across rows)", unresolved))
            continue
        texts = {c[i] for c, _ in best}
        if len(texts) > 1:
            # Readings differ only in which cell is blank; the values agree, so print them.
            warnings.append(f"table 三: row {row.label!r} prints {row.run!r}, fewer digits than cells; "
                            "the missing cell(s) were taken as 0 (every reading gives the same values)")
            out.append(tuple(str(int(v)) for v in _values(combo[i])))
        else:
            out.append(combo[i])
        if row.r3_failed:
            warnings.append(f"table 三: no split of row {row.label!r} ({row.run!r}) satisfies R3 "
                            f"(总计 = sum of the requester columns); kept {_show(out[-1])}, the reading that "
                            "breaks the fewest R1/R2 checks")
    if failed:
        warnings.append("table 三 (cells recovered from run-together text): the report's own arithmetic fails "
                        + "; ".join(failed) + "; the unique reading breaking the fewest checks was kept")
    return out


def leaves_zeros_blank(runs: Sequence[str], width: int) -> bool:
    """Whether a run-together table leaves its zero cells blank, from its rows' digits.

    A row of zeros only ('0000000', '0 00000') can only be zero cells printed (a count has no leading
    zero), so such a table prints its zeros and a blank is the exception (assumed only where the digits run
    short). Without one, a row with fewer digits than cells says the zeros are left blank, and then a
    blank may stand in any cell.
    """
    digits = [r.replace(" ", "") for r in runs]
    if any(d and set(d) == {"0"} for d in digits):
        return False
    return any(len(d) < width for d in digits)


def _totals_break(rows: list[_Row], agreed: list[list[str | None]], template_rows: list[str]) -> list[str]:
    """The column checks R1/R2 on the 总计 column, where every total they need was read."""
    totals = [a[T3_WIDTH - 1] for a in agreed]
    failed = []
    for name, plus, minus in _t3_checks(rows, template_rows):
        if (all(totals[i] is not None for i in plus + minus)
                and sum(_val(totals[i]) for i in plus) != sum(_val(totals[i]) for i in minus)):
            failed.append(name)
    return failed


def _solve_t3_blank(rows: list[_Row], template_rows: list[str], warnings: list[str],
                    unresolved: list[UnresolvedRow], subtotal_at: int | None = None) -> list[tuple[str, ...]]:
    """Table 三 of a document that leaves zeros blank: per row, the readings that keep R3 with a blank
    allowed in any cell; the cells they all agree on are read, the others listed in ``unresolved`` (the
    grid keeps "" there as a placeholder; build_report does not load it). Usually the 总计 column is
    certain and the requester columns are not: a number may stand under any of them.

    R3 is trusted only while the totals it settles keep R1/R2 down the 总计 column: a row the report got
    wrong can keep R3 by accident under a wrong cut, and then the totals stop adding up. In that case
    only the rows that print no digit (every cell blank, whatever the arithmetic) are read.
    """
    readings_of: list[list[tuple[str, ...]]] = []
    for row in rows:
        try:
            if subtotal_at is None:
                readings_of.append(checked_splits(row.run, [T3_WIDTH]))
            else:
                readings_of.append([_drop_subtotal(r, subtotal_at)
                                    for r in checked_splits(row.run, sums=_subtotal_sums(subtotal_at))])
        except TooManyReadings:
            readings_of.append([])
    agreed_of = [agreed_cells(r) if r else [None] * T3_WIDTH for r in readings_of]
    broken = _totals_break(rows, agreed_of, template_rows)
    if broken:
        warnings.append("table 三 (cells run together, zeros blank): the totals the rows' own sums settle break "
                        + " and ".join(broken) + "; a row may keep R3 only by accident, so only the rows that "
                        "print no digit are read")
        agreed_of = [a if not row.run.strip() else [None] * T3_WIDTH for row, a in zip(rows, agreed_of, strict=True)]
    why = "keep R3 (总计 = sum of the requester columns) with a blank in any cell"
    if broken:
        why += f", but the table's totals break {' and '.join(broken)}"
    return [_t3_in_part(row, readings, why if readings else
                        "keep R3 (总计 = sum of the requester columns): the report's own row breaks it, or the "
                        "readings are too many to list", unresolved, agreed)
            for row, readings, agreed in zip(rows, readings_of, agreed_of, strict=True)]


def _row_local(rows: list[_Row], template_rows: list[str], warnings: list[str], unresolved: list[UnresolvedRow],
               why: str) -> list[tuple[str, ...]]:
    """Each row read in the cells its own readings (those keeping R3, or all of them when none does) agree
    on; refused when the totals so read break R1/R2 down the 总计 column (a row may then keep R3 only by
    accident)."""
    agreed_of = [agreed_cells(r.readings) for r in rows]
    broken = _totals_break(rows, agreed_of, template_rows)
    if broken:
        raise DocumentRejected("parse", "ambiguous_cells",
                               "Table 三 cells run together, several readings fit and the totals they settle break "
                               + " and ".join(broken) + ", so no row's reading can be trusted.")
    out: list[tuple[str, ...]] = []
    for row, agreed in zip(rows, agreed_of, strict=True):
        if row.r3_failed:
            warnings.append(f"table 三: no split of row {row.label!r} ({row.run!r}) satisfies R3 "
                            "(总计 = sum of the requester columns); the row is read as printed where its "
                            "readings agree")
        out.append(_t3_in_part(row, row.readings, why, unresolved, agreed))
    return out


def _ambiguity_text(rows: list[_Row], free: list[int], best, n_comb: int, n_failed: int) -> str:
    if best is None:
        parts = [f"{rows[i].label} '{rows[i].run}' ({len(rows[i].readings)} readings)" for i in free]
        return (f"Table 三 cells run together and {n_comb} combined readings fit the arithmetic, too many to "
                "prove one: " + "; ".join(parts) + ".")
    parts = []
    for i in free:
        cands = sorted({c[i] for c, _ in best})
        if len(cands) > 1:
            parts.append(f"row {rows[i].label} '{rows[i].run}' reads as " + " or ".join(_show(c) for c in cands))
    how = ("more than one reading fits R3 and R1/R2" if not n_failed else
           f"no reading satisfies R1/R2 and several break the fewest checks ({n_failed})")
    return f"Table 三 cells run together and {how}: " + "; ".join(parts) + "."


def _table3(norm: str, warnings: list[str],
            unresolved: list[UnresolvedRow]) -> tuple[Grid | None, int, int, bool]:
    """(grid of table 三, start, end of its region in ``norm``, whether the table leaves its zeros blank)."""
    m = _T3_ANCHOR_RE.search(norm)
    if m is None:
        return None, -1, -1, False
    start = m.start()
    # Table 三 ends at table 四's heading (after the 四、结转下年度 row's own '四、').
    cf = re.compile(_sp("结转下年度")).search(norm, start)
    h = _T4_HEADING_RE.search(norm, cf.end() if cf else start)
    s5 = _SECTION5_RE.search(norm, cf.end() if cf else start)
    end = h.start() if h else (s5.start() if s5 else len(norm))
    region = norm[start:end]
    split_other = re.search(_sp("逾期不补正"), region) is not None
    specs = _T3_HEAD + (_T3_OTHER_2021 if split_other else _T3_OTHER_2019) + _T3_TAIL
    rows = _cut_rows(region, specs, warnings)
    template_rows = load_codes().request_rows_for("2021" if split_other else "2019", split_other)
    subtotal_at = subtotal_in_header(norm[max(0, start - 400): start])
    if subtotal_at is not None:
        warnings.append("table 三: a 小计 (subtotal) column among the 法人或其他组织 columns is not part of the "
                        "template; rows were cut under its sum and it was set aside (its cells are not loaded)")
    blank_zeros = leaves_zeros_blank([r.run for r in rows], T3_WIDTH + (subtotal_at is not None))
    if blank_zeros:
        warnings.append("table 三: the cells run together and the zeros are left blank (no row prints its zeros, "
                        "some print fewer digits than cells), so a blank may stand in any cell; only the cells "
                        "every reading agrees on are read")
        cells = _solve_t3_blank(rows, template_rows, warnings, unresolved, subtotal_at)
    else:
        cells = _solve_t3(rows, template_rows, warnings, unresolved, subtotal_at)
    header = ["申请人情况", *load_codes().requester_types.values()]
    grid_rows: list[list[str]] = [header]
    for row, reading in zip(rows, cells, strict=True):
        # [label, 7 values]; the （六） sub-rows also carry their merged group label ('3.其他').
        grid_rows.append([*([row.spec.group] if row.spec.group else []), row.label, *reading])
    return Grid.from_texts(grid_rows, origin="crawler text table 3"), start, end, blank_zeros


# ---------------------------------------------------------------- table 四

def _r4_failed(reading: Sequence[str]) -> list[str]:
    names = list(load_codes().proceedings.values())
    out = []
    for b in range(3):
        block = [_val(c) for c in reading[5 * b: 5 * b + 5]]
        if sum(block[:4]) != block[4]:
            out.append(f"R4 (总计 = 维持+纠正+其他+尚未审结) in block {names[b]}")
    return out


def _table4(norm: str, from_pos: int, warnings: list[str], unresolved: list[UnresolvedRow],
            blank_zeros: bool = False) -> Grid | None:
    h = _T4_HEADING_RE.search(norm, from_pos)
    if h is None:
        return None
    s5 = _SECTION5_RE.search(norm, h.end())
    region = norm[h.end(): s5.start() if s5 else len(norm)]
    run = None
    last = None  # the last column header line
    for last in _T4_HEADER_RE.finditer(region):
        after = region[last.end():].lstrip()
        if after[:1].isdigit():
            run = _DIGITS_RE.match(after).group(0).strip()
            break
    if run is None and last is not None and (stacked := _T4_STACKED_RE.match(region, last.end())):
        return _table4_stacked([stacked.group(k) for k in ("a", "b", "c")], blank_zeros, warnings, unresolved)
    if run is None and blank_zeros and last is not None:
        run = ""  # zeros left blank and every cell zero: the row prints no digit
    if run is None:
        warnings.append("table 四: heading found but no run of numbers after its column headers")
        return None
    if blank_zeros:
        return _table4_blank(run, unresolved)
    try:
        readings = enumerate_splits(run, ["count"] * T4_WIDTH)
    except TooManyReadings as e:
        # Too many cuts to list (a long run), but those keeping R4 in every block are few: cut under the
        # sums directly. Only when none does is the table refused as too ambiguous.
        try:
            readings = checked_splits(run, [5, 5, 5], blanks=False)
        except TooManyReadings:
            readings = []
        if not readings:
            raise DocumentRejected("parse", "ambiguous_cells", f"Table 四: {e}.") from e
    if not readings:
        raise DocumentRejected("parse", "unreadable_cell",
                               f"Table 四: its digits {run!r} cannot be cut into {T4_WIDTH} cells.")
    scored = [(len(_r4_failed(r)), r) for r in readings]
    best_n = min(n for n, _ in scored)
    best = [r for n, r in scored if n == best_n]
    if len({_values(r) for r in best}) > 1 and best_n == 0 and not any("" in r for r in readings):
        # Several readings keep R4 in every block: the blocks (proceedings) they agree on are read, the others
        # stay unresolved. The grid keeps one reading; build_report drops the facts of unresolved rows.
        labels = list(load_codes().proceedings.items())
        for b, (code, label) in enumerate(labels):
            blocks = sorted({r[5 * b: 5 * b + 5] for r in best})
            if len({_values(x) for x in blocks}) > 1:
                shown = [_show(x) for x in blocks]
                unresolved.append(UnresolvedRow(
                    "T4", code, label, run, "ambiguous_cells",
                    f"Table 四 prints its fifteen cells as the digits {run!r} with no separators; the {label} "
                    f"block has {len(shown)} readings that keep R4 (总计 = 维持+纠正+其他+尚未审结) "
                    f"({' or '.join(shown[:6])}{' …' if len(shown) > 6 else ''}), so it is not loaded.",
                    shown[:MAX_READINGS_LISTED]))
    elif len({_values(r) for r in best}) > 1:
        raise DocumentRejected("parse", "ambiguous_cells",
                               f"Table 四 cells run together: '{run}' has {len(best)} readings that fit R4 "
                               f"equally well: " + " or ".join(_show(r) for r in best[:8])
                               + (" …" if len(best) > 8 else "") + ".")
    reading = best[0]
    if best_n:
        warnings.append(f"table 四: no split of '{run}' satisfies R4 in every block; kept {_show(reading)}, "
                        "the unique reading with the fewest failures: " + "; ".join(_r4_failed(reading)))
    return _t4_grid(reading)


def _t4_grid(cells: Sequence[str]) -> Grid:
    results = list(load_codes().results.values())
    rows = [["行政复议", "行政诉讼"], ["", "", "", "", "", "未经复议直接起诉", "复议后起诉"],
            results * 3, list(cells)]
    return Grid.from_texts(rows, origin="crawler text table 4")


# Labels may be printed more than once (a merged label repeated in every slot it spans).
_T4_STACKED_RE = re.compile(r"\s*(?:" + _sp("行政复议") + r"\s*)+(?P<a>[\d\s]*?)\s*(?:" + _sp("行政诉讼") + r"\s*)*"
                            + _sp("未经复议直接起诉") + r"(?P<b>[\d\s]*?)\s*(?:" + _sp("行政诉讼") + r"\s*)*"
                            + _sp("复议后起诉") + r"(?P<c>[\d\s]*)")


def _table4_stacked(runs: list[str], blank_zeros: bool, warnings: list[str],
                    unresolved: list[UnresolvedRow]) -> Grid:
    """Table 四 printed a row per proceeding (行政复议 / 未经复议直接起诉 / 复议后起诉, five results each): each
    row cut on its own under R4; the cells its readings agree on are read, the others listed."""
    warnings.append("table 四 is printed a row per proceeding, not as one row of fifteen; each row was cut "
                    "under R4 (总计 = 维持+纠正+其他+尚未审结)")
    results = list(load_codes().results.items())
    cells: list[str] = []
    for (code, label), run in zip(load_codes().proceedings.items(), runs, strict=True):
        run = run.strip()
        try:
            readings = checked_splits(run, [5], blanks=blank_zeros)
            if not readings and not blank_zeros:
                # No cut keeps R4: the report's own sum is off; the row is read where every cut agrees.
                readings = enumerate_splits(run, ["count"] * 5)
                warnings.append(f"table 四: no cut of the {label} row {run!r} keeps R4; read where every cut agrees")
        except TooManyReadings:
            readings = []
        listed, row_cells = read_in_part("T4", code, label, run, readings, results,
                                         "keep R4 (总计 = 维持+纠正+其他+尚未审结)")
        cells += row_cells
        if listed is not None:
            unresolved.append(listed)
    return _t4_grid(cells)


def _table4_blank(run: str, unresolved: list[UnresolvedRow]) -> Grid:
    """Table 四 of a document that leaves zeros blank: the readings keeping R4 in every block, a blank
    allowed in any cell; per proceeding, the cells they all agree on are read, the others listed."""
    try:
        readings = checked_splits(run, [5, 5, 5])
    except TooManyReadings:
        readings = []
    why = ("keep R4 (总计 = 维持+纠正+其他+尚未审结) in every block with a blank in any cell" if readings else
           "keep R4 (总计 = 维持+纠正+其他+尚未审结) in every block: the report breaks it, or the readings are too "
           "many to list")
    results = list(load_codes().results.items())
    cells: list[str] = []
    for b, (code, label) in enumerate(load_codes().proceedings.items()):
        listed, block = read_in_part("T4", code, label, run, [r[5 * b: 5 * b + 5] for r in readings], results, why)
        cells += block
        if listed is not None:
            unresolved.append(listed)
    return _t4_grid(cells)


# ---------------------------------------------------------------- table 二

_T2_LABELS = {
    "regulations": "规章",
    "normative_documents": r"(?:行\s*政\s*)?" + _sp("规范性文件"),
    "admin_license": _sp("行政许可"),
    "other_admin_services": _sp("其他对外管理服务事项"),
    "admin_penalty": _sp("行政处罚"),
    "admin_coercion": _sp("行政强制"),
    "admin_fees": _sp("行政事业性收费"),
    "centralized_procurement": _sp("政府集中采购"),
}
_T2_VALUE_RE = re.compile(r"\s*([\d\s.\-]*\d)\s*(万元|元)?")
# The table's first block title, not a '《条例》第二十条' in the prose: '信息内容' follows it.
_T2_ANCHOR_RE = re.compile(_sp("第二十条") + r"[^。]{0,30}?" + _sp("信息内容"))


def _column_kind(col: str) -> str:
    if col == "change":
        return "signed"
    if col in ("procurement_amount", "fee_amount_10k_yuan"):
        return "amount"
    return "count"


@dataclass
class _Table2:
    grid: Grid
    unresolved: list[UnresolvedRow] = field(default_factory=list)
    by_narrative: list[str] = field(default_factory=list)  # row codes settled by the prose


def _table2(norm: str, end: int, warnings: list[str], start: int = 0, blank_zeros: bool = False) -> _Table2 | None:
    """Table 二 between ``start`` and ``end`` (end <= 0: to the end of the text). ``blank_zeros``: the
    document leaves its zeros blank (seen in table 三), so a row may print no digit and a blank may stand
    in any cell."""
    m = _T2_ANCHOR_RE.search(norm, start, end if end > 0 else len(norm))
    if m is None:
        return None
    region = norm[m.start(): end if end > 0 else len(norm)]
    flat = re.sub(r"\s+", "", region)
    if any(p in flat for p in T2_2021_PHRASES):
        template = "2021"
    elif any(p in flat for p in T2_2019_PHRASES):
        template = "2019"
    else:
        return None
    headers = [p for p in T2_2021_PHRASES + T2_2019_PHRASES if p in flat]
    grid_rows: list[list[str]] = [["第二十条"], ["信息内容", *headers]]
    unresolved: list[UnresolvedRow] = []
    by_narrative: list[str] = []
    statements = None  # the prose is searched only when a row needs it
    pos = 0
    for item in load_codes().proactive[template].values():
        for code in item.rows:
            lm = re.compile(_T2_LABELS[code]).search(region, pos)
            if lm is None:
                continue
            pos = lm.end()
            label = re.sub(r"\s+", "", lm.group(0))
            vm = _T2_VALUE_RE.match(region, lm.end())
            if vm is None and blank_zeros:
                grid_rows.append([label, *([""] * len(item.columns))])  # every cell zero, left blank
                continue
            if vm is None:
                warnings.append(f"table 二: row {label!r} has no numbers; row skipped")
                continue
            pos = vm.end()
            run, unit = vm.group(1), vm.group(2) or ""
            # A '-' can only open a cell (the signed 本年增/减 column), so it is a boundary before it;
            # a '.' can only sit inside an amount cell, which the cell patterns enforce.
            kinds = [_column_kind(c) for c in item.columns]
            try:
                readings = enumerate_splits(run.replace("-", " -"), kinds, fewest_blanks=not blank_zeros)
            except TooManyReadings:
                readings = []
            if len(readings) > 1:
                if statements is None:
                    statements = t2_statements(norm[: m.start()] + norm[end if end > 0 else len(norm):], template)
                chosen = choose_reading([_values(r) for r in readings], list(item.columns), code, statements)
                if chosen is not None:
                    idx, agreeing = chosen
                    warnings.append(
                        f"table 二 (cells run together): row {label!r} prints {run!r}, which has {len(readings)} "
                        f"readings; the report's text says {'; '.join(repr(s.text) for s in agreeing)}, which "
                        f"only {_show(readings[idx])} agrees with, so that reading was taken")
                    readings = [readings[idx]]
                    by_narrative.append(code)
            if blank_zeros and len(readings) != 1:
                # Zeros left blank: the cells every reading agrees on load, the others are listed.
                listed, cells = read_in_part("T2", code, label, run + unit, readings, list(item.columns.items()),
                                             "fit and neither the table nor the report's text tells them apart")
                if listed is not None:
                    unresolved.append(listed)
                if listed is None or listed.columns:  # some cells are read
                    if unit and cells[-1]:
                        cells[-1] += unit
                    grid_rows.append([label, *cells])
                continue
            if len(readings) != 1:
                shown = " or ".join(_show(r) for r in readings[:6]) + (" …" if len(readings) > 6 else "")
                unresolved.append(UnresolvedRow(
                    "T2", code, label, run + unit, "ambiguous_cells",
                    f"Table 二 row {label!r} prints the digits {run!r} with no separators; {len(readings)} "
                    f"readings fit ({shown or 'none'}) and neither the table nor the report's text tells them "
                    "apart, so the row is not loaded.", [_show(r) for r in readings]))
                continue
            cells = list(readings[0])
            if unit and cells[-1]:
                cells[-1] += unit
            grid_rows.append([label, *cells])
    return _Table2(Grid.from_texts(grid_rows, origin="crawler text table 2"), unresolved, by_narrative)


# ---------------------------------------------------------------- the document

def _split_header(text: str) -> tuple[str | None, str]:
    """(title from the crawler header, body after '==== 正文 ====')."""
    m = _BODY_MARK_RE.search(text)
    if m is None:
        return None, text
    title = None
    for line in text[: m.start()].splitlines():
        hm = _HEADER_LINE_RE.match(line.strip())
        if hm and hm.group(1) == "标题" and hm.group(2).strip():
            title = hm.group(2).strip()
    return title, text[m.end():]


def read_crawler_text(text: str) -> Extracted:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    title, body = _split_header(text)
    body = _CHROME_TAIL_RE.sub("", _CHROME_HEAD_RE.sub("", body.strip()))
    # Matching runs on NFKC text (full-width digits and brackets); spans are not mapped back.
    norm = nfkc(body)
    warnings: list[str] = []
    grids: list[Grid] = []
    unresolved: list[UnresolvedRow] = []
    t3, t3_start, t3_end, blank_zeros = _table3(norm, warnings, unresolved)
    t2 = _table2(norm, t3_start, warnings, blank_zeros=blank_zeros)
    if t2 is None and t3 is not None:
        # Sections out of order: table 二 printed after tables 三/四.
        t2 = _table2(norm, -1, warnings, start=t3_end, blank_zeros=blank_zeros)
    t4 = _table4(norm, t3_end, warnings, unresolved, blank_zeros) if t3 is not None else None
    grids = [g for g in (t2.grid if t2 else None, t3, t4) if g is not None]
    if title:
        body = f"{title}\n{body}"
    return Extracted(text=body, grids=grids, title_hint=title, inferred_how="run_split", warnings=warnings,
                     row_inference={("T2", code): "run_split_narrative" for code in (t2.by_narrative if t2 else [])},
                     unresolved=(t2.unresolved if t2 else []) + unresolved)
