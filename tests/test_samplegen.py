"""The sample generator: truths obey the cross-check rules, and every renderable format parses back to the truth."""

from __future__ import annotations

import importlib
import importlib.util
import json
import math
import random
from pathlib import Path

import pytest

from pipelines.lib.model import ParsedReport
from pipelines.lib.read.parse import parse_document
from pipelines.samplegen.cli import main as cli_main
from pipelines.samplegen.cli import plan_samples
from pipelines.samplegen.layout import T3_COLUMNS
from pipelines.samplegen.truth import AGENCIES, YEARS, check_rules, generate_truth, revise, template_for

SEEDS = range(40)
REPO = Path(__file__).resolve().parent.parent


def _random_truth(seed: int, *, allow_broken: bool = True):
    rng = random.Random(seed)
    return generate_truth(rng=rng, blank_zeros=rng.random() < 0.35, broken=allow_broken and rng.random() < 0.2)


# --- the truth itself ------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(200))
def test_truth_obeys_rules_unless_broken(seed):
    rng = random.Random(seed)
    t = generate_truth(rng=rng, broken=seed % 5 == 0)
    violations = check_rules(t.expected_facts(), t.template)
    if t.broken:
        assert set(violations) == {"R1:natural_person", "R2:natural_person", "R3:processed_total"}
        assert t.broken_cells
    else:
        assert violations == []
    assert t.template == template_for(t.year) and t.year in YEARS
    for (table, _row, col), v in t.expected_facts().items():
        if col not in ("change",):  # 本年增/减 may be negative (R5)
            assert v >= 0, (table, _row, col, v)
        if table in ("T3", "T4") or col not in ("procurement_amount", "fee_amount_10k_yuan"):
            assert v == int(v)


def test_truth_shapes_per_template():
    t19 = generate_truth(AGENCIES[0], 2020, rng=random.Random(1))
    t21 = generate_truth(AGENCIES[0], 2021, rng=random.Random(1))
    assert t19.template == "2019" and t21.template == "2021"
    rows19 = {r for (tab, r, _c) in t19.expected_facts() if tab == "T3"}
    rows21 = {r for (tab, r, _c) in t21.expected_facts() if tab == "T3"}
    assert len(rows19) == 23 and "other_other" not in rows19
    assert len(rows21) == 26 and {"other_no_correction", "other_unpaid_fee", "other_other", "other_total"} <= rows21
    assert ("T2", "centralized_procurement", "procurement_amount") in t19.expected_facts()
    assert ("T2", "admin_fees", "fee_amount_10k_yuan") in t21.expected_facts()
    assert len([k for k in t21.expected_facts() if k[0] == "T4"]) == 15
    # The derived 2021 other_total is the sum of its sub-rows, and may be left out.
    assert ("T3", "other_total", "total") not in t21.expected_facts(include_derived=False)


def test_chained_years_continue():
    rng = random.Random(3)
    prev = generate_truth(AGENCIES[2], 2019, rng=rng)
    cur = generate_truth(AGENCIES[2], 2020, rng=rng, prev=prev)
    nxt = generate_truth(AGENCIES[2], 2021, rng=rng, prev=cur)
    for col in T3_COLUMNS:  # X1
        assert cur.t3[("carried_over_from_prior", col)] == prev.t3[("carried_forward", col)]
        assert nxt.t3[("carried_over_from_prior", col)] == cur.t3[("carried_forward", col)]
    for row in ("admin_license", "admin_penalty", "admin_fees"):  # X3
        assert cur.t2[(row, "prior_year_items")] == prev.t2[(row, "prior_year_items")] + prev.t2[(row, "change")]


def test_revision_changes_one_number_and_stays_consistent():
    t = generate_truth(AGENCIES[1], 2022, rng=random.Random(5))
    r = revise(t, random.Random(6))
    a, b = t.expected_facts(), r.expected_facts()
    assert a.keys() == b.keys()
    assert len([k for k in a if a[k] != b[k]]) == 1
    assert check_rules(b, r.template) == [] and r.revision_of


