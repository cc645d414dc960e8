"""The long soak: thousands of generated documents, every format, every variation switch drawn at random.

Each document must parse back to its truth cell for cell (a fact may be absent only when its row is listed
in unresolved_rows), with its agency, year and template, or be refused with a reason that is true for its
variation (tests/variation_check.py). Prints, per format: documents, loaded, load rate of the valid
documents, true refusals, failures by kind, cells compared and cells wrong; then the first failing document
of each kind, reduced to its minimal variation (switches set back to default one by one while it still fails).

Usage: python benchmarks/soak.py [N] [--seed S] [--formats txt,html,docx,pdf,md] [--keep DIR]
N documents in all (default 10000), spread over the formats by weight (PDF rendering is the slow part).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipelines.samplegen.truth import generate_truth  # noqa: E402
from pipelines.samplegen.variations import FORMAT_SWITCHES, SWITCHES, Variation, random_variation  # noqa: E402
from tests.variation_check import Outcome, render_and_check  # noqa: E402

WEIGHTS = {"txt": 5, "html": 3, "docx": 1, "pdf": 1, "md": 3}


def minimise(tmp: Path, truth, fmt: str, v: Variation, kind: str) -> Variation:
    """The variation with every switch that is not needed for the failure set back to its default."""
    v = v.for_format(fmt)
    for name in list(v.changed()):
        trial = replace(v, **{name: SWITCHES[name][0]})
        if render_and_check(tmp, truth, fmt, trial, name="min").kind == kind:
            v = trial
    return v


def print_by_switch(title: str, fmt: str, counts: Counter, drawn: Counter) -> None:
    """Per switch value of the format: documents counted / documents drawn with that value."""
    print(f"{title} by switch value (counted / documents drawn with it):")
    for name in FORMAT_SWITCHES[fmt]:
        vals = sorted({val for (n, val) in drawn if n == name}, key=str)
        print(f"  {name:>16}: " + ", ".join(f"{val}={counts[(name, val)]}/{drawn[(name, val)]}" for val in vals))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, nargs="?", default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--formats", default="txt,html,docx,pdf,md")
    ap.add_argument("--keep", type=Path, default=None, help="write each first failing document here")
    args = ap.parse_args()
    formats = [f for f in args.formats.split(",") if f]
    total_w = sum(WEIGHTS[f] for f in formats)
    plan = []
    for f in formats:
        plan += [f] * round(args.n * WEIGHTS[f] / total_w)
    rng = random.Random(args.seed)
    rng.shuffle(plan)
    stats: dict[str, Counter] = defaultdict(Counter)
    first: dict[tuple[str, str], tuple[int, Outcome, Variation]] = {}
    refusals: Counter = Counter()
    # Per format, switch and value: documents drawn and true refusals (which switch values the refusals share).
    by_switch: dict[str, Counter] = defaultdict(Counter)
    refused_by_switch: dict[str, Counter] = defaultdict(Counter)
    failed_by_switch: dict[str, Counter] = defaultdict(Counter)  # the same for failures (which values they share)
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for i, fmt in enumerate(plan):
            doc_seed = rng.randrange(2**32)
            truth = generate_truth(rng=random.Random(doc_seed))
            v = random_variation(random.Random(doc_seed), fmt)
            out = render_and_check(tmp, truth, fmt, v)
            s = stats[fmt]
            s["docs"] += 1
            s[out.kind] += 1
            s["cells"] += out.cells
            s["cells_wrong"] += out.cells_wrong
            if out.unresolved_rows:  # loaded, but without rows whose printed cells cannot be told apart
                s["partial"] += 1
                s["rows_unresolved"] += out.unresolved_rows
                s["cells_unresolved"] += out.cells_unresolved
            vf = v.for_format(fmt)
            for name in FORMAT_SWITCHES[fmt]:
                by_switch[fmt][(name, getattr(vf, name))] += 1
            if out.kind == "refused_ok":
                refusals[(fmt, out.detail.split(":")[0], vf.text_layout, vf.blank_zeros)] += 1
                for name in FORMAT_SWITCHES[fmt]:
                    refused_by_switch[fmt][(name, getattr(vf, name))] += 1
            if not out.ok:
                for name in FORMAT_SWITCHES[fmt]:
                    failed_by_switch[fmt][(name, getattr(vf, name))] += 1
            if not out.ok and (fmt, out.kind) not in first:
                first[(fmt, out.kind)] = (doc_seed, out, minimise(tmp, truth, fmt, v, out.kind))
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    (args.keep / f"{fmt}-{out.kind}-{doc_seed}.{fmt}").write_bytes(
                        (tmp / f"doc.{fmt}").read_bytes() if (tmp / f"doc.{fmt}").exists() else b"")
            if (i + 1) % 500 == 0:
                so_far = "; ".join(f"{f} {c['docs']} docs {c['exact']} exact {c['refused_ok']} refused "
                                   f"{c['docs'] - c['exact'] - c['refused_ok']} failed {c['cells_wrong']}/{c['cells']} "
                                   f"cells wrong" for f, c in sorted(stats.items()))
                print(f"  {i + 1}/{len(plan)} documents, {time.perf_counter() - t0:.0f}s: {so_far}", file=sys.stderr,
                      flush=True)
    secs = time.perf_counter() - t0
    print(f"soak: {len(plan)} documents in {secs:.0f}s (seed {args.seed})")
    print(f"{'format':>6} {'docs':>6} {'exact':>6} {'refused':>7} {'load%':>7} {'fail':>5} {'cells':>9} {'wrong':>6}  failures")
    all_fail = 0
    for fmt in formats:
        s = stats[fmt]
        valid = s["docs"] - s["refused_ok"]
        fails = {k: v for k, v in s.items() if k in ("wrong", "missing", "identity", "bad_refusal")}
        all_fail += sum(fails.values())
        rate = 100.0 * s["exact"] / valid if valid else 100.0
        print(f"{fmt:>6} {s['docs']:>6} {s['exact']:>6} {s['refused_ok']:>7} {rate:>6.2f}% {sum(fails.values()):>5} "
              f"{s['cells']:>9} {s['cells_wrong']:>6}  {dict(fails) or ''}")
    tot = Counter()
    for s in stats.values():
        tot.update(s)
    valid = tot["docs"] - tot["refused_ok"]
    print(f" total {tot['docs']:>6} {tot['exact']:>6} {tot['refused_ok']:>7} "
          f"{100.0 * tot['exact'] / max(valid, 1):>6.2f}% {all_fail:>5} {tot['cells']:>9} {tot['cells_wrong']:>6}")
    print("load% = exact / (documents - true refusals); a true refusal is e.g. ambiguous_cells for cells run "
          "together with blanks. cell accuracy = 1 - wrong/cells.")
    for fmt in formats:
        s = stats[fmt]
        if s["partial"]:
            print(f"{fmt}: {s['partial']} of the {s['exact']} loaded documents list unresolved rows "
                  f"({s['rows_unresolved']} rows, {s['cells_unresolved']} cells not loaded: printed, but not "
                  "readable with certainty (several readings fit, or a number without its place); none guessed)")
    for (fmt, reason, layout, blanks), n in sorted(refusals.items()):
        print(f"true refusals in {fmt}: {n} x {reason} (text_layout={layout}, blank_zeros={blanks})")
    for what, counts in (("true refusals", refused_by_switch), ("failures", failed_by_switch)):
        for fmt in formats:
            if counts[fmt]:
                print_by_switch(f"{what} in {fmt}", fmt, counts[fmt], by_switch[fmt])
    for (fmt, kind), (seed, out, v) in sorted(first.items()):
        print(f"\nfirst {kind} in {fmt}: generate_truth(rng=random.Random({seed})), minimal variation {v.changed()}")
        print(f"  {out.detail[:600]}")
    return 1 if all_fail else 0


if __name__ == "__main__":
    sys.exit(main())
