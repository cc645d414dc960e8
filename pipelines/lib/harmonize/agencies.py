"""Agency identity: the printed name -> a stable agency id and, where known, its place and sector.

Places come from the administrative-division table that ships with ``cpca`` (its address parser
finds province / city / county in the name and fills in the parents); nothing here lists places.
The sector comes from the taxonomy in codes.yaml (``sectors:``), matched on the part of the name
after the place.

agency_id = ``<adcode>:<core name>``, where the core name is what follows the place, with a trailing
分局 read as 局. So 浙江省宁波市公安局 and 宁波市公安局 meet, and so do 淮安市洪泽区公安局 and
淮安市公安局洪泽分局 (a county bureau renamed a branch after the county became a district). An
agency that cannot be placed keeps NULL place fields and its normalized name as id.
"""

from __future__ import annotations

import csv
import importlib.util
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from pipelines.lib.codes import agency_abbreviations, region_aliases, sectors
from pipelines.lib.harmonize.normalize import nfkc, normalize_label

# Rows of the division table that group counties but are not places (北京市 市辖区, 重庆市 县).
_PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})

# Parenthesised notes are not part of the name: 平潭综合实验区管委会（全区汇总）.
_PAREN_RE = re.compile(r"[（(][^（()）]*[）)]")
# A branch named after a district of the city: 公安局 + 海曙 + 分局.
_BRANCH_RE = re.compile(r"^(?P<bureau>.+?局)(?P<stem>[\u4e00-\u9fff]{1,6}?)分局$")
# County-level suffixes removed to get the stem a branch bureau uses (浦东新区 -> 浦东).
_COUNTY_SUFFIX_RE = re.compile(r"(新区|自治县|自治旗|林区|特区|区|县|市|旗)$")
# A township's own bodies: 姜山镇人民政府, 南湖街道办事处 (not 住房和城乡建设局, whose 乡 is a word part).
_TOWNSHIP_RE = re.compile(r"^(?P<town>[\u4e00-\u9fff]{1,6}?(镇|乡|街道))(人民政府|政府|办事处|街道办事处)")
# Central government: 国务院办公厅, 教育部, 国家统计局 ... when the name states no place.
_NATIONAL_RE = re.compile(r"^(国务院|中华人民共和国|国家)|^[\u4e00-\u9fff]{1,10}(部|总局|总署)$")


@dataclass(frozen=True)
class AgencyInfo:
    agency_id: str
    region_name: str | None = None
    adcode: str | None = None
    admin_level: str | None = None
    sector: str | None = None


