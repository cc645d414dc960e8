"""The printed layout of tables 二, 三 and 四 (official wording), shared by every renderer.

Codes come from codes.yaml; only the split of each label over the three label columns of
table 三 (and the group headings that codes.yaml does not spell out) is written here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.lib.codes import load_codes

T3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T3_RESULTS = "三、本年度办理结果"
T3_COLUMNS = ("natural_person", "commercial_enterprise", "research_institution", "public_interest_org",
              "legal_service_org", "other_org", "total")
ORG_COLUMNS = ("商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他")

# Group headings of the outcome sub-rows: codes.yaml prints only the "（三）" ordinal in the row labels.
_GROUPS = {"（三）": "（三）不予公开", "（四）": "（四）无法提供", "（五）": "（五）不予处理", "（六）": "（六）其他处理"}

T4_PROCEEDINGS = ("admin_review", "litigation_direct", "litigation_after_review")
T4_RESULTS = ("upheld", "corrected", "other", "pending", "total")
T4_RESULT_LABELS = ("结果维持", "结果纠正", "其他结果", "尚未审结", "总计")


@dataclass(frozen=True)
class T3Row:
    """One data row of table 三: which label columns it prints.

    ``item`` is the first label column (一、… / 三、本年度办理结果 / 四、…), ``group`` the second
    ((一)…(七)) and ``sub`` the third (1.… numbered reasons). An item row spans all three columns;
    an outcome row without sub-reasons spans columns two and three.
    """

    code: str
    item: str
    group: str | None
    sub: str | None


def t3_rows(template: str) -> list[T3Row]:
    codes = load_codes()
    out = []
    for code in codes.request_rows_for(template, split_other=template == "2021"):
        label = codes.request_rows[code]
        if code == "other_total":
            label = "三、（六）其他处理"  # codes.yaml annotates this one; print the plain label
        if not label.startswith("三、"):
            out.append(T3Row(code, label, None, None))
            continue
        rest = label[len("三、"):]
        ordinal = rest[:3]
        if ordinal in _GROUPS and rest != _GROUPS[ordinal]:
            out.append(T3Row(code, T3_RESULTS, _GROUPS[ordinal], rest[3:]))
        else:
            out.append(T3Row(code, T3_RESULTS, rest, None))
    return out


@dataclass(frozen=True)
class T2Block:
    """One article-20 block of table 二: title, printed column headers, rows (code, label)."""

    item: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[tuple[str, str]]


_ITEM_TITLES = {"item_1": "第二十条第（一）项", "item_5": "第二十条第（五）项", "item_6": "第二十条第（六）项",
                "item_8": "第二十条第（八）项", "item_9": "第二十条第（九）项"}


def t2_blocks(template: str) -> list[T2Block]:
    blocks = []
    for item, spec in load_codes().proactive[template].items():
        blocks.append(T2Block(item, _ITEM_TITLES[item], list(spec.columns.items()), list(spec.rows.items())))
    return blocks


def split_header(label: str) -> str:
    """Header words as Word wraps them in a narrow cell ('本年新' / '制作数量'): a newline inside."""
    if label.startswith("本年新") and len(label) > 5:
        return label[:3] + "\n" + label[3:]
    if "（单位" in label:
        i = label.index("（单位")
        return label[:i] + "\n" + label[i:]
    return label


# Label wording variants agencies print (hongze, huaian, stcsm): the generators' `label_variant` switch.
LABEL_VARIANTS = (("行政规范性文件", "规范性文件"), ("社会公益组织", "社会公益 组织"))


def with_label_variants(text: str, *, ordinals: bool = True) -> str:
    """``text`` with the variant wordings, and ('1、' for '1.') the ordinal variant unless ``ordinals`` is off."""
    for a, b in LABEL_VARIANTS:
        text = text.replace(a, b)
    return text.replace("1.属于国家秘密", "1、属于国家秘密") if ordinals else text
