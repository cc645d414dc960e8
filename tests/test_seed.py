"""The seed report (宁波市公安局 2019) parses to exactly its printed numbers, every cell of 表二, 表三, 表四.

Expected values were typed by hand from ../shared/corpus/real/ningbo-police-2019.txt.
"""

from __future__ import annotations

import pytest

from pipelines.lib.model import ParsedReport
from pipelines.lib.read.parse import parse_document
from tests.conftest import corpus_file

ORGS = ["commercial_enterprise", "research_institution", "public_interest_org", "legal_service_org", "other_org"]

# Table 三: natural-person column; every 法人或其他组织 column is 0 and 总计 equals 自然人.
T3_NATURAL = {
    "received_new": 179, "carried_over_from_prior": 20, "granted": 5, "partially_granted": 1,
    "denied_state_secret": 0, "denied_law_prohibited": 0, "denied_security_stability": 0,
    "denied_third_party_rights": 0, "denied_internal_affairs": 0, "denied_process_info": 0,
    "denied_enforcement_file": 1, "denied_admin_query": 0,
    "unavailable_not_held": 17, "unavailable_needs_creation": 0, "unavailable_unclear": 0,
    "not_processed_complaint": 131, "not_processed_duplicate": 0, "not_processed_publication": 0,
    "not_processed_excessive": 0, "not_processed_confirmation": 0,
    "other_total": 44, "processed_total": 199, "carried_forward": 0,
}
T4 = {
    ("admin_review", "upheld"): 1, ("admin_review", "corrected"): 0, ("admin_review", "other"): 2,
    ("admin_review", "pending"): 0, ("admin_review", "total"): 3,
    ("litigation_direct", "upheld"): 0, ("litigation_direct", "corrected"): 0, ("litigation_direct", "other"): 1,
    ("litigation_direct", "pending"): 0, ("litigation_direct", "total"): 1,
    ("litigation_after_review", "upheld"): 0, ("litigation_after_review", "corrected"): 0,
    ("litigation_after_review", "other"): 0, ("litigation_after_review", "pending"): 0,
    ("litigation_after_review", "total"): 0,
}
T2 = {
    ("item_1", "regulations", "new_made"): 0, ("item_1", "regulations", "new_published"): 0,
    ("item_1", "regulations", "total_published"): 0,
    ("item_1", "normative_documents", "new_made"): 2, ("item_1", "normative_documents", "new_published"): 2,
    ("item_1", "normative_documents", "total_published"): 24,
    ("item_5", "admin_license", "prior_year_items"): 157, ("item_5", "admin_license", "change"): 0,
    ("item_5", "admin_license", "decisions"): 0,
    ("item_5", "other_admin_services", "prior_year_items"): 37, ("item_5", "other_admin_services", "change"): 0,
    ("item_5", "other_admin_services", "decisions"): 0,
    ("item_6", "admin_penalty", "prior_year_items"): 509, ("item_6", "admin_penalty", "change"): 0,
    ("item_6", "admin_penalty", "decisions"): 55586,
    ("item_6", "admin_coercion", "prior_year_items"): 27, ("item_6", "admin_coercion", "change"): 0,
    ("item_6", "admin_coercion", "decisions"): 18234,
    ("item_8", "admin_fees", "prior_year_items"): 11, ("item_8", "admin_fees", "change"): 0,
    ("item_9", "centralized_procurement", "procurement_items"): 321,
    ("item_9", "centralized_procurement", "procurement_amount"): 52226534,
}


@pytest.fixture(scope="module")
def seed() -> ParsedReport:
    rep = parse_document(corpus_file("ningbo-police-2019.txt"), source_file="ningbo-police-2019.txt")
    assert isinstance(rep, ParsedReport), rep
    return rep


def test_identity(seed: ParsedReport) -> None:
    assert seed.agency_name == "宁波市公安局"
    assert seed.year == 2019
    assert seed.template == "2019"
    assert seed.format == "txt"
    assert seed.warnings == []


def test_table3_every_cell(seed: ParsedReport) -> None:
    got = {(f.row_code, f.col_code): f.value for f in seed.facts if f.table == "T3"}
    want = {}
    for row, v in T3_NATURAL.items():
        want[(row, "natural_person")] = v
        want[(row, "total")] = v
        for org in ORGS:
            want[(row, org)] = 0
    assert got == want
    assert len(got) == 23 * 7


def test_table4_every_cell(seed: ParsedReport) -> None:
    got = {(f.row_code, f.col_code): f.value for f in seed.facts if f.table == "T4"}
    assert got == T4


def test_table2_every_cell(seed: ParsedReport) -> None:
    got = {(f.item, f.row_code, f.col_code): f.value for f in seed.facts if f.table == "T2"}
    assert got == T2


def test_provenance_keeps_printed_text(seed: ParsedReport) -> None:
    review_total = next(f for f in seed.facts if f.table == "T4" and f.row_code == "admin_review" and f.col_code == "total")
    assert review_total.printed.strip() == "3" and review_total.printed != "3"  # printed ' 3', kept as printed
    received = next(f for f in seed.facts if f.row_code == "received_new" and f.col_code == "natural_person")
    assert received.row_label == "一、本年新收政府信息公开申请数量"
    assert received.col_label == "自然人"
    assert not any(f.blank for f in seed.facts)