def _adcodes_csv() -> Path:
    """cpca's bundled division table, found without importing cpca (its import loads pandas: ~0.5 s that
    the nightly no-change check, which only fingerprints this file, should not pay)."""
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("cpca (the administrative-division table) is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "adcodes.csv"


@cache
def divisions() -> dict[str, str]:
    """6-digit adcode -> division name, from cpca's bundled table."""
    out: dict[str, str] = {}
    with _adcodes_csv().open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            out.setdefault(rec["adcode"][:6], rec["name"])
    return out


@cache
def _names_count() -> dict[str, int]:
    counts: dict[str, int] = {}
    for name in divisions().values():
        counts[name] = counts.get(name, 0) + 1
    return counts


def level_of(adcode: str) -> str:
    if adcode.endswith("0000"):
        return "province"
    return "city" if adcode.endswith("00") else "county"


def region_name_of(adcode: str) -> str:
    """Province + city + county names of an adcode (municipal 市辖区 levels do not exist in the table)."""
    d = divisions()
    parts = [adcode[:2] + "0000", adcode[:4] + "00", adcode]
    names: list[str] = []
    for code in dict.fromkeys(parts):
        if code in d and d[code] not in names and d[code] not in _PLACEHOLDERS:
            names.append(d[code])
    return "".join(names)


def sector_of(core: str) -> str | None:
    """The sector whose longest keyword occurs in the name (longest wins: 市场监督管理局 over 管理局)."""
    best: tuple[int, str] | None = None
    for s in sectors():
        for kw in s.keywords:
            if kw in core and (best is None or len(kw) > best[0]):
                best = (len(kw), s.code)
    return best[1] if best else None


def _branch_county(adcode: str, core: str) -> tuple[str, str] | None:
    """公安局海曙分局 under 宁波市 -> (330203, 公安局): the district whose stem names the branch."""
    m = _BRANCH_RE.match(core)
    if not m or level_of(adcode) == "county":
        return None
    prefix = adcode[:2] if level_of(adcode) == "province" else adcode[:4]
    hits = [code for code, name in divisions().items()
            if code.startswith(prefix) and level_of(code) == "county"
            and _COUNTY_SUFFIX_RE.sub("", name) == m["stem"]]
    return (hits[0], m["bureau"]) if len(hits) == 1 else None


# name (as placed) -> cpca's reading; filled set-wise by place_names (one cpca call per load set costs
# about what one name alone does: its per-call pandas overhead is ~2 ms, a name in a batch ~0.02 ms).
_PLACES: dict[str, tuple[str, str] | None] = {}


def place_names(bases: list[str]) -> None:
    """Place every name not placed yet with one cpca call."""
    todo = list(dict.fromkeys(b for b in bases if b not in _PLACES))
    if not todo:
        return
    import cpca  # heavy import (pandas); only when agencies are first resolved

    frame = cpca.transform(todo, pos_sensitive=True)
    for name, row in zip(todo, frame.to_dict("records"), strict=True):
        _PLACES[name] = _place_of(name, row)


def _place_of(name: str, row: dict) -> tuple[str, str] | None:
    """(adcode, text after the place) from cpca's row, or None when no place or an ambiguous one."""
    adcode = row["adcode"]
    if not isinstance(adcode, str) or not adcode:
        return None
    adcode = adcode[:6]
    stated_parent = row["省_pos"] >= 0 or row["市_pos"] >= 0
    county = row["区"] if isinstance(row["区"], str) else None
    if county and not stated_parent and _names_count().get(county, 0) > 1:
        return None  # 朝阳区人民政府: Beijing or Changchun? Better unplaced than wrong.
    positions = [p for p in (row["省_pos"], row["市_pos"], row["区_pos"]) if p >= 0]
    rest = row["地址"] if isinstance(row["地址"], str) else ""
    if not rest and positions:
        rest = name[: min(positions)]  # place at the end: keep what came before it
    return adcode, rest


def _cpca_place(name: str) -> tuple[str, str] | None:
    place_names([name])
    return _PLACES[name]


def _core_id(core: str) -> str:
    core = normalize_label(core)
    return core[:-2] + "局" if core.endswith("分局") else core


def _base(agency_name: str) -> str:
    return _PAREN_RE.sub("", nfkc(agency_name)).replace(" ", "").replace("\u3000", "").strip()


def resolve_agencies(agency_names: list[str]) -> list[AgencyInfo]:
    """resolve_agency of each name, the names not seen before placed with one cpca call."""
    place_names([_base(n) for n in set(agency_names)])
    return [resolve_agency(n) for n in agency_names]


@cache
def resolve_agency(agency_name: str) -> AgencyInfo:
    base = _base(agency_name)
    placed: tuple[str, str] | None = None
    for zone, code in region_aliases().items():
        if zone in base and code in divisions():
            before, after = base.split(zone, 1)
            placed = (code, after or before)
            break
    if placed is None:
        placed = _cpca_place(base)
    if placed is None:
        national = bool(_NATIONAL_RE.search(base))
        return AgencyInfo(agency_id=normalize_label(agency_name),
                          region_name="全国" if national else None,
                          admin_level="national" if national else None, sector=sector_of(base))
    adcode, core = placed
    core = agency_abbreviations().get(core, core)  # 科委 -> 科学技术委员会: one id for both spellings
    branch = _branch_county(adcode, core)
    if branch:
        adcode, core = branch
    level = level_of(adcode)
    region = region_name_of(adcode)
    town = _TOWNSHIP_RE.match(core) if level == "county" else None
    if town:
        level, region = "township", region + town["town"]
    return AgencyInfo(agency_id=f"{adcode}:{_core_id(core)}", region_name=region, adcode=adcode,
                      admin_level=level, sector=sector_of(core or base))


def division_rows() -> list[tuple[str, str, str, str, str | None]]:
    """(adcode, name, level, province_adcode, city_adcode) for every division of cpca's table."""
    out = []
    for code, name in sorted(divisions().items()):
        level = level_of(code)
        out.append((code, name, level, code[:2] + "0000", None if level == "province" else code[:4] + "00"))
    return out


_CHANGED_SQL = """
SELECT count(*) FROM report_history h JOIN _agencies a USING (agency_name)
WHERE (h.agency_id, h.region_name, h.adcode, h.admin_level, h.sector)
      IS DISTINCT FROM (a.agency_id, a.region_name, a.adcode, a.admin_level, a.sector)
"""
_REFRESH_SQL = """
UPDATE report_history h SET agency_id = a.agency_id, region_name = a.region_name, adcode = a.adcode,
       admin_level = a.admin_level, sector = a.sector
FROM _agencies a WHERE a.agency_name = h.agency_name
"""


def resolver_fingerprint() -> str:
    """Changes whenever what resolve_agency reads changes: this module, the codes file, the division data."""
    import hashlib

    from pipelines.lib.codes import CODES_PATH

    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(CODES_PATH.read_bytes())
    h.update(_adcodes_csv().read_bytes())
    return h.hexdigest()


def refresh_report_agencies(con: duckdb.DuckDBPyConnection) -> int:
    """Re-resolve the agency columns of every loaded version (a report is loaded once, but the
    division data or the sector taxonomy may have changed since). Returns the rows changed."""
    names = [r[0] for r in con.execute("SELECT DISTINCT agency_name FROM report_history").fetchall()]
    if not names:
        return 0
    infos = list(zip(names, resolve_agencies(names), strict=True))
    frame = pl.DataFrame(
        [{"agency_name": n, "agency_id": i.agency_id, "region_name": i.region_name, "adcode": i.adcode,
          "admin_level": i.admin_level, "sector": i.sector} for n, i in infos],
        schema={c: pl.String for c in ("agency_name", "agency_id", "region_name", "adcode", "admin_level", "sector")})
    con.register("_agencies", frame)
    try:
        before = con.execute(_CHANGED_SQL).fetchall()[0][0]
        if before:
            con.execute(_REFRESH_SQL)
    finally:
        con.unregister("_agencies")
    return before
