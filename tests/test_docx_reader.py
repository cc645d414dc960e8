"""DOCX reader: reports built here with python-docx (merged cells included) read back number for number;
hostile archives are quarantined quickly with their reason."""

from __future__ import annotations

import io
import random
import time
import zipfile
from pathlib import Path

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT

from pipelines.lib.codes import load_codes
from pipelines.lib.model import ParsedReport, Quarantined
from pipelines.lib.read.extract import docx as docx_reader
from pipelines.lib.read.extract.docx import read_docx_bytes
from pipelines.lib.read.parse import parse_document

T3_COLS = ["natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
           "legal_service_org", "other_org", "total"]

# (group label or None, own label, code) in printed order; group None = label spans the label columns.
T3_HEAD = [(None, "一、本年新收政府信息公开申请数量", "received_new"),
           (None, "二、上年结转政府信息公开申请数量", "carried_over_from_prior")]
T3_OUTCOMES_A = [
    (None, "（一）予以公开", "granted"),
    (None, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "partially_granted"),
    ("（三）不予公开", "1.属于国家秘密", "denied_state_secret"),
    ("（三）不予公开", "2.其他法律行政法规禁止公开", "denied_law_prohibited"),
    ("（三）不予公开", "3.危及“三安全一稳定”", "denied_security_stability"),
    ("（三）不予公开", "4.保护第三方合法权益", "denied_third_party_rights"),
    ("（三）不予公开", "5.属于三类内部事务信息", "denied_internal_affairs"),
    ("（三）不予公开", "6.属于四类过程性信息", "denied_process_info"),
    ("（三）不予公开", "7.属于行政执法案卷", "denied_enforcement_file"),
    ("（三）不予公开", "8.属于行政查询事项", "denied_admin_query"),
    ("（四）无法提供", "1.本机关不掌握相关政府信息", "unavailable_not_held"),
    ("（四）无法提供", "2.没有现成信息需要另行制作", "unavailable_needs_creation"),
    ("（四）无法提供", "3.补正后申请内容仍不明确", "unavailable_unclear"),
    ("（五）不予处理", "1.信访举报投诉类申请", "not_processed_complaint"),
    ("（五）不予处理", "2.重复申请", "not_processed_duplicate"),
    ("（五）不予处理", "3.要求提供公开出版物", "not_processed_publication"),
    ("（五）不予处理", "4.无正当理由大量反复申请", "not_processed_excessive"),
    ("（五）不予处理", "5.要求行政机关确认或重新出具已获取信息", "not_processed_confirmation"),
]
T3_OTHER_2019 = [(None, "（六）其他处理", "other_total")]
T3_OTHER_2021 = [
    ("（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other_no_correction"),
    ("（六）其他处理", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "other_unpaid_fee"),
    ("（六）其他处理", "3.其他", "other_other"),
]
T3_TAIL = [(None, "（七）总计", "processed_total")]


def _merge(table, r0: int, c0: int, r1: int, c1: int, text: str) -> None:
    cell = table.cell(r0, c0).merge(table.cell(r1, c1))
    cell.text = text