def test_blank_zeros_print_blank_cells():
    t = generate_truth(AGENCIES[11], 2019, rng=random.Random(2), blank_zeros=True)
    zero = next(k for k, v in t.t3.items() if v == 0)
    assert t.cell_text("T3", *zero) == ""


# --- round trip through the project's parser -----------------------------------------------------

def _reader_missing(fmt: str) -> str | None:
    if fmt in ("txt", "html"):
        return None
    if importlib.util.find_spec(f"pipelines.lib.read.extract.{fmt}") is None:
        return f"pipelines.lib.read.extract.{fmt} (the {fmt.upper()} reader) does not exist yet"
    from pipelines.lib.read.parse import READERS

    if fmt not in READERS:
        return f"pipelines.lib.read.extract.{fmt} exists but does not register a reader (import failed or no register())"
    return None


def _renderer(fmt: str):
    mod = importlib.import_module(f"pipelines.samplegen.render_{fmt}")
    if fmt == "pdf":
        from pipelines.samplegen.render_pdf import FontNotFound, find_cjk_font

        try:
            find_cjk_font()
        except FontNotFound as e:
            pytest.skip(str(e))
    return mod


def assert_round_trip(path: Path, truth) -> None:
    report = parse_document(path)
    assert isinstance(report, ParsedReport), f"{path.name}: quarantined: {report}"
    assert report.template == truth.template
    assert report.agency_name == truth.agency.name
    assert report.year == truth.year
    got: dict = {}
    for f in report.facts:
        key = (f.table, f.row_code, f.col_code)
        assert key not in got, f"{path.name}: fact {key} read twice"
        got[key] = f.value
    expected = truth.expected_facts()
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    wrong = sorted((k, expected[k], got[k]) for k in set(expected) & set(got)
                   if not math.isclose(expected[k], got[k], rel_tol=1e-9, abs_tol=1e-9))
    assert not (missing or extra or wrong), f"{path.name}: missing {missing[:5]}, extra {extra[:5]}, wrong {wrong[:5]}"


@pytest.mark.parametrize("fmt", ["txt", "html", "docx", "pdf"])
def test_round_trip(fmt, tmp_path):
    reason = _reader_missing(fmt)
    if reason:
        pytest.skip(reason)
    mod = _renderer(fmt)
    for seed in SEEDS:
        truth = _random_truth(seed)
        path = tmp_path / f"r{seed}.{fmt}"
        path.write_bytes(mod.render(truth))
        assert_round_trip(path, truth)


def test_round_trip_pdf_without_ruling_lines(tmp_path):
    """No ruled table anywhere: rows and cells come from word positions (blank cells, wrapped and
    stacked labels, table 三 across a page break), and every fact says so."""
    mod = _renderer("pdf")
    for seed in SEEDS:
        truth = _random_truth(seed)
        path = tmp_path / f"r{seed}.pdf"
        path.write_bytes(mod.render(truth, ruled=False))
        assert_round_trip(path, truth)
        report = parse_document(path)
        assert {f.inferred_how for f in report.facts if not f.derived} == {"text_positions"}


@pytest.mark.parametrize("opts", [{"js_embed": True}, {"split_t2": True}, {"year_first": False},
                                  {"js_embed": True, "split_t2": True}])
def test_round_trip_html_variants(opts, tmp_path):
    from pipelines.samplegen import render_html

    for seed in range(0, 40, 4):
        truth = _random_truth(seed)
        path = tmp_path / f"r{seed}.html"
        path.write_bytes(render_html.render(truth, **opts))
        if opts.get("js_embed"):
            assert b"var content = " in path.read_bytes() and b"<table" not in path.read_bytes()
        assert_round_trip(path, truth)


# --- the sample set and its CLI --------------------------------------------------------------------

