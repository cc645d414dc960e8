"""Crawler text with run-together cells (pingtan page.txt): recovery proven by arithmetic, or refused.

Expected values were read by hand from each file and checked against R1–R4 (and, for the rows the
manifest discusses, against the manifest's notes taken from the page.html table cells).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pipelines.lib.codes import load_codes
from pipelines.lib.model import DocumentRejected, ParsedReport, Quarantined
from pipelines.lib.read.extract import crawler_text
from pipelines.lib.read.extract.crawler_text import (
    TooManyReadings,
    agreed_cells,
    checked_splits,
    enumerate_splits,
    read_crawler_text,
)
from pipelines.lib.read.parse import build_report, parse_document
from tests.helpers import failing_rules, ingest_inbox

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
REAL = SHARED / "corpus" / "real"
Z = (0, 0, 0, 0, 0, 0, 0)
Z15 = (0,) * 15


def _needs_shared() -> None:
    if not REAL.is_dir():
        pytest.skip(f"shared corpus not available at {REAL} (the pingtan-*.txt files live there)")


def _parse(name: str) -> ParsedReport | Quarantined:
    _needs_shared()
    path = REAL / name
    if not path.exists():
        pytest.skip(f"{path} is not in the shared corpus")
    return parse_document(path)


def _t3(r: ParsedReport, row: str) -> tuple[float, ...]:
    cols = ["natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
            "legal_service_org", "other_org", "total"]
    by = {f.col_code: f.value for f in r.facts if f.table == "T3" and f.row_code == row}
    assert set(by) == set(cols), f"row {row} missing"
    return tuple(by[c] for c in cols)


def _t4(r: ParsedReport) -> tuple[float, ...]:
    return tuple(f.value for f in r.facts if f.table == "T4")


def _t2(r: ParsedReport, row: str) -> dict[str, float]:
    return {f.col_code: f.value for f in r.facts if f.table == "T2" and f.row_code == row}


# document -> (year, template, {row: 7 values}, table 四, table-二 runs left unresolved)
EXPECTED: dict[str, tuple[int, str, dict[str, tuple[int, ...]], tuple[int, ...], list[str]]] = {
    "pingtan-2019.txt": (2019, "2019", {
        "received_new": (23, 0, 0, 0, 0, 0, 23), "granted": (7, 0, 0, 0, 0, 0, 7),
        "unavailable_not_held": (7, 0, 0, 0, 0, 0, 7), "unavailable_unclear": (5, 0, 0, 0, 0, 0, 5),
        "not_processed_duplicate": (3, 0, 0, 0, 0, 0, 3), "other_total": Z,
        "processed_total": (23, 0, 0, 0, 0, 0, 23), "carried_forward": Z}, Z15,
        ["898989", "3960181", "100153", "26480430", "126025", "350", "13575394432.52"]),
    "pingtan-2020.txt": (2020, "2019", {
        "received_new": (20, 0, 0, 0, 0, 1, 21), "granted": (6, 0, 0, 0, 0, 1, 7),
        "partially_granted": (6, 0, 0, 0, 0, 0, 6), "other_total": (4, 0, 0, 0, 0, 0, 4),
        "processed_total": (20, 0, 0, 0, 0, 1, 21), "carried_forward": Z}, Z15,
        ["7777166", "396442278", "107105", "2648-18538", "1262629", "39573802895.90"]),
    "pingtan-2021.txt": (2021, "2021", {
        "received_new": (64, 0, 0, 2, 0, 4, 70), "granted": (27, 0, 0, 2, 0, 1, 30),
        "partially_granted": (5, 0, 0, 0, 0, 0, 5), "unavailable_not_held": (22, 0, 0, 0, 0, 3, 25),
        "other_other": (1, 0, 0, 0, 0, 0, 1), "processed_total": (63, 0, 0, 2, 0, 4, 69),
        "carried_forward": (1, 0, 0, 0, 0, 0, 1)},
        (1, 0, 2, 0, 3, 12, 0, 0, 0, 12, 0, 0, 0, 0, 0), ["693665"]),
    "pingtan-2022.txt": (2022, "2021", {
        "received_new": (71, 3, 0, 0, 0, 0, 74), "carried_over_from_prior": (1, 0, 0, 0, 0, 0, 1),
        "partially_granted": (8, 1, 0, 0, 0, 0, 9), "unavailable_not_held": (37, 0, 0, 0, 0, 0, 37),
        "other_other": (0, 2, 0, 0, 0, 0, 2), "processed_total": (72, 3, 0, 0, 0, 0, 75), "carried_forward": Z},
        (0, 1, 1, 0, 2, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0), []),
    "pingtan-2023.txt": (2023, "2021", {
        "received_new": (80, 1, 0, 0, 0, 0, 81), "partially_granted": (19, 1, 0, 0, 0, 0, 20),
        "unavailable_not_held": (31, 0, 0, 0, 0, 0, 31), "processed_total": (80, 1, 0, 0, 0, 0, 81),
        "carried_forward": Z},
        (1, 1, 0, 0, 2, 4, 0, 0, 1, 5, 1, 0, 1, 0, 2), ["77132470"]),
    "pingtan-2024.txt": (2024, "2021", {
        "received_new": (217, 1, 0, 0, 0, 0, 218), "denied_internal_affairs": (32, 0, 0, 0, 0, 0, 32),
        "unavailable_not_held": (75, 0, 0, 0, 0, 0, 75), "other_other": (1, 1, 0, 0, 0, 0, 2),
        "processed_total": (217, 1, 0, 0, 0, 0, 218), "carried_forward": Z},
        (2, 1, 3, 1, 7, 0, 0, 0, 0, 0, 13, 2, 4, 0, 19), ["6233440"]),
    "pingtan-2025.txt": (2025, "2021", {
        "received_new": (151, 3, 0, 0, 0, 0, 154), "unavailable_not_held": (49, 1, 0, 0, 0, 0, 50),
        "other_no_correction": (8, 0, 0, 0, 0, 0, 8), "processed_total": (147, 1, 0, 0, 0, 0, 148),
        "carried_forward": (4, 2, 0, 0, 0, 0, 6)},
        (25, 3, 8, 0, 36, 3, 3, 0, 0, 6, 3, 0, 0, 0, 3), ["5845546"]),
    "pingtan-czj-2023.txt": (2023, "2021", {
        "received_new": Z, "partially_granted": Z, "processed_total": Z, "carried_forward": Z}, Z15, []),
    "pingtan-gaj-2019.txt": (2019, "2019", {
        "received_new": Z, "other_total": Z, "processed_total": Z, "carried_forward": Z}, Z15,
        ["4500", "63600", "4300", "124"]),
    "pingtan-gaj-2024.txt": (2024, "2021", {
        "received_new": (8, 0, 0, 0, 0, 0, 8), "granted": (3, 0, 0, 0, 0, 0, 3),
        "partially_granted": (1, 0, 0, 0, 0, 0, 1), "unavailable_not_held": (4, 0, 0, 0, 0, 0, 4),
        "other_no_correction": Z, "processed_total": (8, 0, 0, 0, 0, 0, 8)}, Z15, []),
    "pingtan-gwh-2023.txt": (2023, "2021", {
        "received_new": (21, 0, 0, 0, 0, 0, 21), "granted": (6, 0, 0, 0, 0, 0, 6),
        "denied_process_info": (1, 0, 0, 0, 0, 0, 1), "unavailable_not_held": (14, 0, 0, 0, 0, 0, 14),
        "processed_total": (21, 0, 0, 0, 0, 0, 21)}, Z15, ["2159165"]),
    "pingtan-hzs-2024.txt": (2024, "2021", {
        "received_new": (28, 0, 0, 0, 0, 0, 28), "granted": (18, 0, 0, 0, 0, 0, 18),
        "partially_granted": (6, 0, 0, 0, 0, 0, 6), "unavailable_not_held": (4, 0, 0, 0, 0, 0, 4),
        "processed_total": (28, 0, 0, 0, 0, 0, 28)},
        (1, 0, 0, 0, 0) + (0,) * 10, []),
    "pingtan-jjf-2024.txt": (2024, "2021", {
        "received_new": (3, 0, 0, 0, 0, 0, 3), "unavailable_not_held": (3, 0, 0, 0, 0, 0, 3),
        "processed_total": Z}, Z15, ["1129"]),
    "pingtan-jtj-2021.txt": (2021, "2021", {
        "received_new": (5, 0, 0, 0, 0, 0, 5), "granted": (3, 0, 0, 0, 0, 0, 3),
        "partially_granted": (1, 0, 0, 0, 0, 0, 1), "unavailable_not_held": (1, 0, 0, 0, 0, 0, 1),
        "processed_total": (5, 0, 0, 0, 0, 0, 5)}, Z15, []),
    "pingtan-nyn-2020.txt": (2020, "2019", {
        "received_new": Z, "other_total": Z, "processed_total": Z, "carried_forward": Z}, Z15,
        ["121212", "4800", "184253521.20"]),
    "pingtan-scj-2022.txt": (2022, "2021", {
        "received_new": (3, 0, 0, 0, 0, 0, 3), "granted": (1, 0, 0, 0, 0, 0, 1),
        "denied_enforcement_file": (1, 0, 0, 0, 0, 0, 1), "unavailable_not_held": (1, 0, 0, 0, 0, 0, 1),
        "other_unpaid_fee": Z, "other_other": Z, "processed_total": (3, 0, 0, 0, 0, 0, 3)}, Z15, ["6051"]),
    "pingtan-shs-2025.txt": (2025, "2021", {
        "received_new": (3, 0, 0, 0, 0, 0, 3), "unavailable_not_held": (2, 0, 0, 0, 0, 0, 2),
        "unavailable_needs_creation": (1, 0, 0, 0, 0, 0, 1), "processed_total": (3, 0, 0, 0, 0, 0, 3)},
        (2, 1, 0, 0, 3, 3, 3, 0, 0, 6, 2, 0, 0, 0, 2), []),
    "pingtan-zrz-2023.txt": (2023, "2021", {
        "received_new": (19, 0, 0, 0, 0, 0, 19), "granted": (6, 0, 0, 0, 0, 0, 6),
        "partially_granted": (8, 1, 0, 0, 0, 0, 8), "other_other": (1, 0, 0, 0, 0, 0, 1),
        "processed_total": (19, 1, 0, 0, 0, 0, 19)},
        (0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0), ["2135"]),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_pingtan_document(name: str) -> None:
    year, template, rows, t4, dropped = EXPECTED[name]
    r = _parse(name)
    assert isinstance(r, ParsedReport), r
    assert (r.year, r.template) == (year, template)
    for row, values in rows.items():
        assert _t3(r, row) == values, row
    assert _t4(r) == t4
    # every printed fact is marked as recovered from run-together text
    assert all(f.inferred and f.inferred_how in ("run_split", "run_split_narrative")
               for f in r.facts if not f.derived)
    # an ambiguous table-二 row is neither guessed nor lost: it is listed with its readings
    unresolved = {u.printed.rstrip("万元"): u for u in r.unresolved}
    assert sorted(unresolved) == sorted(dropped)
    for run, u in unresolved.items():
        assert u.table == "T2" and u.reason == "ambiguous_cells" and len(u.readings) > 1, run
        assert not any(f.table == "T2" and f.row_code == u.row_code for f in r.facts), run


# Rows the digits alone leave open, settled by the counts the report's own prose states.
NARRATIVE = {
    # '集中公开现行有效行政规范性文件698件' + '动态更新本年度制发的规范性文件88件' (manifest: HTML cells)
    "pingtan-2022.txt": {"issued": 88, "repealed": 55, "in_force": 698},
    # '我局废止规范性文件6件，制定规范性文件15件' (the manifest's reading 15/6/21)
    "pingtan-hzs-2024.txt": {"issued": 15, "repealed": 6, "in_force": 21},
}


@pytest.mark.parametrize("name", sorted(NARRATIVE))
def test_table2_row_settled_by_the_reports_own_text(name: str) -> None:
    r = _parse(name)
    assert isinstance(r, ParsedReport), r
    assert _t2(r, "normative_documents") == NARRATIVE[name]
    assert {f.inferred_how for f in r.facts if f.table == "T2" and f.row_code == "normative_documents"} == \
        {"run_split_narrative"}
    assert any("only 88/55/698" in w or "only 15/6/21" in w for w in r.warnings)


@pytest.mark.parametrize("name", ["pingtan-2018.txt", "pingtan-dishui-2013.txt"])
def test_pre2019_reports_are_quarantined(name: str) -> None:
    r = _parse(name)
    assert isinstance(r, Quarantined)
    assert (r.stage, r.reason) == ("detect", "template_pre2019")


def test_old_statistics_table_is_not_read_as_table3() -> None:
    _needs_shared()
    ext = read_crawler_text((REAL / "pingtan-2018.txt").read_text(encoding="utf-8"))
    assert ext.grids == []


def test_titles_and_agencies() -> None:
    assert _parse("pingtan-2023.txt").agency_name == "平潭综合实验区"
    assert _parse("pingtan-gwh-2023.txt").agency_name == "平潭综合实验区管委会办公室"
    assert _parse("pingtan-zrz-2023.txt").agency_name == "平潭综合实验区自然资源与生态环境局"


def test_unrecoverable_rows_are_not_guessed() -> None:
    # pingtan-2021 行政规范性文件 '693665' (HTML: 69/3/665): text alone cannot tell; no fact is stored.
    r = _parse("pingtan-2021.txt")
    assert _t2(r, "normative_documents") == {}
    w = next(w for w in r.warnings if "693665" in w)
    assert "69/3/665" in w
    u = next(u for u in r.unresolved if u.row_code == "normative_documents")
    assert "69/3/665" in u.readings and len(u.readings) == 10
    # pingtan-zrz-2023 '2135' likewise. pingtan-2023 '77132470': the prose's 制发…77件 leaves five
    # readings (77/1/32470 … 77/13247/0) and its 现行有效…393件 sits in a 清理 clause, so nothing is chosen.
    assert _t2(_parse("pingtan-zrz-2023.txt"), "normative_documents") == {}
    assert _t2(_parse("pingtan-2023.txt"), "normative_documents") == {}


def test_table2_rows_that_are_unique() -> None:
    r = _parse("pingtan-2020.txt")
    assert _t2(r, "admin_fees") == {"prior_year_items": 35, "change": -15}  # '35-15'
    assert _t2(r, "regulations") == {"new_made": 0, "new_published": 0, "total_published": 7}
    assert _t2(r, "admin_penalty") == {}  # '2648-18538': the change cell could be -1, -18, -185 or -1853
    assert _t2(_parse("pingtan-2025.txt"), "admin_fees") == {"fee_amount_10k_yuan": 4166.241619}
    assert _t2(_parse("pingtan-2024.txt"), "admin_fees") == {"fee_amount_10k_yuan": 18651.06}
    assert _t2(_parse("pingtan-shs-2025.txt"), "normative_documents") == {"issued": 7, "repealed": 0, "in_force": 0}
    assert _t2(_parse("pingtan-jtj-2021.txt"), "normative_documents") == {"issued": 0, "repealed": 0, "in_force": 12}


def test_report_arithmetic_errors_are_kept_and_reported() -> None:
    zrz = _parse("pingtan-zrz-2023.txt")
    assert any("8100008" in w and "R3" in w for w in zrz.warnings)
    assert any("191000019" in w and "R3" in w for w in zrz.warnings)
    jjf = _parse("pingtan-jjf-2024.txt")
    assert any("R1" in w and "R2" in w for w in jjf.warnings)
    assert any("R2" in w for w in _parse("pingtan-2020.txt").warnings)
    assert any("R4" in w for w in _parse("pingtan-hzs-2024.txt").warnings)


def test_blank_rows_stay_blank() -> None:
    r = _parse("pingtan-scj-2022.txt")
    facts = [f for f in r.facts if f.table == "T3" and f.row_code in ("other_unpaid_fee", "other_other")]
    assert len(facts) == 14 and all(f.blank and f.value == 0 for f in facts)


# ---------------------------------------------------------------- crafted strings (no shared corpus needed)

def test_enumerate_splits_rules() -> None:
    count = ["count"] * 7
    # pingtan-2023 '801000081': 9 digits, 7 cells; only 80/1/0/0/0/0/81 satisfies R3
    r3 = [r for r in enumerate_splits("801000081", count) if sum(map(int, r[:6])) == int(r[6])]
    assert r3 == [("80", "1", "0", "0", "0", "0", "81")]
    # no leading zeros: '023' can only be 0 | 23
    assert enumerate_splits("023", ["count", "count"]) == [("0", "23")]
    # spaces are hard separators
    assert enumerate_splits("23 0 00 0 023", count) == [("23", "0", "0", "0", "0", "0", "23")]
    # a minus sign opens the 本年增/减 cell only
    assert enumerate_splits("35 -15", ["count", "signed"]) == [("35", "-15")]
    assert enumerate_splits("35 -15", ["count", "count"]) == []
    # decimals only in an amount cell
    assert enumerate_splits("4166.241619", ["amount"]) == [("4166.241619",)]
    # blanks only when the digits are too few, and then the fewest
    assert enumerate_splits("", ["count"] * 3) == [("", "", "")]
    assert all(r.count("") == 1 for r in enumerate_splits("0 00000", count))
    assert enumerate_splits("0 0 0 0 0 0 0 0", count) == []


ROWS_2021 = [
    "一、本年新收政府信息公开申请数量", "二、上年结转政府信息公开申请数量", "三、本年度办理结果（一）予以公开",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "（三）不予公开1.属于国家秘密", "2.其他法律行政法规禁止公开",
    "3.危及“三安全一稳定”", "4.保护第三方合法权益", "5.属于三类内部事务信息", "6.属于四类过程性信息",
    "7.属于行政执法案卷", "8.属于行政查询事项", "（四）无法提供1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作",
    "3.补正后申请内容仍不明确", "（五）不予处理1.信访举报投诉类申请", "2.重复申请", "3.要求提供公开出版物",
    "4.无正当理由大量反复申请", "5.要求行政机关确认或重新出具已获取信息",
    "（六）其他处理1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "3.其他", "（七）总计",
    "四、结转下年度继续办理",
]
HEADER_T4 = ("四、政府信息公开行政复议、行政诉讼情况行政复议行政诉讼" + "结果维持结果纠正其他结果尚未审结总计"
             + "未经复议直接起诉复议后起诉" + "结果维持结果纠正其他结果尚未审结总计" * 2)


def _crafted(runs: dict[int, str], t4: str = "000000000000000") -> str:
    body = ["二、主动公开政府信息情况第二十条第（一）项信息内容本年制发件数本年废止件数现行有效件数规章000"
            "三、收到和处理政府信息公开申请情况申请人情况自然人法人或其他组织总计"]
    for i, label in enumerate(ROWS_2021):
        body.append(label + runs.get(i, "0000000"))
    body.append(HEADER_T4 + t4 + "五、存在的主要问题及改进情况")
    return ("标题: 测试局2023年度政府信息公开工作年度报告\n发布时间: 2024-01-01\n文号: \n发布机构: \n栏目: 年报\n"
            "原文链接: x\n本地目录: x\n页面链接与图片详见 links.tsv(同目录)\n==================== 正文 ====================\n"
            "测试局2023年度政府信息公开工作年度报告 " + "".join(body))


def _build(text: str) -> ParsedReport:
    return build_report(read_crawler_text(text), source_file="crafted.txt", sha256="", fmt="txt")


def test_two_valid_readings_are_ambiguous_and_only_the_agreed_cells_load() -> None:
    # '110000011' reads 11/0/0/0/0/0/11 or 1/10/0/0/0/0/11: both satisfy R3, and R1/R2 hold for both
    # when every row that carries it is equally ambiguous. The rows load in the cells both readings agree
    # on (the four zeros and the 总计 11); 自然人 and 商业企业 are listed, not guessed.
    text = _crafted({0: "110000011", 2: "110000011", 23: "110000011"})
    r = _build(text)
    listed = {u.row_code: u for u in r.unresolved if u.table == "T3"}
    assert set(listed) == {"received_new", "granted", "processed_total"}
    for u in listed.values():
        assert u.reason == "ambiguous_cells"
        assert set(u.readings) == {"11/0/0/0/0/0/11", "1/10/0/0/0/0/11"}
        assert u.columns == ["natural_person", "commercial_enterprise"]
    cells = {(f.row_code, f.col_code): f.value for f in r.facts if f.table == "T3"}
    for row in listed:
        assert cells[(row, "total")] == 11 and cells[(row, "other_org")] == 0
        assert (row, "natural_person") not in cells and (row, "commercial_enterprise") not in cells


def test_spaces_break_the_tie_across_rows() -> None:
    # The 予以公开 row prints spaces, so it is unique; R2 then fixes （七）总计 and R1 fixes 本年新收.
    text = _crafted({0: "110000011", 2: "1 10 0 0 0 0 11", 23: "110000011"})
    r = _build(text)
    assert _t3(r, "received_new") == (1, 10, 0, 0, 0, 0, 11)
    assert _t3(r, "processed_total") == (1, 10, 0, 0, 0, 0, 11)


def test_ordinal_glued_to_previous_row() -> None:
    # '40000042.没有现成…': the '2.' is the next label's ordinal (pingtan-gaj-2024).
    text = _crafted({0: "4000004", 12: "4000004", 23: "4000004"})
    assert "本机关不掌握相关政府信息40000042.没有现成" in text
    r = _build(text)
    assert _t3(r, "unavailable_not_held") == (4, 0, 0, 0, 0, 0, 4)
    assert _t3(r, "unavailable_needs_creation") == Z


def test_table4_ambiguity() -> None:
    # '1100011' + ten zeros: review block 11/0/0/0/11 or 1/10/0/0/11, both satisfy R4. That block is an
    # unresolved row with both readings (not guessed); the two litigation blocks, settled, load.
    ext = read_crawler_text(_crafted({}, t4="11000110000000000"))
    rows = [u for u in ext.unresolved if u.table == "T4"]
    assert [u.row_code for u in rows] == ["admin_review"]
    assert rows[0].reason == "ambiguous_cells" and set(rows[0].readings) == {"11/0/0/0/11", "1/10/0/0/11"}
    rep = build_report(ext, source_file="crafted.txt", sha256="", fmt="txt")
    t4 = {f.row_code for f in rep.facts if f.table == "T4"}
    assert "admin_review" not in t4 and {"litigation_direct", "litigation_after_review"} <= t4


def test_no_fallback_when_fewest_failures_tie() -> None:
    # Two readings, both breaking R4 once: refused rather than picked.
    with pytest.raises(DocumentRejected) as e:
        read_crawler_text(_crafted({}, t4="1200000000000000"))
    assert e.value.reason == "ambiguous_cells"


def test_module_documents_its_fallback() -> None:
    assert "fewest" in (crawler_text.__doc__ or "")


def test_fallback_does_not_pick_between_tied_readings() -> None:
    # '11000012' has no split satisfying R3; 11/0/0/0/0/1/2 and 1/1/0/0/0/0/12 each break three R1
    # checks (the rest of the table is zero), so neither is picked: the row loads only in the cells both
    # give alike, the rest is listed with both readings.
    r = _build(_crafted({0: "11000012"}))
    (u,) = [u for u in r.unresolved if u.table == "T3"]
    assert u.row_code == "received_new" and u.reason == "ambiguous_cells"
    assert set(u.readings) >= {"11/0/0/0/0/1/2", "1/1/0/0/0/0/12"}
    cells = {f.col_code: f.value for f in r.facts if f.table == "T3" and f.row_code == "received_new"}
    assert set(cells) == set(load_codes().requester_types) - set(u.columns)
    assert {"natural_person", "total"} <= set(u.columns)
    assert any("satisfies R3" in w for w in r.warnings)


def test_unresolved_rows_and_inference_reach_the_warehouse(tmp_path: Path) -> None:
    _needs_shared()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("pingtan-2021.txt", "pingtan-hzs-2024.txt"):
        shutil.copy(REAL / name, inbox / name)
    con = ingest_inbox(inbox, tmp_path / "w.duckdb")
    rows = con.execute("SELECT source_file, table_no, row_code, printed, reason, len(readings), "
                       "list_contains(readings, '69/3/665') FROM unresolved_rows ORDER BY 1").fetchall()
    assert rows == [("pingtan-2021.txt", "T2", "normative_documents", "693665", "ambiguous_cells", 10, True)]
    how = con.execute("SELECT DISTINCT source_file, inferred_how FROM proactive_facts "
                      "WHERE row_code = 'normative_documents' ORDER BY 1").fetchall()
    assert how == [("pingtan-hzs-2024.txt", "run_split_narrative")]
    assert con.execute("SELECT count(*) FROM request_facts WHERE inferred_how = 'run_split'").fetchone()[0] > 0
    # the gap shows in quality_results too, pointing at unresolved_rows
    assert failing_rules(con, "pingtan-2021.txt")["C1_required_cells"] == ["表二"]
    msg = con.execute("SELECT message FROM quality_results JOIN reports USING (report_id) WHERE "
                      "source_file = 'pingtan-2021.txt' AND rule_id = 'C1_required_cells' AND NOT passed").fetchone()[0]
    assert "unresolved_rows" in msg
    # the analysts' question 4 (docs/analyst-queries.md) answers it
    q4 = re.findall(r"```sql\n(.*?)```", (REPO / "docs" / "analyst-queries.md").read_text(encoding="utf-8"),
                    flags=re.S)[3]
    assert con.execute(q4).fetchall() == [
        ("平潭综合实验区", 2021, "行政规范性文件", "693665", "ambiguous_cells", 10, ["6/9/3665", "6/93/665", "6/936/65"])]


def test_checked_splits_allow_a_blank_anywhere_and_keep_the_sums() -> None:
    # Zeros left blank: '1212' is 12 under any one of the six requester columns and 12 in 总计.
    readings = checked_splits("1212", [7])
    assert len(readings) == 6 and {r[6] for r in readings} == {"12"}
    assert all(sum(int(c or 0) for c in r[:6]) == int(r[6]) for r in readings)
    assert agreed_cells(readings) == [None] * 6 + ["12"]
    # A row that prints nothing is blank in every cell, whatever the sums.
    assert checked_splits("", [5, 5, 5]) == [("",) * 15]
    # Spaces stay hard separators, and no reading breaks a block's sum.
    assert checked_splits("1 1 2", [5, 5, 5]) and all(
        sum(int(c or 0) for c in r[5 * b: 5 * b + 4]) == int(r[5 * b + 4] or 0)
        for r in checked_splits("1 1 2", [5, 5, 5]) for b in range(3))
    # Every cell printed: a long table-四 run whose cuts are too many to list is still cut under R4.
    long_run = "1310015380131112500000"
    with pytest.raises(TooManyReadings):
        enumerate_splits(long_run, ["count"] * 15)
    printed = checked_splits(long_run, [5, 5, 5], blanks=False)
    assert printed and all("" not in r and "".join(r) == long_run for r in printed)


def test_a_long_table4_run_with_printed_zeros_is_read_under_r4() -> None:
    truth = {"admin_review": (13, 1, 0, 1, 15), "litigation_direct": (38, 0, 13, 11, 62),
             "litigation_after_review": (15, 0, 0, 0, 15)}
    run = "".join(str(v) for block in truth.values() for v in block)
    with pytest.raises(TooManyReadings):
        enumerate_splits(run, ["count"] * 15)
    r = _build(_crafted({}, t4=run))
    cols = list(load_codes().results)
    listed = {u.row_code: u for u in r.unresolved if u.table == "T4"}
    for row, block in truth.items():
        got = {f.col_code: f.value for f in r.facts if f.table == "T4" and f.row_code == row}
        if row in listed:  # several readings keep R4: the true one is among them, none is loaded
            assert "/".join(map(str, block)) in listed[row].readings and not got
        else:
            assert got == dict(zip(cols, block, strict=True))
    assert len(listed) < 3