def _t2(document, template: str, expected: dict) -> None:
    """Table 二 with merged block titles and value cells spanning several columns."""
    if template == "2021":
        blocks = [
            ("第二十条第（一）项", ["本年制发件数", "本年废止件数", "现行有效件数"],
             [("规章", "regulations", ["3", "1", "40"]), ("行政规范性文件", "normative_documents", ["12", "4", "96"])]),
            ("第二十条第（五）项", ["本年处理决定数量"], [("行政许可", "admin_license", ["1834"])]),
            ("第二十条第（六）项", ["本年处理决定数量"],
             [("行政处罚", "admin_penalty", ["3985758"]), ("行政强制", "admin_coercion", ["27"])]),
            ("第二十条第（八）项", ["本年收费金额（单位：万元）"], [("行政事业性收费", "admin_fees", ["18651.06"])]),
        ]
    else:
        blocks = [
            ("第二十条第（一）项", ["本年新\n制作数量", "本年新\n公开数量", "对外公开总数量"],
             [("规章", "regulations", ["2", "2", "24"]), ("规范性文件", "normative_documents", ["5", "4", "61"])]),
            ("第二十条第（五）项", ["上一年项目数量", "本年增/减", "处理决定数量"],
             [("行政许可", "admin_license", ["30", "-2", "1200"]),
              ("其他对外管理服务事项", "other_admin_services", ["8", "0", "15"])]),
            ("第二十条第（六）项", ["上一年项目数量", "本年增/减", "处理决定数量"],
             [("行政处罚", "admin_penalty", ["12", "1", "3400"]), ("行政强制", "admin_coercion", ["4", "0", "9"])]),
            ("第二十条第（八）项", ["上一年项目数量", "本年增/减"], [("行政事业性收费", "admin_fees", ["6", "-1"])]),
            ("第二十条第（九）项", ["采购项目数量", "采购总金额"],
             [("政府集中采购", "centralized_procurement", ["7", "251000元"])]),
        ]
    codes = load_codes().proactive[template]
    n_rows = sum(2 + len(rows) for _, _, rows in blocks)
    table = document.add_table(rows=n_rows, cols=4)
    r = 0
    for title, headers, rows in blocks:
        _merge(table, r, 0, r, 3, title)
        r += 1
        table.cell(r, 0).text = "信息内容"
        spans = _spans(len(headers))
        for (c0, c1), h in zip(spans, headers, strict=True):
            _merge(table, r, c0, r, c1, h)
        r += 1
        for label, code, values in rows:
            table.cell(r, 0).text = label
            for (c0, c1), v in zip(spans, values, strict=True):
                _merge(table, r, c0, r, c1, v)
            item = next(it for it in codes.values() if code in it.rows)
            for col, v in zip(item.columns, values, strict=True):
                expected[("T2", code, col)] = float(v.rstrip("元"))
            r += 1


def _spans(n: int) -> list[tuple[int, int]]:
    """Columns 1..3 shared out among n value cells; the last one takes the rest (as Word tables do)."""
    out = [(1 + i, 1 + i) for i in range(n - 1)]
    out.append((n, 3))
    return out


