"""A random but internally consistent report truth (the numbers a synthetic report prints).

The truth obeys the cross-check rules of formats.md §4 (R1–R4, non-negative counts, and the
cross-year continuity X1–X3 when it is generated after the same agency's previous year), unless
``broken=True``, which breaks the report's own arithmetic in one recorded way.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field

from pipelines.lib.codes import load_codes

from .layout import T3_COLUMNS, T4_PROCEEDINGS, T4_RESULTS

Key = tuple[str, str, str]  # (table, row_code, col_code)
YEARS = tuple(range(2019, 2026))


@dataclass(frozen=True)
class Agency:
    name: str  # as printed in the report title
    region: str
    level: str  # 省级 / 市级 / 县级 / 乡镇级
    sector: str
    slug: str  # file-name stem
    scale: int  # rough yearly number of disclosure requests (busyness)


AGENCIES: tuple[Agency, ...] = (
    Agency("宁波市公安局", "浙江省宁波市", "市级", "公安", "nb-gaj", 200),
    Agency("杭州市教育局", "浙江省杭州市", "市级", "教育", "hz-jyj", 80),
    Agency("江苏省人民政府办公厅", "江苏省", "省级", "综合", "js-bgt", 600),
    Agency("淳安县人民政府", "浙江省杭州市淳安县", "县级", "综合", "chunan-xzf", 40),
    Agency("南京市卫生健康委员会", "江苏省南京市", "市级", "卫生健康", "nj-wjw", 60),
    Agency("广东省自然资源厅", "广东省", "省级", "自然资源", "gd-zrzyt", 900),
    Agency("成都市武侯区市场监督管理局", "四川省成都市武侯区", "县级", "市场监管", "cd-wh-scjgj", 30),
    Agency("武汉市人力资源和社会保障局", "湖北省武汉市", "市级", "人力资源社会保障", "wh-rsj", 120),
    Agency("上海市浦东新区生态环境局", "上海市浦东新区", "县级", "生态环境", "sh-pd-sthjj", 50),
    Agency("德清县住房和城乡建设局", "浙江省湖州市德清县", "县级", "住房城乡建设", "dq-zjj", 25),
    Agency("山东省财政厅", "山东省", "省级", "财政", "sd-czt", 150),
    Agency("宁波市鄞州区姜山镇人民政府", "浙江省宁波市鄞州区", "乡镇级", "综合", "yz-jsz", 8),
    Agency("苏州市吴江区人民政府", "江苏省苏州市吴江区", "县级", "综合", "sz-wj-qzf", 300),
    Agency("长沙市岳麓区交通运输局", "湖南省长沙市岳麓区", "县级", "交通运输", "cs-yl-jtj", 15),
)

T3_PARTS = T3_COLUMNS[:-1]  # the six requester types; 总计 is their sum (R3)
_OTHER_SUBROWS = ("other_no_correction", "other_unpaid_fee", "other_other")


def template_for(year: int) -> str:
    return "2019" if year <= 2020 else "2021"


@dataclass
class ReportTruth:
    agency: Agency
    year: int
    template: str
    t2: dict[tuple[str, str], float]  # (row, col) -> value in the stored unit (元 / 万元 / count)
    t3: dict[tuple[str, str], int]  # (row, requester type incl. total) -> count, printed rows only
    t4: dict[tuple[str, str], int]  # (proceeding, result) -> count
    blank_zeros: bool = False
    amount_style: str = "plain"  # how 采购总金额 is printed: plain / yuan ('…元') / wan ('…万元')
    broken: str | None = None  # what was made wrong, in words
    continuity_break: str | None = None  # 上年结转 that does not match last year's 结转下年度 (R5), in words
    broken_cells: list[tuple[Key, int]] = field(default_factory=list)  # (cell, amount added)
    revision_of: str | None = None  # set on a revised re-issue: what changed

    @property
    def split_other(self) -> bool:
        return self.template == "2021"

    @property
    def title(self) -> str:
        return f"{self.agency.name}{self.year}年度政府信息公开工作年度报告"

    def expected_facts(self, *, include_derived: bool = True) -> dict[Key, float]:
        """{(table, row_code, col_code): value} as the parser should read it.

        Values are in the stored unit (采购总金额 in 元, 本年收费金额 in 万元). With
        ``include_derived`` the 2021 other_total (sum of the three （六） sub-rows, not printed)
        is included, as the parser derives it.
        """
        out: dict[Key, float] = {}
        for (row, col), v in self.t2.items():
            out[("T2", row, col)] = v
        for (row, col), v in self.t3.items():
            out[("T3", row, col)] = v
        if include_derived and self.split_other:
            for col in T3_COLUMNS:
                out[("T3", "other_total", col)] = sum(self.t3[(r, col)] for r in _OTHER_SUBROWS)
        for (proc, res), v in self.t4.items():
            out[("T4", proc, res)] = v
        return out

    def cell_text(self, table: str, row: str, col: str) -> str:
        """The printed text of one cell: '' for a zero when zeros are left blank."""
        if table == "T2":
            v = self.t2[(row, col)]
            if v == 0 and self.blank_zeros:
                return ""
            if col == "procurement_amount":
                return format_amount(v, self.amount_style)
            if col == "fee_amount_10k_yuan":
                return f"{v:.2f}"
            return str(int(v))
        v = self.t3[(row, col)] if table == "T3" else self.t4[(row, col)]
        if v == 0 and self.blank_zeros:
            return ""
        return str(v)

    def narrative_numbers(self) -> dict[str, float]:
        """Figures the narrative quotes (formats.md R7): they equal table cells."""
        return {
            "received": self.t3[("received_new", "total")],
            "carried_in": self.t3[("carried_over_from_prior", "total")],
            "processed": self.t3[("processed_total", "total")],
            "carried_out": self.t3[("carried_forward", "total")],
            "granted": self.t3[("granted", "total")],
            "reviews": self.t4[("admin_review", "total")],
            "suits": self.t4[("litigation_direct", "total")] + self.t4[("litigation_after_review", "total")],
        }

    def to_dict(self) -> dict:
        return {
            "agency": self.agency.name, "region": self.agency.region, "level": self.agency.level,
            "sector": self.agency.sector, "year": self.year, "template": self.template,
            "title": self.title, "blank_zeros": self.blank_zeros, "broken": self.broken, "continuity_break": self.continuity_break,
            "broken_cells": [[*k, d] for k, d in self.broken_cells], "revision_of": self.revision_of,
            "rule_violations": check_rules(self.expected_facts(), self.template),
            "facts": [[*k, v] for k, v in sorted(self.expected_facts().items())],
        }


def format_amount(yuan: float, style: str) -> str:
    if style == "wan":
        return f"{yuan / 10000:.2f}万元"
    text = f"{yuan:.2f}" if yuan != int(yuan) else str(int(yuan))
    return text + ("元" if style == "yuan" else "")


# --- generation -------------------------------------------------------------------------------

def _spread(rng: random.Random, n: int, weights: dict[str, float]) -> Counter:
    rows = [r for r, w in weights.items() if w > 0]
    if n <= 0 or not rows:
        return Counter()
    return Counter(rng.choices(rows, [weights[r] for r in rows], k=n))


def _outcome_weights(rng: random.Random, template: str) -> dict[str, float]:
    """This report's mix of outcomes: a few common ones, many reasons never used (real tables are sparse)."""
    codes = load_codes()
    rows = [r for r in codes.request_rows_for(template, template == "2021")
            if r not in ("received_new", "carried_over_from_prior", "processed_total", "carried_forward")]
    common = {"granted": 30, "partially_granted": 6, "unavailable_not_held": 18, "not_processed_complaint": 8,
              "other_total": 6, "other_other": 5, "not_processed_duplicate": 3}
    w = {}
    for r in rows:
        base = common.get(r, 1.5)
        w[r] = base * rng.uniform(0.3, 1.7) if (r in common or rng.random() < 0.4) else 0.0
    w["granted"] = max(w["granted"], 5.0)  # every agency discloses something when it gets requests
    return w


