"""The agency dimension: names of the real corpus and tricky names -> place, level, sector, one id per agency."""

from __future__ import annotations

import pytest

from pipelines.lib.codes import code_labels, load_codes, sectors
from pipelines.lib.harmonize.agencies import AgencyInfo, resolve_agency

# (printed name, adcode, admin_level, sector, region_name), checked by hand against GB/T 2260.
CORPUS = [
    ("宁波市公安局", "330200", "city", "public_security", "浙江省宁波市"),
    ("上海市人民政府办公厅", "310000", "province", "general_government", "上海市"),
    ("上海市科学技术委员会", "310000", "province", "science_technology", "上海市"),
    ("淮安市洪泽区人民政府", "320813", "county", "general_government", "江苏省淮安市洪泽区"),
    ("淮安市人民政府", "320800", "city", "general_government", "江苏省淮安市"),
    # 平潭综合实验区 is not a division of its own; its territory is 平潭县 (350128).
    ("平潭综合实验区公安局", "350128", "county", "public_security", "福建省福州市平潭县"),
    ("平潭综合实验区财政金融局", "350128", "county", "finance", "福建省福州市平潭县"),
    ("平潭综合实验区市场监督管理局", "350128", "county", "market_regulation", "福建省福州市平潭县"),
    ("平潭综合实验区自然资源与生态环境局", "350128", "county", "natural_resources", "福建省福州市平潭县"),
    ("平潭综合实验区交通与建设局", "350128", "county", "transport", "福建省福州市平潭县"),
    ("平潭综合实验区农业农村局", "350128", "county", "agriculture", "福建省福州市平潭县"),
    ("平潭综合实验区行政审批局", "350128", "county", "administrative_approval", "福建省福州市平潭县"),
    ("平潭综合实验区经济发展局", "350128", "county", "development_reform", "福建省福州市平潭县"),
    ("平潭综合实验区社会事业局", "350128", "county", "social_affairs", "福建省福州市平潭县"),
    ("平潭综合实验区管委会办公室", "350128", "county", "general_government", "福建省福州市平潭县"),
    ("平潭综合实验区管委会（全区汇总）", "350128", "county", "general_government", "福建省福州市平潭县"),
    # the synthetic sample's agencies
    ("成都市武侯区市场监督管理局", "510107", "county", "market_regulation", "四川省成都市武侯区"),
    ("广东省自然资源厅", "440000", "province", "natural_resources", "广东省"),
    ("江苏省人民政府办公厅", "320000", "province", "general_government", "江苏省"),
    ("山东省财政厅", "370000", "province", "finance", "山东省"),
]


@pytest.mark.parametrize(("name", "adcode", "level", "sector", "region"), CORPUS)
def test_corpus_agencies(name: str, adcode: str, level: str, sector: str, region: str) -> None:
    info = resolve_agency(name)
    assert (info.adcode, info.admin_level, info.sector, info.region_name) == (adcode, level, sector, region)
    assert info.agency_id.startswith(adcode + ":")


@pytest.mark.parametrize(("variants", "agency_id"), [
    (["宁波市公安局", "浙江省宁波市公安局", " 宁波市 公安局 "], "330200:公安局"),
    # 局 vs 分局: the district bureau and the city bureau's branch named after the district
    (["宁波市海曙区公安局", "宁波市公安局海曙分局", "宁波市海曙区公安分局", "浙江省宁波市公安局海曙分局"], "330203:公安局"),
    (["淮安市洪泽区公安局", "淮安市公安局洪泽分局"], "320813:公安局"),
    (["上海市公安局浦东分局", "上海市浦东新区公安局"], "310115:公安局"),
    (["淮安市洪泽区人民政府", "江苏省淮安市洪泽区人民政府", "洪泽区人民政府"], "320813:人民政府"),
    # the parser of the real corpus reads 上海市科委 from the 2024 report's title
    (["上海市科学技术委员会", "上海市科委"], "310000:科学技术委员会"),
])
def test_variants_share_one_agency_id(variants: list[str], agency_id: str) -> None:
    assert {resolve_agency(v).agency_id for v in variants} == {agency_id}


def test_different_agencies_of_one_place_differ() -> None:
    ids = {resolve_agency(n).agency_id for n in
           ("宁波市公安局", "宁波市人民政府", "宁波市教育局", "宁波市海曙区公安局", "浙江省公安厅")}
    assert len(ids) == 5


