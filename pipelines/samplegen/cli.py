"""Write a deterministic set of synthetic reports to an inbox, and their truth to a separate folder.

    python -m pipelines.samplegen --out data/inbox --seed 7 --count 12 --formats txt,html \
        --truth-out /tmp/gongkai-truth

The set holds several agencies over consecutive years (both templates, carry-over chained from
year to year), exactly one report with broken arithmetic, one revised re-issue of an agency-year
(``*-revised.*``, one number changed) and, when HTML is asked for, one page embedded in a JS string.
The truth never goes into the inbox: everything there is ingested as a report.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import random
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from .truth import (
    AGENCIES,
    Agency,
    ReportTruth,
    break_arithmetic,
    break_carry_continuity,
    generate_truth,
    revise,
)

FORMATS = ("txt", "html", "docx", "pdf", "md")
MAX_YEAR = 2024  # the bundled inbox spans 2019–2024; truths themselves go up to 2025


@dataclass
class SampleReport:
    file_name: str
    fmt: str
    truth: ReportTruth
    options: dict = field(default_factory=dict)  # renderer keyword options (e.g. js_embed)

    def render(self) -> bytes:
        mod = importlib.import_module(f"{__package__}.render_{self.fmt}")
        if self.fmt == "md":  # markdown is a converter's output: its clean form (every md_* switch at default)
            from .variations import Variation

            return mod.render(self.truth, Variation(), **self.options)
        return mod.render(self.truth, **self.options)


_PLACES = "东西南北中新安平和康宁泰丰华兴盛福寿长永清明光荣春秋山河湖海江溪松柏桃李金玉云龙凤鹤"


def extra_agencies(n: int) -> list[Agency]:
    """The named agencies, then made-up sub-agencies of them ('…东安分局'), until there are ``n``."""
    out = list(AGENCIES)
    j = 0
    while len(out) < n:
        base = AGENCIES[j % len(AGENCIES)]
        k = j // len(AGENCIES)
        place = _PLACES[k % len(_PLACES)] + _PLACES[(k // len(_PLACES)) % len(_PLACES)]
        out.append(replace(base, name=f"{base.name}{place}分局", slug=f"{base.slug}-{k}"))
        j += 1
    return out


SCAN_MODES = ("none", "all", "tables", "mixed")


def plan_samples(seed: int, count: int, formats: list[str], scan: str = "none") -> list[SampleReport]:
    """The report set for a seed: ``count`` files, ``count - 1`` distinct agency-years plus one revision.

    ``scan`` publishes the PDFs as scans (samplegen/scan.py): 'all' pages, only the pages with
    'tables' (mixed text and image pages), or 'mixed': each PDF left as text, fully scanned or
    scanned on its table pages, at random. Scan styles come from their own seeded stream, so the
    set's reports and truths are the same with or without scans."""
    if count < 4:
        raise ValueError("--count must be at least 4 (two templates, a broken and a revised report)")
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"unknown format(s) {bad}; choose from {', '.join(FORMATS)}")
    rng = random.Random(seed)
    n_base = count - 1
    # Each agency has at most one report per year 2019..MAX_YEAR, so a large set needs more agencies than the
    # named ones: made-up sub-agencies (分局) of them, added only then (small sets stay as they were).
    n_agencies = max(2, min(len(AGENCIES), round(n_base / 3)), math.ceil(n_base / (MAX_YEAR - 2018)))
    pool = list(AGENCIES) if n_agencies <= len(AGENCIES) else extra_agencies(n_agencies)
    # A public-security bureau always, since analysts ask about them by sector.
    police = next(a for a in AGENCIES if a.sector == "公安")
    agencies = [police, *rng.sample([a for a in pool if a is not police], n_agencies - 1)]
    sizes = [n_base // n_agencies + (1 if i < n_base % n_agencies else 0) for i in range(n_agencies)]
    truths: list[ReportTruth] = []
    for i, (agency, k) in enumerate(zip(agencies, sizes, strict=True)):
        if i == 0:  # the first agency's run crosses the 2020 -> 2021 template change
            start = rng.randint(max(2019, 2021 - k + 1), min(2020, MAX_YEAR - k + 1))
        elif i % 2 == 1:  # every other agency reaches the latest year, so year-over-year questions have answers
            start = MAX_YEAR - k + 1
        else:
            start = rng.randint(2019, MAX_YEAR - k + 1)
        prev = None
        for year in range(start, start + k):
            prev = generate_truth(agency, year, rng=rng, blank_zeros=rng.random() < 0.25, prev=prev)
            truths.append(prev)

    order = list(range(n_base))
    rng.shuffle(order)
    broken_i, revised_i, js_i = order[0], order[1], order[2]
    # Break one report's arithmetic in place; only its （七）总计 changes, so the chain's carry-over holds.
    break_arithmetic(truths[broken_i], rng)
    # One agency's latest report carries over more than its previous report carried forward (R5).
    chain_ends = [j for j in range(1, n_base) if truths[j].agency == truths[j - 1].agency
                  and (j + 1 == n_base or truths[j + 1].agency != truths[j].agency) and j not in (broken_i, revised_i)]
    if chain_ends:
        break_carry_continuity(truths[rng.choice(chain_ends)], rng)
    fmts = {i: formats[j % len(formats)] for j, i in enumerate(order)}
    if "html" in formats and fmts[js_i] != "html":
        swap = next(i for i in order if fmts[i] == "html")
        fmts[js_i], fmts[swap] = fmts[swap], fmts[js_i]

    samples = []
    for i, t in enumerate(truths):
        fmt = fmts[i]
        opts: dict = {}
        if fmt == "html":
            opts = {"split_t2": rng.random() < 0.4, "year_first": rng.random() < 0.6}
            if i == js_i:
                opts["js_embed"] = True
        if fmt == "pdf" and scan != "none":
            srng = random.Random(f"scan/{seed}/{i}")
            pages = scan if scan != "mixed" else srng.choice(("none", "all", "tables"))
            if pages != "none":
                from .scan import random_style  # OpenCV only when scans are asked for

                opts = {"scan": random_style(srng, pages=pages).to_dict()}
        samples.append(SampleReport(f"{t.agency.slug}-{t.year}.{fmt}", fmt, t, opts))
        if i == revised_i:
            # '.v2' sorts after the original's name, so the revision is also the later arrival in one scan.
            samples.append(SampleReport(f"{t.agency.slug}-{t.year}.v2.{fmt}", fmt, revise(t, rng), dict(opts)))
    return samples


def write_samples(samples: list[SampleReport], out: Path, truth_out: Path | None, *, seed: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for s in samples:
        (out / s.file_name).write_bytes(s.render())
    if truth_out is not None:
        truth_out.mkdir(parents=True, exist_ok=True)
        doc = {"seed": seed, "count": len(samples),
               "reports": [{"file": s.file_name, "format": s.fmt, "render_options": s.options, **s.truth.to_dict()}
                           for s in samples]}
        (truth_out / "truth.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m pipelines.samplegen", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="inbox folder to write the reports to")
    ap.add_argument("--truth-out", type=Path, default=None,
                    help="folder for truth.json (the expected facts); must not be the inbox")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--formats", default="txt,html", help=f"comma-separated subset of {','.join(FORMATS)}")
    ap.add_argument("--scan", choices=SCAN_MODES, default="none",
                    help="publish the PDFs as scans: all pages, only table pages, or a mix of both and text PDFs")
    args = ap.parse_args(argv)
    if args.truth_out is not None and args.truth_out.resolve() == args.out.resolve():
        ap.error("--truth-out must not be the inbox: everything in the inbox is ingested as a report")
    formats = [f.strip().lower() for f in args.formats.split(",") if f.strip()]
    try:
        samples = plan_samples(args.seed, args.count, formats, args.scan)
        write_samples(samples, args.out, args.truth_out, seed=args.seed)
    except (ValueError, RuntimeError) as e:
        print(f"samplegen: {e}", file=sys.stderr)
        return 2
    for s in samples:
        note = " [broken arithmetic]" if s.truth.broken else " [revised]" if s.truth.revision_of else ""
        note += " [js-embedded]" if s.options.get("js_embed") else ""
        note += " [blank zeros]" if s.truth.blank_zeros else ""
        note += f" [scanned: {s.options['scan']['pages']} pages]" if s.options.get("scan") else ""
        print(f"{args.out / s.file_name}  {s.truth.agency.name} {s.truth.year} (template {s.truth.template}){note}")
    if args.truth_out is not None:
        print(f"truth: {args.truth_out / 'truth.json'}")
    return 0
