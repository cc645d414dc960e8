"""PDF->markdown conversions as a distribution: every md switch of the generator (samplegen/render_md.py)
and each class of conversion damage the reader handles, as its own test. The property test over all md
switches together is tests/test_variations.py::test_md_variations_parse_back; the two real conversions
are tests/test_markdown_reader.py."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from pipelines.lib.codes import load_codes
from pipelines.lib.model import ParsedReport
from pipelines.lib.read.extract.markdown import read_markdown_bytes
from pipelines.lib.read.parse import parse_document
from pipelines.samplegen.layout import t3_rows
from pipelines.samplegen.truth import generate_truth
from pipelines.samplegen.variations import (
    FORMAT_SWITCHES,
    SWITCHES,
    Variation,
    acceptable_refusals,
    render_variant,
)
from tests.variation_check import render_and_check

MD_SWITCHES = [name for name in FORMAT_SWITCHES["md"] if name.startswith("md_")]
COLS = list(load_codes().requester_types)


def _truth(seed: int, year: int | None = None):
    return generate_truth(rng=random.Random(seed), year=year)


# --- the generator: every switch value, alone and with zeros blank ----------------------------------------

@pytest.mark.parametrize("name,value", [(n, v) for n in MD_SWITCHES for v in SWITCHES[n][1:]])
@pytest.mark.parametrize("blank", [False, True])
def test_each_md_switch_value_parses_back(tmp_path, name, value, blank):
    for seed in (1, 2, 3):
        v = Variation(**{name: value}, blank_zeros=blank)
        out = render_and_check(tmp_path, _truth(seed), "md", v, name=f"s{seed}")
        assert out.kind == "exact", f"{v.changed()} seed {seed}: {out.kind}: {out.detail}"


def test_md_is_never_a_true_refusal():
    """Nothing the md switches do destroys a printed number beyond what unresolved_rows lists."""
    for name in MD_SWITCHES:
        for value in SWITCHES[name]:
            assert not acceptable_refusals("md", Variation(**{name: value}, blank_zeros=True))


def _md(seed: int, **switches) -> str:
    return render_variant(_truth(seed, 2022), "md", Variation(**switches)).decode("utf-8")


def _t3_part(text: str) -> str:
    return text[text.index("三、收到和处理政府信息公开申请情况"):text.index("四、政府信息公开行政复议")]


def test_default_md_is_a_clean_conversion():
    text = _md(1)
    part = _t3_part(text)
    assert part.count("|---|") == 1  # one md table, its header rows first
    assert "一、本年新收政府信息公开申请数量" in part and "— " not in text and "<br>" not in text


def test_md_switches_do_what_they_say():
    """Each switch really changes the document the way its docs say (so the property test exercises it)."""
    part = _t3_part(_md(2, md_split="pages"))
    assert part.count("|---|") >= 2, "table 三 not split at a page break"
    assert part.count("申请人情况") == 1
    assert _t3_part(_md(2, md_split="pages_header")).count("申请人情况") >= 2
    lost = _t3_part(_md(2, md_labels="lost", blank_zeros=True))
    assert re.search(r"^\|( *\|){7}$", lost, re.M), "no row printed without its label"
    floated = _t3_part(_md(2, md_labels="floated"))
    assert any(ln and not ln.startswith("|") and re.match(r"^(\d\.|（[一二三四五六七]）|[一二三四]、)", ln)
               for ln in floated.split("\n")), "no label floated into a prose line"
    assert re.search(r"^— \d+ —$", _md(2, md_footers="dashes"), re.M)
    assert re.search(r"^\d+$", _md(2, md_footers="number"), re.M)
    assert re.search(r"\|  \|$", _t3_part(_md(2, md_pad=True)), re.M)
    assert "|:---" in _md(2, md_separator="aligned")
    assert re.search(r"^## 三、收到和处理政府信息公开申请情况$", _md(2, md_headings="atx"), re.M)
    assert "<br>" in _md(2, md_cell_breaks="br")
    assert re.search(r"^行政许可( \d+)?$", _md(2, md_t2_prose=True), re.M)
    assert re.search(r"^\d{4} 年", _md(2, md_spaces=True, title_form="year_first"), re.M)
    assert re.search(r"^年度报告$", _md(2, md_title_wrap=True), re.M)
    split = _t3_part(_md(2, md_header="split"))
    assert "| 申请人情况 |" not in split and re.search(r"\| 申请人?情? \|", split), "header not in pieces"


# --- the reader: each class of conversion damage ---------------------------------------------------------

LABELS_2021 = [(r.code, r.sub or r.group or r.item) for r in t3_rows("2021")]


ZERO_ROWS = {3, 9, 16, 21}  # partially_granted, denied_process_info, not_processed_duplicate, other_unpaid_fee


def _values(i: int, blank: bool) -> list[str]:
    """Row i's seven cells: all zero for ZERO_ROWS, else natural persons i % 3 + 1, other organisations 1 on
    every fourth row, 总计 their sum."""
    np_, oo = (0, 0) if i in ZERO_ROWS else (i % 3 + 1, 1 if i % 4 == 0 else 0)
    vals = [np_, 0, 0, 0, 0, oo, np_ + oo]
    return ["" if blank and v == 0 else str(v) for v in vals]


def _report(t3_lines: list[str], t4: str | None = None, t2: list[str] | None = None, head: str = "") -> str:
    t2 = t2 if t2 is not None else [
        "| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |", "|---|---|---|---|",
        "| 规章 | 0 | 0 | 0 |", "| 行政规范性文件 | 3 | 1 | 20 |",
        "第二十条第（五）项", "信息内容本年处理决定数量", "行政许可 12",
        "第二十条第（六）项", "信息内容本年处理决定数量", "行政处罚 4", "行政强制 0",
        "第二十条第（八）项", "信息内容本年收费金额（单位：万元）", "行政事业性收费 0.00"]
    return "\n".join(["2022年某某市某某局政府信息公开工作年度报告", "", f"{head}一、总体情况", "本年度工作平稳。", "",
                      f"{head}二、主动公开政府信息情况", *t2, "", f"{head}三、收到和处理政府信息公开申请情况",
                      *t3_lines, "", f"{head}四、政府信息公开行政复议、行政诉讼情况",
                      t4 or "| 1 | 0 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |", "",
                      f"{head}五、存在的主要问题及改进情况", "无。"]) + "\n"


def _rows(blank: bool = False, pad: int = 0, labelled=lambda i: True) -> list[str]:
    out = []
    for i, (_code, label) in enumerate(LABELS_2021):
        cells = ([label] if labelled(i) else []) + _values(i, blank)
        out.append("| " + " | ".join(cells + [""] * pad) + " |")
    return out


def _parse(tmp_path: Path, text: str, name: str = "r") -> ParsedReport:
    p = tmp_path / f"{name}.md"
    p.write_text(text, encoding="utf-8")
    rep = parse_document(p)
    assert isinstance(rep, ParsedReport), rep
    return rep


def _t3(rep: ParsedReport) -> dict[str, list[float | None]]:
    out: dict[str, list[float | None]] = {}
    for f in rep.facts:
        if f.table == "T3" and not f.derived:
            out.setdefault(f.row_code, [None] * 7)[COLS.index(f.col_code)] = f.value
    return out


def _expected(skip: set[str] = frozenset()) -> dict[str, list[float]]:
    return {code: [float(x or 0) for x in _values(i, False)] for i, (code, _l) in enumerate(LABELS_2021)
            if code not in skip}


def test_atx_headings_and_table_captions(tmp_path):
    """'## 二、主动公开…' headings (was: table 二 not found, its facts silently missing)."""
    t3 = ["## 表三：收到和处理政府信息公开申请情况", *_rows()]
    rep = _parse(tmp_path, _report(t3, head="## "))
    assert _t3(rep) == _expected()
    assert {(f.row_code, f.col_code): f.value for f in rep.facts if f.table == "T2"}[("admin_license", "decisions")] == 12


def test_rows_of_blank_cells_are_rows_and_padded_header_rows_are_not(tmp_path):
    """Zeros printed as empty cells: a labelled row of seven empty cells, a row that lost its label too
    (nothing at all), and table 四's one row of fifteen empty cells are rows of their tables; header rows
    padded with more than seven empty cells are not."""
    header = ["| 申请人情况 |  |  |  |  |  |  |  |  |", "|---|---|---|---|---|---|---|---|---|",
              "| 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 |  |  |  |  |  |  |  |"]
    lost = {9, 21}  # all zero, and their labels lost: '|  |  |  |  |  |  |  |'
    assert all(not any(_values(i, True)) for i in lost)
    t3 = header + _rows(blank=True, labelled=lambda i: i not in lost)
    rep = _parse(tmp_path, _report(t3, t4="|" + "  |" * 15))
    assert _t3(rep) == _expected()
    assert all(f.value == 0 and f.blank for f in rep.facts if f.table == "T4") and \
        len([f for f in rep.facts if f.table == "T4"]) == 15
    assert {f.inferred_how for f in rep.facts if f.inferred} == {"printed_order"}


def test_empty_slots_of_a_merged_label_before_the_numbers(tmp_path):
    """A grid converter keeps the slots a merged label covers, empty: '|  | （一）予以公开 |  | 2 | …'."""
    rows = []
    for i, r in enumerate(t3_rows("2021")):
        slots = [r.item if r.group is None else "", "" if r.group is None else r.group if r.sub is None else "",
                 "" if r.sub is None else r.sub]
        rows.append("| " + " | ".join(slots + _values(i, True)) + " |")
    rep = _parse(tmp_path, _report(rows))
    assert _t3(rep) == _expected()


def test_cut_label_reading_qita_under_another_number_is_not_row_3_qita(tmp_path):
    """'2.其他' (2.其他法律行政法规禁止公开 cut after four characters) names no row: it is placed by order, not
    taken for 3.其他 (which put the anchors out of order and refused the report)."""
    t3 = _rows()
    k = next(i for i, (c, _l) in enumerate(LABELS_2021) if c == "denied_law_prohibited")
    t3[k] = t3[k].replace("2.其他法律行政法规禁止公开", "2.其他")
    rep = _parse(tmp_path, _report(t3))
    assert _t3(rep) == _expected()
    assert {f.row_code for f in rep.facts if f.inferred} == {"denied_law_prohibited"}


def test_group_label_left_on_a_sub_row_2021(tmp_path):
    """No （六） sub-row names itself, but the group label （六）其他处理 stands on the first: the 2021 layout
    is tried too (was: only 2019, refused)."""
    t3 = _rows()
    for i, (code, label) in enumerate(LABELS_2021):
        if code == "other_no_correction":
            t3[i] = t3[i].replace(label, "（六）其他处理 | 1.申请人无正当理")
        elif code in ("other_unpaid_fee", "other_other"):
            t3[i] = "| " + " | ".join(_values(i, False)) + " |"
    rep = _parse(tmp_path, _report(t3))
    assert _t3(rep) == _expected()
    assert rep.template == "2021"


def test_line_breaks_inside_cells(tmp_path):
    t3 = [ln.replace("三安全一稳定", "三安全<br>一稳定").replace("行政查询事项", "行政查询<br/>事项") for ln in _rows()]
    rep = _parse(tmp_path, _report(t3))
    assert _t3(rep) == _expected() and not any(f.inferred for f in rep.facts)


def test_header_printed_again_at_the_top_of_a_continuation(tmp_path):
    """The header's own rows at the top of a continuation md table are not rows, but a row of empty cells
    whose label piece happens to be a piece of the header's words ('请' of 2.重复申请) is."""
    header = ["| 申请 | 自然人 |  |  |  |  |  |  |  |", "|---|---|---|---|---|---|---|---|---|",
              "| 人情况 | 商业企业 | 科研机构 |  |  |  |  |  |  |"]
    rows = _rows(blank=True, pad=2)
    k = next(i for i, (c, _l) in enumerate(LABELS_2021) if c == "not_processed_duplicate")
    assert not any(_values(k, True))
    rows[k] = "| 请 |" + "  |" * 9
    t3 = header + rows[:k] + ["— 3 —"] + header + rows[k:]
    rep = _parse(tmp_path, _report(t3))
    assert _t3(rep) == _expected()
    assert {f.row_code for f in rep.facts if f.inferred} == {"not_processed_duplicate"}


