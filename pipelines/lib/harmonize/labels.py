"""Printed labels -> canonical codes. Known wording variants live here, as data.

Each code lists key phrases (already normalised: NFKC, no spaces, punctuation or
ordinals). A label matches the first code with a phrase it contains; the order of
the lists matters where one phrase is inside another.
"""

from __future__ import annotations

from functools import lru_cache

from pipelines.lib.codes import load_codes
from pipelines.lib.harmonize.normalize import normalize_label

REQUEST_ROW_PHRASES: list[tuple[str, tuple[str, ...]]] = [
    ("received_new", ("本年新收",)),
    ("carried_over_from_prior", ("上年结转",)),
    ("carried_forward", ("结转下年",)),
    ("partially_granted", ("部分公开",)),
    ("granted", ("予以公开",)),
    ("denied_state_secret", ("国家秘密",)),
    # '2.其他法律行政止公开' (hongze) drops 法规禁.
    ("denied_law_prohibited", ("法律行政法规禁止", "其他法律行政", "行政法规禁止公开")),
    ("denied_security_stability", ("三安全一稳定",)),
    ("denied_third_party_rights", ("第三方合法权益",)),
    ("denied_internal_affairs", ("内部事务",)),
    ("denied_process_info", ("过程性信息",)),
    ("denied_enforcement_file", ("行政执法案卷",)),
    ("denied_admin_query", ("行政查询",)),
    ("unavailable_not_held", ("不掌握",)),
    ("unavailable_needs_creation", ("没有现成信息", "另行制作")),
    ("unavailable_unclear", ("仍不明确",)),
    ("not_processed_complaint", ("信访举报投诉", "信访举报")),
    ("not_processed_duplicate", ("重复申请",)),
    ("not_processed_publication", ("公开出版物",)),
    ("not_processed_excessive", ("大量反复",)),
    ("not_processed_confirmation", ("确认或重新出具", "重新出具")),
    ("other_no_correction", ("逾期不补正",)),
    ("other_unpaid_fee", ("收费通知", "缴纳费用")),
    ("other_total", ("其他处理",)),
    ("processed_total", ("总计",)),
]

T2_ROW_PHRASES: list[tuple[str, tuple[str, ...]]] = [
    ("regulations", ("规章",)),
    ("normative_documents", ("规范性文件",)),  # 2019 规范性文件, 2021 行政规范性文件
    ("admin_license", ("行政许可",)),
    ("other_admin_services", ("其他对外管理服务事项", "对外管理服务")),
    ("admin_penalty", ("行政处罚",)),
    ("admin_coercion", ("行政强制",)),
    ("admin_fees", ("行政事业性收费",)),
    ("centralized_procurement", ("政府集中采购", "集中采购")),
]

# Header phrases that tell the templates apart (table 二 column headers).
T2_2021_PHRASES = ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量", "本年收费金额")
T2_2019_PHRASES = ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量", "采购项目数量", "采购总金额")


def _match(norm: str, table: list[tuple[str, tuple[str, ...]]]) -> str | None:
    for code, phrases in table:
        if any(p in norm for p in phrases):
            return code
    return None


@lru_cache(maxsize=65536)
def match_request_row(own_label: str, context: str = "") -> str | None:
    """Code of a table-三 row from its own label; ``context`` is the group label above it.

    '3.其他' is only other_other under （六）其他处理; '（六）其他处理' alone is other_total.
    """
    norm = normalize_label(own_label)
    if not norm:
        return None
    if norm == "其他":
        return "other_other" if "其他处理" in normalize_label(context) else None
    return _match(norm, REQUEST_ROW_PHRASES)


@lru_cache(maxsize=65536)
def match_t2_row(label: str) -> str | None:
    return _match(normalize_label(label), T2_ROW_PHRASES)


def _near(norm: str, phrase: str) -> bool:
    """``phrase`` in ``norm`` with at most one character different (an OCR misread: 逾期 read as 途期)."""
    n = len(phrase)
    return any(sum(a != b for a, b in zip(norm[i:i + n], phrase, strict=True)) <= 1
               for i in range(len(norm) - n + 1))


def match_ocr_label(label: str, table: list[tuple[str, tuple[str, ...]]]) -> str | None:
    """For labels read by OCR that match no phrase exactly: the one code with a phrase of 4 or more
    characters found with a single character misread; None when no code or several codes fit."""
    norm = normalize_label(label)
    hits = {code for code, phrases in table for p in phrases if len(p) >= 4 and _near(norm, p)}
    return hits.pop() if len(hits) == 1 else None


# Labels agencies add that have no code: a subtotal row closing a group, or a subtotal column among the
# 法人或其他组织 columns of table 三 (formats.md §6.9). Every reader sets them aside.
SUBTOTAL_ROW_LABELS = frozenset(("小计", "合计"))


def is_subtotal_row_label(text: str) -> bool:
    """'小计' or '合计' alone (a row of its own, never the rest of another row's label)."""
    return normalize_label(text) in SUBTOTAL_ROW_LABELS


def is_subtotal_column_header(text: str) -> bool:
    """A 小计 column header. Not a bare 合计: some agencies call the 总计 column that."""
    norm = normalize_label(text)
    return "小计" in norm or norm == "法人或其他组织合计"


@lru_cache(maxsize=1)
def org_column_names() -> tuple[str, ...]:
    """Table 三's 法人或其他组织 column headers as printed, in order (商业企业 … 其他), from codes.yaml."""
    return tuple(label.split(" / ")[1] for label in load_codes().requester_types.values() if " / " in label)


def proceeding_of(label: str) -> str | None:
    """The table-四 proceeding a row label names: 复议后起诉, (未经复议)直接起诉, or 行政复议 alone."""
    text = normalize_label(label)
    if "复议后起诉" in text:
        return "litigation_after_review"
    if "直接起诉" in text:
        return "litigation_direct"
    if "行政复议" in text and "起诉" not in text:
        return "admin_review"
    return None