def _gen_t3(rng: random.Random, agency: Agency, template: str,
            carried_in: dict[str, int] | None) -> dict[tuple[str, str], int]:
    weights = _outcome_weights(rng, template)
    outcome_rows = list(weights)
    t3: dict[tuple[str, str], int] = {}
    scale = max(1, int(agency.scale * rng.uniform(0.5, 1.6)))
    share = {"natural_person": 1.0, "commercial_enterprise": 0.08, "research_institution": 0.01,
             "public_interest_org": 0.01, "legal_service_org": 0.03, "other_org": 0.02}
    for col in T3_PARTS:
        active = col == "natural_person" or rng.random() < min(0.9, share[col] * 8)
        n = int(scale * share[col] * rng.uniform(0.2, 1.5)) if active else 0
        if col != "natural_person" and active:
            n = max(n, rng.randint(0, 3))
        cin = carried_in[col] if carried_in else (rng.randint(0, max(0, n // 8)) if n else 0)
        n = max(n, cin)  # what was carried in is (mostly) finished this year
        counts = _spread(rng, n, weights)
        cout = rng.randint(0, max(0, n // 10)) if n else 0
        received = n + cout - cin
        for r in outcome_rows:
            t3[(r, col)] = counts.get(r, 0)
        t3[("received_new", col)] = received
        t3[("carried_over_from_prior", col)] = cin
        t3[("processed_total", col)] = n
        t3[("carried_forward", col)] = cout
    rows = {r for r, _ in t3}
    for r in rows:
        t3[(r, "total")] = sum(t3[(r, c)] for c in T3_PARTS)
    return t3


def _gen_t4(rng: random.Random, agency: Agency) -> dict[tuple[str, str], int]:
    t4 = {}
    for proc in T4_PROCEEDINGS:
        active = rng.random() < (0.7 if proc == "admin_review" else 0.45 if proc == "litigation_direct" else 0.25)
        hi = max(1, agency.scale // 60)
        parts = [rng.randint(0, hi) if active and rng.random() < 0.6 else 0 for _ in range(4)]
        for res, v in zip(T4_RESULTS[:-1], parts, strict=True):
            t4[(proc, res)] = v
        t4[(proc, "total")] = sum(parts)
    return t4


def _gen_t2(rng: random.Random, agency: Agency, template: str,
            prev: ReportTruth | None) -> tuple[dict[tuple[str, str], float], str]:
    big = agency.level in ("省级", "市级")
    t2: dict[tuple[str, str], float] = {}
    same = prev is not None and prev.template == template
    style = "plain"
    if template == "2019":
        for row, hi_made in (("regulations", 6 if big and agency.sector == "综合" else 0), ("normative_documents", 40)):
            made = rng.randint(0, hi_made)
            published = rng.randint(max(0, made - 2), made)  # R6: published ≤ made
            before = prev.t2[(row, "total_published")] if same else rng.randint(0, 300 if big else 60) if hi_made else 0
            t2[(row, "new_made")], t2[(row, "new_published")] = made, published
            t2[(row, "total_published")] = before + published  # cumulative, never decreases (X4)
        for row, hi in (("admin_license", 300), ("other_admin_services", 120), ("admin_penalty", 600),
                        ("admin_coercion", 60), ("admin_fees", 20)):
            if same:
                prior = prev.t2[(row, "prior_year_items")] + prev.t2[(row, "change")]  # X3
            else:
                prior = rng.randint(0, hi) if rng.random() < 0.8 else 0
            change = rng.choice([0, 0, 0, rng.randint(1, 8), -rng.randint(1, 5)])
            change = max(change, -prior)
            t2[(row, "prior_year_items")], t2[(row, "change")] = prior, change
            if row != "admin_fees":
                t2[(row, "decisions")] = rng.choice([0, rng.randint(1, 50), rng.randint(50, 60000)])
        t2[("centralized_procurement", "procurement_items")] = items = rng.randint(0, 400)
        style = rng.choice(["plain", "plain", "yuan", "wan"])
        if items == 0:
            amount = 0.0
        elif style == "wan":
            amount = rng.randint(10, 9_000_000) * 100.0  # a whole number of 百元, so 万元 with 2 decimals is exact
        elif rng.random() < 0.4:
            amount = rng.randint(1_000_00, 90_000_000_00) / 100  # 元 with 分
        else:
            amount = float(rng.randint(10_000, 90_000_000))
        t2[("centralized_procurement", "procurement_amount")] = amount
    else:
        for row, hi in (("regulations", 5 if big and agency.sector == "综合" else 0), ("normative_documents", 30)):
            issued = rng.randint(0, hi)
            repealed = rng.randint(0, max(0, hi // 3))
            if not hi:
                repealed = 0  # no rule-making power: nothing in force either
            before = prev.t2[(row, "in_force")] if same else rng.randint(repealed, repealed + (200 if big else 40)) if hi else 0
            repealed = min(repealed, before)
            t2[(row, "issued")], t2[(row, "repealed")] = issued, repealed
            t2[(row, "in_force")] = before + issued - repealed  # X2
        for row in ("admin_license", "admin_penalty", "admin_coercion"):
            t2[(row, "decisions")] = rng.choice([0, rng.randint(1, 80), rng.randint(80, 80000)])
        fee = 0.0 if rng.random() < 0.35 else rng.randint(1, 500_000) / 100  # 万元, 2 decimals
        t2[("admin_fees", "fee_amount_10k_yuan")] = fee
    return t2, style


def generate_truth(agency: Agency | None = None, year: int | None = None, *, rng: random.Random | None = None,
                   broken: bool = False, blank_zeros: bool = False,
                   prev: ReportTruth | None = None) -> ReportTruth:
    """One report's truth. ``prev`` is the same agency's truth for year-1: its 结转下年度 becomes this
    year's 上年结转 (X1) and table 二 continues from it (X2, X3)."""
    rng = rng or random.Random()
    agency = agency or rng.choice(AGENCIES)
    year = year if year is not None else rng.choice(YEARS)
    template = template_for(year)
    if prev is not None and (prev.agency != agency or prev.year != year - 1):
        prev = None
    carried_in = {c: prev.t3[("carried_forward", c)] for c in T3_PARTS} if prev else None
    t3 = _gen_t3(rng, agency, template, carried_in)
    t4 = _gen_t4(rng, agency)
    t2, style = _gen_t2(rng, agency, template, prev)
    truth = ReportTruth(agency=agency, year=year, template=template, t2=t2, t3=t3, t4=t4,
                        blank_zeros=blank_zeros, amount_style=style)
    if broken:
        break_arithmetic(truth, rng)
    return truth


def break_arithmetic(truth: ReportTruth, rng: random.Random) -> None:
    """Misprint one 总计 the way agencies do: （七）总计 of 自然人 off by a few.

    That breaks R1 and R2 in the 自然人 column and R3 in the （七）总计 row, and nothing else.
    """
    key = ("processed_total", "natural_person")
    delta = rng.choice([1, 2, 3, 5, 10, -1, -2])
    if truth.t3[key] + delta < 0:
        delta = -delta
    truth.t3[key] += delta
    truth.broken = f"table 三 （七）总计 / 自然人 printed {delta:+d} off its parts (R1, R2, R3 fail)"
    truth.broken_cells.append((("T3", *key), delta))


def break_carry_continuity(truth: ReportTruth, rng: random.Random) -> None:
    """Carry more requests over from last year than last year carried forward (R5 fails).

    结转下年度 grows by the same amount, so the report's own R1–R4 still hold.
    """
    delta = rng.choice([2, 3, 5, 8])
    for row in ("carried_over_from_prior", "carried_forward"):
        for col in ("natural_person", "total"):
            truth.t3[(row, col)] += delta
    truth.continuity_break = f"table 三 二、上年结转 / 自然人 is {delta} more than last year's 结转下年度 (R5 fails)"


def revise(truth: ReportTruth, rng: random.Random) -> ReportTruth:
    """A re-issued report for the same agency-year with one number corrected (arithmetic still holds).

    A table 二 处理决定数量 changes: it enters no cross-check, so the revision is consistent.
    """
    rows = [k for k in truth.t2 if k[1] == "decisions"]
    key = rng.choice(rows)
    new = dict(truth.t2)
    old = new[key]
    new[key] = old + rng.choice([1, 2, 5, 12, 100]) if old < 1000 else old - rng.randint(1, 99)
    revised = ReportTruth(agency=truth.agency, year=truth.year, template=truth.template, t2=new,
                          t3=dict(truth.t3), t4=dict(truth.t4), blank_zeros=truth.blank_zeros,
                          amount_style=truth.amount_style)
    revised.revision_of = f"table 二 {key[0]}/{key[1]}: {int(old)} -> {int(new[key])}"
    return revised


# --- the cross-check rules, independently of the parser ------------------------------------------

def check_rules(facts: dict[Key, float], template: str) -> list[str]:
    """Violated rules as 'R1:<column>', 'R2:<column>', 'R3:<row>', 'R4:<proceeding>' (formats.md §4)."""
    codes = load_codes()
    out = []
    outcome = [r for r in codes.request_rows_for(template, template == "2021")
               if r not in ("received_new", "carried_over_from_prior", "processed_total", "carried_forward")]

    def g(row: str, col: str) -> float:
        return facts.get(("T3", row, col), 0)

    for col in T3_COLUMNS:
        if g("received_new", col) + g("carried_over_from_prior", col) != g("processed_total", col) + g("carried_forward", col):
            out.append(f"R1:{col}")
        if sum(g(r, col) for r in outcome) != g("processed_total", col):
            out.append(f"R2:{col}")
    for row in codes.request_rows_for(template, template == "2021"):
        if sum(g(row, c) for c in T3_PARTS) != g(row, "total"):
            out.append(f"R3:{row}")
    for proc in T4_PROCEEDINGS:
        if sum(facts.get(("T4", proc, r), 0) for r in T4_RESULTS[:-1]) != facts.get(("T4", proc, "total"), 0):
            out.append(f"R4:{proc}")
    return out