def test_sample_set_composition():
    samples = plan_samples(7, 12, ["txt", "html"])
    assert len(samples) == 12
    assert len({s.file_name for s in samples}) == 12
    assert sum(1 for s in samples if s.truth.broken) == 1
    revised = [s for s in samples if s.truth.revision_of]
    assert len(revised) == 1 and revised[0].file_name.endswith(".v2." + revised[0].fmt)
    original = [s for s in samples if s.truth.agency == revised[0].truth.agency and s.truth.year == revised[0].truth.year]
    assert len(original) == 2
    assert {s.truth.template for s in samples} == {"2019", "2021"}
    assert len({s.truth.agency for s in samples}) >= 3
    assert sum(1 for s in samples if s.options.get("js_embed")) == 1
    assert sum(1 for s in samples if s.truth.continuity_break) == 1
    assert any(s.truth.agency.sector == "公安" for s in samples)
    latest = {s.truth.agency for s in samples if s.truth.year == 2024} & {s.truth.agency for s in samples if s.truth.year == 2023}
    assert len(latest) >= 2  # year-over-year 2023 -> 2024 has answers
    assert {s.fmt for s in samples} == {"txt", "html"}


def test_sample_set_is_deterministic():
    a = [(s.file_name, s.render()) for s in plan_samples(11, 8, ["txt", "html"])]
    b = [(s.file_name, s.render()) for s in plan_samples(11, 8, ["txt", "html"])]
    assert a == b


def test_cli_writes_truth_outside_inbox(tmp_path, capsys):
    inbox, truth_dir = tmp_path / "inbox", tmp_path / "truth"
    assert cli_main(["--out", str(inbox), "--truth-out", str(truth_dir), "--seed", "3", "--count", "6"]) == 0
    files = sorted(p.name for p in inbox.iterdir())
    assert len(files) == 6 and not any(f.endswith(".json") for f in files)
    doc = json.loads((truth_dir / "truth.json").read_text(encoding="utf-8"))
    assert sorted(r["file"] for r in doc["reports"]) == files
    for rep in doc["reports"]:
        assert bool(rep["rule_violations"]) == bool(rep["broken"])
        report = parse_document(inbox / rep["file"])
        assert isinstance(report, ParsedReport)
        got = {(f.table, f.row_code, f.col_code): f.value for f in report.facts}
        expected = {tuple(x[:3]): x[3] for x in rep["facts"]}
        assert got.keys() == expected.keys()
        assert all(math.isclose(got[k], expected[k]) for k in got), rep["file"]
    with pytest.raises(SystemExit):
        cli_main(["--out", str(inbox), "--truth-out", str(inbox)])


def test_bundled_inbox_matches_generator():
    """data/inbox is exactly what data/README.md says regenerates it."""
    inbox = REPO / "data" / "inbox"
    samples = plan_samples(7, 12, ["txt", "html"])
    assert sorted(p.name for p in inbox.iterdir()) == sorted(s.file_name for s in samples)
    for s in samples:
        assert (inbox / s.file_name).read_bytes() == s.render(), f"{s.file_name} is stale: regenerate data/inbox"
    assert sum(p.stat().st_size for p in inbox.iterdir()) < 1_000_000


@pytest.mark.parametrize("count", [90, 150, 400])
def test_sample_set_of_any_size(count):
    """More reports than the named agencies have years: made-up sub-agencies carry the rest."""
    samples = plan_samples(7, count, ["txt", "html"])
    assert len(samples) == count
    assert len({s.file_name for s in samples}) == count
    keys = [(s.truth.agency.name, s.truth.year) for s in samples if not s.truth.revision_of]
    assert len(keys) == len(set(keys)) == count - 1


def test_cli_writes_markdown_that_reads_back(tmp_path):
    """`--formats md` writes what a PDF->markdown converter leaves of each report (its clean form); every
    file, the broken and the revised one included, reads back to its truth."""
    samples = plan_samples(7, 8, ["md"])
    assert {s.fmt for s in samples} == {"md"}
    for s in samples:
        path = tmp_path / s.file_name
        assert path.suffix == ".md"
        path.write_bytes(s.render())
        assert_round_trip(path, s.truth)