# --- a row whose blank cells fit several placements ------------------------------------------------------

def test_placement_by_the_tables_layout_and_the_rows_sum():
    from pipelines.lib.read.extract.markdown import _placed_row, _value_cells

    row = ["8.属于行政查询事项", "", "", "", "", "", "1", "1", ""]  # label, 7 cells, one pad: or 1 slot + 7
    cut = _value_cells(row, 7)
    assert cut.ambiguous
    packed = ["", "", "", "", "", "1", "1"]
    # the table shows pads after the numbers: right after the label (the sum agrees)
    assert _placed_row(1, cut.labels, cut, {"packed"}).values == packed
    # no layout shown: the row's own sum (the other placement has 总计 blank under two 1s)
    assert _placed_row(1, cut.labels, cut, set()).values == packed
    # the table shows empty slots before the numbers, but that placement breaks the sum: in doubt
    r = _placed_row(1, cut.labels, cut, {"grid"})
    assert r.doubt and len(r.readings) == 2
    assert [COLS[k] for k in r.doubt] == ["legal_service_org", "total"]


def test_misprinted_row_that_no_placement_settles_is_read_in_part(tmp_path):
    """A row whose 总计 is blank under a printed number (a misprint, as stcsm-2024's carried-forward row) and
    whose cells fit two placements, in a table that shows no layout: the columns the placements agree on
    load, the others are listed in unresolved_rows (unresolved_columns), not guessed."""
    t3 = _rows(blank=True)
    k = next(i for i, (c, _l) in enumerate(LABELS_2021) if c == "denied_admin_query")
    label = LABELS_2021[k][1]
    t3[k] = f"| {label} |  |  |  | 2 |  |  |  |  |"  # 公益组织 2 and 总计 blank, or shifted: in doubt
    rep = _parse(tmp_path, _report(t3))
    (u,) = [u for u in rep.unresolved if u.table == "T3"]
    assert (u.row_code, u.reason) == ("denied_admin_query", "ambiguous_cells") and len(u.readings) >= 2
    assert "public_interest_org" in u.columns
    loaded = {f.col_code for f in rep.facts if f.row_code == "denied_admin_query"}
    assert loaded and not loaded & set(u.columns)
    assert loaded | set(u.columns) == set(COLS)