def _t3(document, template: str, expected: dict) -> None:
    """Table 三 in the official layout: 3 label columns with vertical merges, 3 header rows."""
    outcomes = T3_OUTCOMES_A + (T3_OTHER_2021 if template == "2021" else T3_OTHER_2019) + T3_TAIL
    data_rows = T3_HEAD + outcomes + [(None, "四、结转下年度继续办理", "carried_forward")]
    table = document.add_table(rows=3 + len(data_rows), cols=10)
    _merge(table, 0, 0, 2, 2, "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）")
    _merge(table, 0, 3, 0, 9, "申请人情况")
    _merge(table, 1, 3, 2, 3, "自然人")
    _merge(table, 1, 4, 1, 8, "法人或其他组织")
    _merge(table, 1, 9, 2, 9, "总计")
    for c, h in enumerate(["商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]):
        table.cell(2, 4 + c).text = h
    first_outcome = 3 + len(T3_HEAD)
    _merge(table, first_outcome, 0, first_outcome + len(outcomes) - 1, 0, "三、本年度办理结果")
    r = 3
    k = 0
    while k < len(data_rows):
        group, label, _ = data_rows[k]
        label_c0 = 1 if first_outcome <= r < first_outcome + len(outcomes) else 0
        if group is None:
            _merge(table, r, label_c0, r, 2, label)
            k_next = k + 1
        else:
            n = sum(1 for g, _, _ in data_rows[k:] if g == group)
            _merge(table, r, 1, r + n - 1, 1, group)
            for j in range(n):
                table.cell(r + j, 2).text = data_rows[k + j][1]
            k_next = k + n
        for j in range(k, k_next):
            code = data_rows[j][2]
            for c, col in enumerate(T3_COLS):
                v = 100 + 7 * j + c
                text = str(v)
                if code == "denied_admin_query" and col == "research_institution":
                    text, v = "", 0  # a blank cell reads as 0, flagged blank
                if code == "granted" and col == "public_interest_org":
                    text, v = "—", 0
                table.cell(3 + j, 3 + c).text = text
                expected[("T3", code, col)] = float(v)
        r += k_next - k
        k = k_next


def _t4(document, expected: dict) -> None:
    """Table 四 nested in a one-cell layout table: the inner table is read as a grid of its own."""
    outer = document.add_table(rows=1, cols=1)
    host = outer.cell(0, 0)
    host.text = "表四"
    table = host.add_table(rows=4, cols=15)
    _merge(table, 0, 0, 0, 4, "行政复议")
    _merge(table, 0, 5, 0, 14, "行政诉讼")
    results = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    for c, h in enumerate(results):
        _merge(table, 1, c, 2, c, h)
    _merge(table, 1, 5, 1, 9, "未经复议直接起诉")
    _merge(table, 1, 10, 1, 14, "复议后起诉")
    for c in range(10):
        table.cell(2, 5 + c).text = results[c % 5]
    codes = load_codes()
    k = 0
    for proc in codes.proceedings:
        for res in codes.results:
            table.cell(3, k).text = f" {k + 1} "  # stray spaces as in the seed report
            expected[("T4", proc, res)] = float(k + 1)
            k += 1


def build_report(path: Path, template: str, year: int) -> dict:
    expected: dict = {}
    d = docx.Document()
    d.add_paragraph(f"某某市某某局{year}年度政府信息公开工作年度报告")
    d.add_paragraph("一、总体情况")
    d.add_paragraph("本年度报告中所列数据统计期限自1月1日至12月31日止。")
    p = d.add_paragraph("二、主动公开政府信息情况")
    # An external hyperlink relationship: the reader must not need (or fetch) it.
    d.part.relate_to("http://127.0.0.1:9/never-fetched", RT.HYPERLINK, is_external=True)
    p.add_run("（见下表）")
    _t2(d, template, expected)
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    _t3(d, template, expected)
    d.add_paragraph("四、政府信息公开行政复议、行政诉讼情况")
    _t4(d, expected)
    d.add_paragraph("五、存在的主要问题及改进情况")
    d.save(str(path))
    return expected


@pytest.mark.parametrize("template,year", [("2019", 2020), ("2021", 2021)])
def test_docx_report_reads_every_number(tmp_path: Path, template: str, year: int) -> None:
    path = tmp_path / f"report-{template}.docx"
    expected = build_report(path, template, year)
    rep = parse_document(path)
    assert isinstance(rep, ParsedReport), rep
    assert rep.format == "docx"
    assert rep.agency_name == "某某市某某局"
    assert rep.year == year
    assert rep.template == template
    got = {(f.table, f.row_code, f.col_code): f.value for f in rep.facts if not f.derived}
    assert got == expected
    n_rows = 23 if template == "2019" else 25
    assert len([k for k in got if k[0] == "T3"]) == 7 * n_rows
    assert not [w for w in rep.warnings if "table 三" in w], rep.warnings
    blank = {(f.row_code, f.col_code) for f in rep.facts if f.blank}
    assert blank == {("denied_admin_query", "research_institution"), ("granted", "public_interest_org")}
    if template == "2021":  # other_total derived from the three printed sub-rows
        derived = {f.col_code: f.value for f in rep.facts if f.derived}
        assert derived["natural_person"] == sum(expected[("T3", c, "natural_person")]
                                                for c in ("other_no_correction", "other_unpaid_fee", "other_other"))


def test_merged_cells_become_flagged_copies(tmp_path: Path) -> None:
    path = tmp_path / "r.docx"
    build_report(path, "2021", 2021)
    ext = read_docx_bytes(path.read_bytes())
    assert ext.text.startswith("某某市某某局2021年度政府信息公开工作年度报告")
    t3 = next(g for g in ext.grids if "申请人情况" in g.all_text())
    assert len(t3.rows) == 3 + 25 and all(len(r) == 10 for r in t3.rows)
    top = t3.rows[0]
    assert not top[0].h_copy and top[1].h_copy and top[2].h_copy  # gridSpan across the label columns
    assert t3.rows[1][0].v_copy and t3.rows[2][2].v_copy and t3.rows[2][2].h_copy  # vMerge of the same cell
    assert t3.rows[1][3].text == "自然人" and t3.rows[2][3].v_copy and t3.rows[2][3].text == "自然人"
    outcome_col = [r[0] for r in t3.rows[5:27]]
    assert outcome_col[0].text == "三、本年度办理结果" and not outcome_col[0].v_copy
    assert all(c.v_copy and c.text == "三、本年度办理结果" for c in outcome_col[1:])
    # the layout table around table 四 is not a grid; the nested table is
    t4 = [g for g in ext.grids if "行政复议" in g.all_text()]
    assert len(t4) == 1 and len(t4[0].rows) == 4 and len(t4[0].rows[0]) == 15
    assert not any(g.all_text() == "表四" for g in ext.grids)


def test_strict_ooxml_namespace(tmp_path: Path) -> None:
    # Word's "Strict Open XML" flavour uses another namespace for the same elements.
    path = tmp_path / "r.docx"
    expected = build_report(path, "2021", 2021)
    buf = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                data = data.replace(docx_reader.W_NS.encode(), docx_reader.W_STRICT_NS.encode())
            dst.writestr(info, data)
    strict = tmp_path / "strict.docx"
    strict.write_bytes(buf.getvalue())
    rep = parse_document(strict)
    assert isinstance(rep, ParsedReport), rep
    assert {(f.table, f.row_code, f.col_code): f.value for f in rep.facts if not f.derived} == expected


# ---- hostile files: each quarantined at the read stage with its reason, fast ----------------------------

def _quarantine(path: Path) -> Quarantined:
    t0 = time.monotonic()
    res = parse_document(path)
    assert time.monotonic() - t0 < 5, "a hostile DOCX must be refused quickly"
    assert isinstance(res, Quarantined), res
    assert res.stage == "read"
    return res


def test_truncated_docx(tmp_path: Path) -> None:
    good = tmp_path / "good.docx"
    build_report(good, "2021", 2021)
    data = good.read_bytes()
    bad = tmp_path / "truncated.docx"
    bad.write_bytes(data[: len(data) // 2])
    assert _quarantine(bad).reason == "corrupt_docx"


def test_random_bytes_named_docx(tmp_path: Path) -> None:
    bad = tmp_path / "random.docx"
    bad.write_bytes(random.Random(7).randbytes(20_000))
    assert _quarantine(bad).reason == "corrupt_docx"


def test_zip_without_document_part(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    bad = tmp_path / "empty.docx"
    bad.write_bytes(buf.getvalue())
    assert _quarantine(bad).reason == "corrupt_docx"


def test_zip_bomb(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("word/document.xml", "w") as f:
            chunk = b" " * (1 << 20)
            for _ in range(40):  # 40 MB of spaces -> a few tens of KB compressed
                f.write(chunk)
    bad = tmp_path / "bomb.docx"
    bad.write_bytes(buf.getvalue())
    assert bad.stat().st_size < 1_000_000
    res = _quarantine(bad)
    assert res.reason == "zip_bomb" and "zip bomb" in res.detail


def test_zip_bomb_over_total_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Many members, each one unremarkable: the sum of their sizes gives them away. The cap is lowered
    # so that the test stays small (the real 100 MB cap exceeds parse_document's 50 MB file limit).
    monkeypatch.setattr(docx_reader, "MAX_TOTAL_BYTES", 4 << 20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
        payload = random.Random(1).randbytes(1 << 20)  # stored, incompressible: the ratio check stays quiet
        for i in range(5):
            zf.writestr(f"word/media/image{i}.bin", payload)
    bad = tmp_path / "wide.docx"
    bad.write_bytes(buf.getvalue())
    assert _quarantine(bad).reason == "zip_bomb"


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>某某市某某局2020年度政府信息公开工作年度报告&lol9;</w:t></w:r></w:p></w:body></w:document>
"""


def test_billion_laughs(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", BILLION_LAUGHS)
    bad = tmp_path / "lol.docx"
    bad.write_bytes(buf.getvalue())
    assert _quarantine(bad).reason == "unsafe_xml"


def test_external_entity(tmp_path: Path) -> None:
    xml = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
           '<w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", xml)
    bad = tmp_path / "xxe.docx"
    bad.write_bytes(buf.getvalue())
    assert _quarantine(bad).reason == "unsafe_xml"


def test_malformed_xml(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document><w:body><w:p>")
    bad = tmp_path / "malformed.docx"
    bad.write_bytes(buf.getvalue())
    assert _quarantine(bad).reason == "corrupt_docx"