@pytest.mark.parametrize(("name", "expected"), [
    # a bare district name that exists in two provinces: better unplaced than wrong
    ("朝阳区人民政府", AgencyInfo("朝阳区人民政府", None, None, None, "general_government")),
    ("北京市朝阳区人民政府", AgencyInfo("110105:人民政府", "北京市朝阳区", "110105", "county", "general_government")),
    ("吉林省吉林市人民政府", AgencyInfo("220200:人民政府", "吉林省吉林市", "220200", "city", "general_government")),
    ("宁波市鄞州区姜山镇人民政府",
     AgencyInfo("330212:姜山镇人民政府", "浙江省宁波市鄞州区姜山镇", "330212", "township", "general_government")),
    ("国家税务总局宁波市税务局", AgencyInfo("330200:税务局", "浙江省宁波市", "330200", "city", "taxation")),
    ("苏州市昆山市人民政府", AgencyInfo("320583:人民政府", "江苏省苏州市昆山市", "320583", "county", "general_government")),
    ("上海市浦东新区生态环境局",
     AgencyInfo("310115:生态环境局", "上海市浦东新区", "310115", "county", "ecology_environment")),
    ("教育部", AgencyInfo("教育部", "全国", None, "national", "education")),
    # 乡 inside 城乡 is no township
    ("德清县住房和城乡建设局",
     AgencyInfo("330521:住房和城乡建设局", "浙江省湖州市德清县", "330521", "county", "housing_construction")),
    ("杭州市上城区南星街道办事处",
     AgencyInfo("330102:南星街道办事处", "浙江省杭州市上城区南星街道", "330102", "township", "general_government")),
    ("某某行业协会", AgencyInfo("某某行业协会", None, None, None, None)),
])
def test_tricky_names(name: str, expected: AgencyInfo) -> None:
    assert resolve_agency(name) == expected


def test_market_regulation_beats_shorter_keywords() -> None:
    # 市场监督管理局 contains 管理局-like text; the longest keyword decides
    assert resolve_agency("杭州市市场监督管理局").sector == "market_regulation"
    assert resolve_agency("杭州市教育局").sector == "education"


def test_sector_taxonomy_is_complete() -> None:
    codes = load_codes()
    secs = sectors(codes)
    assert {"public_security", "education", "general_government", "finance"} <= {s.code for s in secs}
    for s in secs:
        assert s.zh and s.en and s.keywords
    # every keyword belongs to one sector only, so the result does not depend on file order
    kws = [k for s in secs for k in s.keywords]
    assert len(kws) == len(set(kws))


def test_every_code_has_both_labels() -> None:
    labels = code_labels()
    codes = load_codes()
    by_domain: dict[str, set[str]] = {}
    for domain, code, zh, en in labels:
        assert zh and en and en != code, (domain, code)
        by_domain.setdefault(domain, set()).add(code)
    assert by_domain["request_row"] == set(codes.request_rows)
    assert by_domain["requester_type"] == set(codes.requester_types)
    assert by_domain["outcome_group"] == set(codes.outcome_groups)
    assert by_domain["proceeding"] == set(codes.proceedings)
    assert by_domain["result"] == set(codes.results)
    rows = {r for items in codes.proactive.values() for it in items.values() for r in it.rows}
    cols = {c for items in codes.proactive.values() for it in items.values() for c in it.columns}
    assert by_domain["proactive_row"] == rows and by_domain["proactive_column"] == cols
    assert by_domain["proactive_item"] == {i for items in codes.proactive.values() for i in items}


def test_a_load_set_placed_in_one_call_reads_each_name_as_alone() -> None:
    """The loader places a set's names with one cpca call (one call per name cost ~2 ms each, minutes at
    national scale); a name read among others must be read exactly as when it is resolved alone."""
    from pipelines.lib.harmonize import agencies

    names = [n for n, *_ in CORPUS] + ["朝阳区人民政府", "北京市朝阳区人民政府", "吉林省吉林市人民政府",
                                       "宁波市鄞州区姜山镇人民政府", "国家税务总局宁波市税务局", "教育部",
                                       "淮安市公安局洪泽分局", "某某行业协会", "宁波市公安局"]  # one twice
    agencies.resolve_agency.cache_clear()
    agencies._PLACES.clear()
    alone = []
    for n in names:  # each name on its own, caches emptied in between: one cpca call for that name
        alone.append(agencies.resolve_agency(n))
        agencies.resolve_agency.cache_clear()
        agencies._PLACES.clear()
    together = agencies.resolve_agencies(names)
    assert together == alone
    assert len(agencies._PLACES) == len({agencies._base(n) for n in names})  # all placed by that one call