# --- table 二 --------------------------------------------------------------------------------------------

def test_table_two_lines_without_their_number_are_listed_not_loaded(tmp_path):
    """A one-column row printed as a prose line with its cell blank leaves the label alone: it cannot be
    told from a label whose number the conversion moved elsewhere, so it is listed (cells_missing); a line
    with more numbers than its block has columns ('46 583') is listed too, never read as its first number."""
    t2 = ["| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |", "|---|---|---|---|",
          "| 规章 | 3 |  |  |", "| 行政规范性文件 | 3 | 1 | 20 |  |",
          "第二十条第（五）项", "信息内容本年处理决定数量", "行政许可 46 583",
          "第二十条第（六）项", "信息内容本年处理决定数量", "行政处罚", "行政强制 0",
          "第二十条第（八）项", "信息内容本年收费金额（单位：万元）", "行政事业性收费 ３５．２０"]
    rep = _parse(tmp_path, _report(_rows(), t2=t2))
    t2f = {(f.row_code, f.col_code): (f.value, f.blank) for f in rep.facts if f.table == "T2"}
    assert t2f[("regulations", "issued")] == (3, False)
    assert t2f[("regulations", "repealed")] == (0, True) and t2f[("regulations", "in_force")] == (0, True)
    assert t2f[("normative_documents", "in_force")] == (20, False)  # the pad after it is not a column
    assert t2f[("admin_fees", "fee_amount_10k_yuan")] == (35.2, False)
    assert ("admin_license", "decisions") not in t2f and ("admin_penalty", "decisions") not in t2f
    listed = {u.row_code: u for u in rep.unresolved if u.table == "T2"}
    assert set(listed) == {"admin_license", "admin_penalty"}
    assert listed["admin_license"].printed == "46 583" and listed["admin_penalty"].printed == ""


def test_real_conversions_read_as_before():
    """The reader's rules leave the two real conversions as they were read (their facts are checked by hand
    in tests/test_markdown_reader.py): here, that no generated-document rule adds or removes a row."""
    from tests.test_markdown_reader import REAL

    if not REAL.is_dir():
        pytest.skip("shared corpus not present")
    for name, rows in (("shanghai-stcsm-2024.md", 25), ("shanghai-gov-office-2025.md", 25)):
        ext = read_markdown_bytes((REAL / name).read_bytes())
        t3 = next(g for g in ext.grids if g.origin.startswith("md table 三"))
        assert len(t3.rows) - 1 == rows
        assert not [u for u in ext.unresolved if u.table == "T3"]
