"""Rebuilt table grids -> template and canonical facts of tables 二, 三 and 四.

Works on the grid model only, so HTML, DOCX, PDF and plain text share it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.lib.codes import load_codes
from pipelines.lib.harmonize.labels import (
    REQUEST_ROW_PHRASES,
    T2_2019_PHRASES,
    T2_2021_PHRASES,
    T2_ROW_PHRASES,
    is_subtotal_column_header,
    match_ocr_label,
    match_request_row,
    match_t2_row,
    org_column_names,
    proceeding_of,
)
from pipelines.lib.harmonize.normalize import normalize_label
from pipelines.lib.harmonize.values import UnreadableCell, looks_numeric, parse_cell
from pipelines.lib.model import DocumentRejected, Fact, UnresolvedRow
from pipelines.lib.read.grid import Grid, GridCell

T3_WIDTH = 7
T4_WIDTH = 15


def _label_text(grids: list[Grid]) -> str:
    """The grids' label cells, normalised. Numbers are left out so the text (and its cache entry) is
    the same for every report printed on one template."""
    return normalize_label("".join(c.text for g in grids for row in g.rows for c in row
                                   if not c.h_copy and not c.v_copy and not looks_numeric(c.text)))


def classify_grid(grid: Grid) -> str | None:
    text = _label_text([grid])
    if "本年新收" in text or "申请人情况" in text:
        return "T3"
    # '结果维持' may be wrapped apart ('结果维' / '持') where no ruling lines hold a cell together.
    if "行政复议" in text and ("结果维持" in text or "复议后起诉" in text):
        return "T4"
    if "第二十条" in text or "信息内容" in text or any(p in text for p in T2_2021_PHRASES + T2_2019_PHRASES):
        return "T2"
    if any(k in text for k in ("予以公开", "不予处理", "其他处理", "结转下年", "不掌握")):
        return "T3-continued"
    return None


def group_tables(grids: list[Grid]) -> dict[str, list[Grid]]:
    """Tables by kind; a continuation (table 三 carried over a page without header) joins table 三."""
    out: dict[str, list[Grid]] = {"T2": [], "T3": [], "T4": []}
    last = None
    for g in grids:
        kind = classify_grid(g)
        if kind == "T3-continued":
            kind = "T3" if last == "T3" or out["T3"] else None
        if kind:
            out[kind].append(g)
        last = kind
    return out


def _value_cells(row: list[GridCell]) -> list[GridCell]:
    return [c for c in row if not c.h_copy]


def split_row(row: list[GridCell], width: int) -> tuple[list[GridCell], list[GridCell]] | None:
    """(label cells, the last ``width`` value cells) or None if the row does not end in numbers."""
    cells = _value_cells(row)
    if len(cells) < width:
        return None
    values = cells[-width:]
    if not all(looks_numeric(c.text) for c in values):
        return None
    labels = row[: _index_of_nth_value(row, len(cells) - width)]
    return labels, values


def _index_of_nth_value(row: list[GridCell], n: int) -> int:
    """Position in ``row`` of the n-th non-h-copy cell (where the value block starts)."""
    seen = 0
    for i, c in enumerate(row):
        if c.h_copy:
            continue
        if seen == n:
            return i
        seen += 1
    return len(row)


@dataclass
class TableResult:
    facts: list[Fact] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows_seen: list[str] = field(default_factory=list)
    unresolved: list[UnresolvedRow] = field(default_factory=list)


def _own_label(labels: list[GridCell]) -> tuple[str, str]:
    """(the row's own label, the group context above it) from its label cells."""
    texts = [c.text for c in labels if c.text.strip() and not c.h_copy]
    own_candidates = [c.text for c in labels if c.text.strip() and not c.h_copy and not c.v_copy]
    own = own_candidates[-1] if own_candidates else (texts[-1] if texts else "")
    context = " ".join(texts)
    return own, context


def _fact(table, row_code, col_code, cell: GridCell, *, item=None, row_label=None, col_label=None,
          page=None, factor=1.0) -> Fact:
    try:
        v = parse_cell(cell.text)
    except UnreadableCell as e:
        raise DocumentRejected("parse", "unreadable_cell", f"{row_label or row_code}: {e}") from e
    ocr = cell.conf is not None  # read by OCR from a scanned page
    return Fact(table=table, row_code=row_code, col_code=col_code, value=v.value * factor,
                printed=cell.text, blank=v.blank, item=item, row_label=row_label, col_label=col_label,
                page=page, unit_factor=factor, inferred=ocr, inferred_how="ocr" if ocr else None,
                confidence=cell.conf)


def subtotal_column(grids: list[Grid]) -> int | None:
    """Where a 小计 (subtotal) column stands among the 法人或其他组织 columns of table 三, from the header row
    that names them: k = the number of organisation columns printed before it. None: no such column.

    The template has no such column, but some agencies add one (formats.md §6.9); read positionally from
    the right, it would shift every requester column by one.
    """
    for g in grids:
        for row in g.rows:
            texts = [normalize_label(c.text) for c in row if not c.h_copy and not c.v_copy and c.text.strip()]
            orgs = [i for i, t in enumerate(texts) if t in org_column_names()]
            subs = [i for i, t in enumerate(texts) if is_subtotal_column_header(t)]
            if len(orgs) >= 3 and len(subs) == 1:
                return sum(1 for i in orgs if i < subs[0])
    return None


def _without_subtotal(row: list[GridCell], k: int) -> list[GridCell]:
    """The row without its 小计 cell: of the last T3_WIDTH + 1 value cells (自然人, the organisation group
    with its subtotal at k, 总计), the one at 1 + k."""
    idx = [i for i, c in enumerate(row) if not c.h_copy]
    if len(idx) < T3_WIDTH + 1 or not all(looks_numeric(row[i].text) for i in idx[-(T3_WIDTH + 1):]):
        return row
    drop = idx[-(T3_WIDTH + 1) + 1 + k]
    return row[:drop] + row[drop + 1:]


def interpret_t3(grids: list[Grid]) -> TableResult:
    codes = load_codes()
    cols = list(codes.requester_types)
    res = TableResult()
    seen: set[str] = set()
    prev_group = ""
    subtotal_at = subtotal_column(grids)
    if subtotal_at is not None:
        res.warnings.append("table 三: a 小计 (subtotal) column among the 法人或其他组织 columns is not part of the "
                            "template; it was set aside (its cells are not loaded)")
    for g in grids:
        for i, row in enumerate(g.rows):
            if subtotal_at is not None:
                row = _without_subtotal(row, subtotal_at)
            split = split_row(row, T3_WIDTH)
            if not split:
                continue
            labels, values = split
            own, context = _own_label(labels)
            if prev_group and not any(c.text.strip() for c in labels[:-1]):
                # Text renderings leave a vertical merge's continuation cells empty: '3.其他' keeps
                # the （六）其他处理 heading only as the group of the rows above it.
                context = f"{prev_group} {context}"
            if res.rows_seen and res.rows_seen[-1] in ("other_no_correction", "other_unpaid_fee"):
                # The template's order: a bare '3.其他' after the first sub-rows of （六）其他处理 is its third,
                # where a layout without ruling lines lost the merged group label.
                context = f"（六）其他处理 {context}"
            code = match_request_row(own, context) or match_request_row(context.split(" ")[-1] if context else "")
            if code is None and any(c.conf is not None for c in labels):
                # Read by OCR: a label with one misread character still names its row, if only one.
                code = match_ocr_label(own, REQUEST_ROW_PHRASES)
                if code is not None and code in seen:
                    code = None
            group_cells = [c.text for c in labels[:-1] if c.text.strip() and not c.h_copy]
            if group_cells:
                prev_group = group_cells[-1]
            if code is None:
                if any(c.text.strip() for c in values) and own.strip():
                    res.warnings.append(f"table 三: row label {own!r} matches no code; row skipped")
                continue
            if (code == "other_total" and res.rows_seen and res.rows_seen[-1] in _OTHER_SUB_ROWS
                    and not any(c.text.strip() for c in values)):
                # Among its sub-rows, a blank （六）其他处理 is the group's label centred on a line of its own.
                prev_group = own
                continue
            if code in seen:
                res.warnings.append(f"table 三: row {code} printed twice ({own!r}); first kept")
                continue
            seen.add(code)
            res.rows_seen.append(code)
            for col, cell in zip(cols, values, strict=True):
                res.facts.append(_fact("T3", code, col, cell, row_label=own.strip(),
                                       col_label=codes.requester_types[col], page=g.page_of(i)))
    _group_label_is_not_a_row(res)
    return res


_OTHER_SUB_ROWS = ("other_no_correction", "other_unpaid_fee", "other_other")


def _group_label_is_not_a_row(res: TableResult) -> None:
    """（六）其他处理 printed with every cell blank in a table that also prints its three sub-rows: the group's
    label on a line of its own (where it is centred among its rows without ruling lines), not the 2019 single
    row. Kept, its blanks would stand for the group's total and stop the total being summed from the sub-rows."""
    other = [f for f in res.facts if f.row_code == "other_total"]
    if other and all(f.blank for f in other) and any(r in res.rows_seen for r in _OTHER_SUB_ROWS):
        res.facts = [f for f in res.facts if f.row_code != "other_total"]
        res.rows_seen.remove("other_total")
        res.warnings.append("table 三: （六）其他处理 printed with blank cells above its sub-rows is the group's "
                            "label, not a row; its total is summed from the sub-rows")


def interpret_t4(grids: list[Grid]) -> TableResult:
    codes = load_codes()
    res = TableResult()
    data_row = None
    for g in grids:
        for i, row in enumerate(g.rows):
            cells = _value_cells(row)
            if len(cells) >= T4_WIDTH and all(looks_numeric(c.text) for c in cells[-T4_WIDTH:]):
                data_row = (cells[-T4_WIDTH:], g.page_of(i))
    if data_row is None:
        stacked = _stacked_t4(grids)
        if stacked is not None:
            res.warnings.append("table 四 is printed a row per proceeding (行政复议, 未经复议直接起诉, 复议后起诉), "
                                "not as one row of fifteen; read by the rows' labels")
            data_row = stacked
    if data_row is None:
        res.warnings.append("table 四: no row of 15 numbers found")
        return res
    cells, page = data_row
    k = 0
    for proc, proc_label in codes.proceedings.items():
        for result, result_label in codes.results.items():
            res.facts.append(_fact("T4", proc, result, cells[k], row_label=proc_label,
                                   col_label=result_label, page=page))
            k += 1
    res.rows_seen = list(codes.proceedings)
    return res


def _stacked_t4(grids: list[Grid]) -> tuple[list[GridCell], int | None] | None:
    """Table 四 drawn a row per proceeding (the five results as columns): its fifteen cells in the template's
    order, when the three rows are found by their labels and the header names the results in order."""
    results = list(load_codes().results.values())
    header_ok = False
    found: dict[str, tuple[list[GridCell], int | None]] = {}
    for g in grids:
        for i, row in enumerate(g.rows):
            texts = [normalize_label(c.text) for c in _value_cells(row) if c.text.strip()]
            if any(texts[k: k + 5] == results for k in range(len(texts) - 4)):
                header_ok = True
                continue
            split = split_row(row, 5)
            if split is None and header_ok and not any(c.text.strip() and looks_numeric(c.text) for c in row):
                # Under the header, a proceeding's label with nothing in the result columns: a row of blank
                # cells (a text rendering of zeros left blank prints the label alone).
                split = (row, [GridCell("")] * 5)
            if split is None:
                continue
            labels, values = split
            # The row's own label is its last label cell ('复议后起诉' under a merged '行政诉讼').
            code = proceeding_of(" ".join(c.text for c in labels))
            if code is not None and code not in found:
                found[code] = (values, g.page_of(i))
    if not header_ok or set(found) != set(load_codes().proceedings):
        return None
    cells = [c for code in load_codes().proceedings for c in found[code][0]]
    return cells, found["admin_review"][1]


def detect_template_from_t2(grids: list[Grid]) -> str | None:
    text = _label_text(grids)
    if any(p in text for p in T2_2021_PHRASES):
        return "2021"
    if any(p in text for p in T2_2019_PHRASES):
        return "2019"
    return None


def _amount_factor(item_col: str, unit_factor: float, unit: str | None) -> float:
    """Stored unit of money columns: 2019 采购总金额 in 元, 2021 收费金额 in 万元."""
    if item_col == "procurement_amount":
        return unit_factor  # 元 -> 1, 万元 -> 10000
    if item_col == "fee_amount_10k_yuan":
        return 1.0 if unit in (None, "万元") else 1 / 10000
    return 1.0


def interpret_t2(grids: list[Grid], template: str) -> TableResult:
    codes = load_codes()
    items = codes.proactive[template]
    row_item = {row: it for it in items.values() for row in it.rows}
    res = TableResult()
    seen: set[str] = set()
    for g in grids:
        for i, row in enumerate(g.rows):
            cells = _value_cells(row)
            # The label is the first cell that is not a number; values follow it.
            label_idx = next((k for k, c in enumerate(cells) if c.text.strip() and not looks_numeric(c.text)), None)
            if label_idx is None:
                continue
            code = match_t2_row(cells[label_idx].text)
            if code is None and cells[label_idx].conf is not None:  # OCR: one misread character tolerated
                code = match_ocr_label(cells[label_idx].text, T2_ROW_PHRASES)
            if code is None or code not in row_item:
                continue
            values = [c for c in cells[label_idx + 1:] if not c.v_copy]
            if not values or not all(looks_numeric(c.text) for c in values):
                continue
            item = row_item[code]
            col_codes = list(item.columns)
            if len(values) < len(col_codes):
                label = cells[label_idx].text.strip()
                res.unresolved.append(UnresolvedRow(
                    "T2", code, label, " ".join(c.text.strip() for c in values), "cells_missing",
                    f"Table 二 row {label!r} shows {len(values)} numbers for the {len(col_codes)} columns of the "
                    f"{template} template ({', '.join(item.columns.values())}); which column each belongs to "
                    "cannot be told, so the row is not loaded."))
                continue
            if code in seen:
                continue
            seen.add(code)
            res.rows_seen.append(code)
            for col, cell in zip(col_codes, values, strict=False):
                v = parse_cell(cell.text)
                factor = _amount_factor(col, v.unit_factor, v.unit)
                res.facts.append(_fact("T2", code, col, cell, item=item.item, row_label=cells[label_idx].text.strip(),
                                       col_label=item.columns[col], page=g.page_of(i), factor=factor))
    return res


def derive_other_total(facts: list[Fact]) -> list[Fact]:
    """2021 layout: other_total is not printed; derive it as the sum of the three sub-rows."""
    subs = [f for f in facts if f.table == "T3" and f.row_code in ("other_no_correction", "other_unpaid_fee", "other_other")]
    if not subs or any(f.table == "T3" and f.row_code == "other_total" for f in facts):
        return []
    out = []
    printed_rows = {f.row_code for f in subs}
    for col in load_codes().requester_types:
        parts = [f for f in subs if f.col_code == col]
        if len(parts) < len(printed_rows):
            continue  # a sub-row's cell in this column was not read (a row read in part): no sum of some
        out.append(Fact(table="T3", row_code="other_total", col_code=col, value=sum(f.value for f in parts),
                        printed=None, blank=all(f.blank for f in parts), row_label="（六）其他处理",
                        col_label=load_codes().requester_types[col], derived=True))
    return out
