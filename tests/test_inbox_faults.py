"""Nothing lost, whatever happens to the inbox (issue 11): every fault of the issue's table, reproduced.

A file replaced between scan and parse, a name that is not UTF-8, a count no BIGINT holds, a year out of
range, an inbox where everything is quarantined, unreadable / hidden / half-written files, a span grid
of a billion slots, a worker that asks for gigabytes, two versions of one agency-year. And: the same
inbox gives the same warehouse whatever the order or history of runs.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest
from gen_reports import report_texts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines import cli
from pipelines.lib.judge import quality
from pipelines.lib.load import connection, documents, loader
from pipelines.lib.model import DocumentRejected, ParsedReport, Quarantined
from pipelines.lib.read import fanout
from pipelines.lib.read.grid import MAX_GRID_SLOTS, SpanCell, expand_spans
from pipelines.lib.read.parse import parse_document
from pipelines.lib.serve import export

Hook = Callable[[], None]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run(inbox: Path, warehouse: Path, *, between: Hook | None = None, judge: bool = False, **parse_kw) -> None:
    """One ingest through the stage functions the assets call; ``between`` runs after the scan and
    before the parse (where a file can be replaced under a running ingest)."""
    con = connection.open_warehouse(warehouse)
    try:
        documents.scan_inbox(con, inbox)
        pending = documents.pending_documents(con)
        if between:
            between()
        staging = fanout.staging_dir(warehouse)
        fanout.parse_pending(pending, inbox, staging, **({"timeout": 0} | parse_kw))
        loader.load_staged(con, pending, staging, inbox=inbox)
        if judge:
            quality.refresh_quality(con)
    finally:
        con.close()


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def files(warehouse: Path) -> dict[str, tuple[str, str | None]]:
    """inbox_files: path -> (status, reason)."""
    return {p: (s, r) for p, s, r in query(warehouse, "SELECT path, status, reason FROM inbox_files")}


def reports(n: int, seed: int, offset: int = 0) -> list[tuple[str, bytes]]:
    return list(report_texts(n, seed=seed, offset=offset))


def agency_year(text: bytes) -> tuple[str, int]:
    """The agency-year a TXT report's title states (first two lines of the generated reports)."""
    lines = text.decode("utf-8").splitlines()
    return lines[0].strip(), int(re.match(r"(\d{4})", lines[1]).group(1))


# ---------------------------------------------------------------- the file-replacement race

def test_file_replaced_between_scan_and_parse_loads_each_content_under_its_own_hash(tmp_path: Path) -> None:
    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    (old_name, old), (_, new), (other_name, other) = reports(3, seed=21)
    (inbox / old_name).write_bytes(old)
    (inbox / other_name).write_bytes(other)

    # Run 1: the scan hashes `old`; before the parse the file is replaced by another report.
    run(inbox, wh, between=lambda: (inbox / old_name).write_bytes(new))
    loaded = dict(query(wh, "SELECT sha256, agency_name || year FROM report_history"))
    assert sha(old) not in loaded, "the old hash must not be recorded as loaded with the new file's report"
    assert set(loaded) == {sha(other)}
    assert files(wh)[old_name] == ("skipped", "changed_during_run")

    # Run 2: the new content is seen as new and loads once, under its own hash.
    run(inbox, wh)
    loaded = dict(query(wh, "SELECT sha256, agency_name || year FROM report_history"))
    assert set(loaded) == {sha(other), sha(new)}
    assert files(wh)[old_name] == ("loaded", None)

    # Run 3: the old content comes back under another name: it was never loaded, so it loads now.
    (inbox / "returned.txt").write_bytes(old)
    run(inbox, wh)
    rows = query(wh, "SELECT sha256, agency_name, year FROM report_history")
    assert {r[0] for r in rows} == {sha(other), sha(new), sha(old)}
    for digest, agency, year in rows:  # every hash holds the report of the bytes with that hash
        content = {sha(b): b for b in (old, new, other)}[digest]
        assert agency_year(content) == (agency, year)


def test_parse_reads_the_file_once_as_a_snapshot(tmp_path: Path) -> None:
    """parse_document parses the bytes it is given: the path only names them."""
    (name, data), (_, other) = reports(2, seed=22)
    path = tmp_path / name
    path.write_bytes(other)  # the file on disk now holds another report
    rep = parse_document(path, source_file=name, sha256=sha(data), data=data)
    assert isinstance(rep, ParsedReport) and (rep.agency_name, rep.year) == agency_year(data)


# ---------------------------------------------------------------- names are data

GBK_NAME = "宁波市公安局2019年报告.txt".encode("gbk")  # as unzipping a Windows zip leaves it


def test_file_name_that_is_not_utf8_loads_and_is_stored_readably(tmp_path: Path) -> None:
    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    (_, data), (good_name, good) = reports(2, seed=23)
    with open(os.path.join(os.fsencode(inbox), GBK_NAME), "wb") as f:
        f.write(data)
    (inbox / good_name).write_bytes(good)
    run(inbox, wh)
    run(inbox, wh)  # every later run works too
    shown = GBK_NAME.decode("utf-8", "backslashreplace")
    assert "\\xc4" in shown
    assert files(wh) == {shown: ("loaded", None), good_name: ("loaded", None)}
    assert query(wh, "SELECT path_hex FROM file_index WHERE path = ?", [shown]) == [(GBK_NAME.hex(),)]
    assert query(wh, "SELECT count(*) FROM reports WHERE source_file = ?", [shown]) == [(1,)]
    assert documents.inbox_file(inbox, shown).read_bytes() == data
    from pipelines.defs.resources import settings_from_env
    from pipelines.defs.schedules import inbox_fingerprint

    assert inbox_fingerprint(settings_from_env(str(inbox), str(wh)))  # the sensor lists it too, without failing


# ---------------------------------------------------------------- values the warehouse can hold

HUGE = "99999999999999999999"  # > 2^63: no BIGINT holds it


def with_huge_count(text: bytes) -> bytes:
    out, n = re.subn(r"(一、本年新收政府信息公开申请数量\n\t)\d+", r"\g<1>" + HUGE, text.decode("utf-8"), count=1)
    assert n == 1
    return out.encode("utf-8")


def with_year(text: bytes, year: int) -> bytes:
    s = text.decode("utf-8")
    out = re.sub(r"^(\d{4})(年度政府信息公开工作年度报告)", f"{year}\\2", s, count=1, flags=re.M)
    assert out != s
    return out.encode("utf-8")


ANALYST_QUERIES = ["request_facts", "request_wide", "report_metrics", "agency_year_change", "regional_rollup",
                   "review_litigation_facts", "coverage", "agencies"]


def test_count_beyond_bigint_holds_that_report_alone_and_keeps_the_digits(tmp_path: Path) -> None:
    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    (name, data), *good = reports(3, seed=24)
    (inbox / name).write_bytes(with_huge_count(data))
    for n, d in good:
        (inbox / n).write_bytes(d)
    run(inbox, wh, judge=True)
    held = query(wh, "SELECT source_file, reason, detail FROM held_reports")
    assert [(h[0], h[1]) for h in held] == [(name, "value_out_of_range")] and HUGE in held[0][2]
    assert query(wh, "SELECT printed FROM facts WHERE printed = ?", [HUGE]) == [(HUGE,)]  # digits kept exactly
    assert sorted(r[0] for r in query(wh, "SELECT source_file FROM reports")) == sorted(n for n, _ in good)
    for rel in ANALYST_QUERIES:  # no view fails because of one report's value
        query(wh, f"SELECT * FROM {rel}")
    failing = query(wh, "SELECT q.rule_id FROM quality_results q JOIN held_reports h USING (report_id) "
                        "WHERE NOT q.passed AND q.severity = 'error'")
    assert ("S3_values_in_range",) in failing
    assert files(wh)[name] == ("held", "value_out_of_range")
    con = duckdb.connect(str(wh), read_only=True)
    try:  # `gongkai export` writes every relation
        done = {e.relation: e.rows for e in export.export_warehouse(con, tmp_path / "out")}
    finally:
        con.close()
    assert done["held_reports"] == 1 and done["reports"] == 2 and done["request_wide"] > 0


# ---------------------------------------------------------------- blocking findings block one report

def test_years_out_of_range_are_held_and_the_views_stay(tmp_path: Path) -> None:
    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    *bad, (good_name, good) = reports(4, seed=26)
    years = dict(zip((n for n, _ in bad), (2099, 2000, 1999), strict=True))
    for n, d in bad:
        (inbox / n).write_bytes(with_year(d, years[n]))
    (inbox / good_name).write_bytes(good)
    run(inbox, wh, judge=True)
    held = query(wh, "SELECT source_file, reason, detail FROM held_reports")
    assert sorted((h[0], h[1]) for h in held) == sorted((n, "report_keys") for n in years)
    for n, _, detail in held:
        assert f"year {years[n]}" in detail
    assert query(wh, "SELECT source_file FROM reports") == [(good_name,)]
    # The blocking checks count only reports that are not held: nothing blocks the views.
    blocking = quality.blocking_rules()
    assert not query(wh, "SELECT rule_id FROM quality_findings WHERE NOT passed AND agency_name IS NOT NULL "
                         "AND rule_id IN (SELECT unnest(?::VARCHAR[]))", [sorted(blocking)])
    assert query(wh, "SELECT count(*) FROM quality_results q JOIN held_reports USING (report_id) "
                     "WHERE q.rule_id = 'S2_report_keys' AND NOT q.passed") == [(3,)]
    for rel in ANALYST_QUERIES:
        query(wh, f"SELECT * FROM {rel}")


def test_gongkai_ingest_with_one_bad_document_builds_the_views_for_the_others(tmp_path: Path, monkeypatch,
                                                                              capsys) -> None:
    """Through Dagster: a year out of range and a count beyond BIGINT hold back two reports, a GBK name
    and a hidden file are accounted for, the blocking checks pass, the analyst views are built."""
    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    (n1, d1), (n2, d2), (n3, d3) = reports(3, seed=27)
    (inbox / n1).write_bytes(with_year(d1, 2099))
    (inbox / n2).write_bytes(with_huge_count(d2))
    with open(os.path.join(os.fsencode(inbox), GBK_NAME), "wb") as f:
        f.write(d3)
    (inbox / ".~lock.report.txt#").write_text("lock", encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))  # `gongkai ingest`, in this process
    code = cli.main(["ingest", "--inbox", str(inbox), "--warehouse", str(wh)])
    out, err = capsys.readouterr()
    assert code == 0, out[-2000:] + err[-3000:]
    assert "blocking structural checks failed" not in err
    assert "held (report_keys) 1" in out and "held (value_out_of_range) 1" in out
    assert "skipped (hidden) 1" in out and "loaded 1" in out
    assert query(wh, "SELECT count(*) FROM report_metrics") == [(1,)]  # the analyst views were built


def test_quality_asset_runs_when_every_document_is_quarantined(tmp_path: Path) -> None:
    """The quality_results and analyst_views assets on a warehouse where nothing ever loaded (no GX docs
    folder yet): they materialize, the failures chart is written."""
    import dagster as dg

    from pipelines.defs import assets
    from pipelines.defs.resources import settings_from_env

    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    (inbox / "notes.txt").write_text("这不是年度报告。\n" * 20, encoding="utf-8")
    (inbox / "empty.txt").write_bytes(b"")
    run(inbox, wh)
    assert {s for s, _ in files(wh).values()} == {"quarantined"}
    settings = settings_from_env(str(inbox), str(wh))
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize([assets.quality_results, assets.analyst_views], resources={"gongkai": settings},
                                instance=instance, raise_on_error=False)
    assert result.success
    assert (connection.runtime_dir(wh) / "quality" / "quality_failures.png").exists()


# ---------------------------------------------------------------- every file accounted for

def test_hidden_unreadable_and_linked_files_are_accounted_for(tmp_path: Path, monkeypatch) -> None:
    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    (name, data), (locked_name, locked) = reports(2, seed=28)
    (inbox / name).write_bytes(data)
    (inbox / locked_name).write_bytes(locked)
    (inbox / ".hidden-report.txt").write_bytes(data)
    (inbox / ".git").mkdir()
    (inbox / ".git" / "config").write_text("x", encoding="utf-8")
    os.symlink(inbox / name, inbox / "link.txt")
    os.mkfifo(inbox / "pipe.txt")
    real_hash = documents.sha256_file

    def unreadable(path: Path) -> str:  # the test runs as root, which chmod 000 does not stop
        if Path(path).name == locked_name:
            raise PermissionError(13, "Permission denied")
        return real_hash(path)

    monkeypatch.setattr(documents, "sha256_file", unreadable)
    run(inbox, wh)
    assert files(wh) == {
        name: ("loaded", None), locked_name: ("skipped", "unreadable"), ".hidden-report.txt": ("skipped", "hidden"),
        ".git/": ("skipped", "hidden_directory"), "link.txt": ("skipped", "symlink"),
        "pipe.txt": ("skipped", "not_regular_file")}
    detail = query(wh, "SELECT detail FROM inbox_files WHERE path = ?", [locked_name])[0][0]
    assert "Permission denied" in detail
    monkeypatch.setattr(documents, "sha256_file", real_hash)  # readable again: it loads, the skip row goes
    run(inbox, wh)
    assert files(wh)[locked_name] == ("loaded", None)


def test_file_still_being_written_is_skipped_then_loaded(tmp_path: Path, monkeypatch) -> None:
    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    (name, data), = reports(1, seed=29)
    (inbox / name).write_bytes(data)
    monkeypatch.setenv("GONGKAI_INBOX_SETTLE_S", "3600")  # modified just now: may still be being written
    run(inbox, wh)
    assert files(wh) == {name: ("skipped", "still_being_written")}
    monkeypatch.setenv("GONGKAI_INBOX_SETTLE_S", "0")
    run(inbox, wh)
    assert files(wh) == {name: ("loaded", None)}


def test_quarantine_row_of_a_half_written_file_goes_when_the_whole_file_loads(tmp_path: Path) -> None:
    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    (name, data), = reports(1, seed=30)
    cut = data.index("三、收到和处理".encode()) + 400
    (inbox / name).write_bytes(data[:cut])  # the copy had not finished when the scan came
    run(inbox, wh)
    assert files(wh)[name][0] == "quarantined"
    (inbox / name).write_bytes(data)
    run(inbox, wh)
    assert files(wh) == {name: ("loaded", None)}
    assert query(wh, "SELECT count(*) FROM quarantine") == [(0,)]


# ---------------------------------------------------------------- bounded resources

def span_bomb_html(rows: int = 2000, cells: int = 5000) -> bytes:
    """~60 KB of HTML whose colspans/rowspans ask for ~10^9 grid slots."""
    head = "<tr>" + "<td colspan=100 rowspan=200>x</td>" * 2 + "</tr>"
    wide = "<tr>" + "<td colspan=100>1</td>" * (cells // 10) + "</tr>"
    body = head + wide + "<tr><td>1</td></tr>" * rows
    return (f"<html><head><title>某某局2023年度政府信息公开工作年度报告</title></head><body>"
            f"<table>{body}</table></body></html>").encode()


def test_span_grid_of_a_billion_slots_is_refused_before_allocation(tmp_path: Path) -> None:
    page = span_bomb_html()
    (tmp_path / "bomb.html").write_bytes(page)
    out = parse_document(tmp_path / "bomb.html", sha256=sha(page))
    assert isinstance(out, Quarantined) and (out.stage, out.reason) == ("parse", "grid_too_large"), out
    with pytest.raises(Exception, match="over the"):
        expand_spans([[SpanCell("x", 200, 100)] * 100] + [[SpanCell("1")]] * 199)
    assert len(expand_spans([[SpanCell("a", 2, 3), SpanCell("b")], [SpanCell("c")]]).rows[0]) == 4
    assert MAX_GRID_SLOTS >= 100 * 100  # far above any real report table


def hogging_parse(path: Path, **kw) -> ParsedReport | Quarantined:
    """Stands in for a reader that asks for gigabytes (sent to the worker processes by reference)."""
    if path.name == "hog.pdf":
        hog = [bytearray(64 << 20) for _ in range(64)]  # 4 GB if nothing stops it
        del hog
    return parse_document(path, **kw)


def test_parse_worker_memory_cap_quarantines_the_document(tmp_path: Path, monkeypatch) -> None:
    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    (name, data), = reports(1, seed=31)
    (inbox / name).write_bytes(data)
    (inbox / "hog.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * 100)
    monkeypatch.setenv("GONGKAI_PARSE_MEMORY_MB", "300")
    run(inbox, wh, workers=1, timeout=60, parse=hogging_parse)
    assert files(wh)[name] == ("loaded", None)
    assert files(wh)["hog.pdf"] == ("quarantined", "memory_limit")
    detail = query(wh, "SELECT detail FROM quarantine WHERE source_file = 'hog.pdf'")[0][0]
    assert "GONGKAI_PARSE_MEMORY_MB" in detail and "300 MB" in detail


# ---------------------------------------------------------------- conflicts and order independence

def revised(text: bytes) -> bytes:
    """The same agency-year printing other numbers (a corrected report)."""
    out, n = re.subn(r"(二、上年结转政府信息公开申请数量\n\t)(\d+)", lambda m: m.group(1) + str(int(m.group(2)) + 7),
                     text.decode("utf-8"), count=1)
    assert n == 1
    return out.encode("utf-8")


def snapshot(warehouse: Path) -> dict[str, list[tuple]]:
    """What an analyst sees, without load times and load order."""
    return {
        "reports": sorted(query(warehouse, "SELECT report_id, agency_id, year, sha256, source_file FROM reports")),
        "facts": sorted(query(warehouse, "SELECT f.report_id, table_no, coalesce(item, ''), row_code, col_code, value, "
                                         "printed FROM facts f JOIN reports USING (report_id)")),
        "history": sorted(query(warehouse, "SELECT report_id, revision, published_on FROM report_history")),
        "held": sorted(query(warehouse, "SELECT report_id, reason FROM held_reports")),
        "findings": sorted(query(warehouse, "SELECT report_id, rule_id, scope, passed, observed FROM quality_results "
                                            "WHERE passed IS DISTINCT FROM true")),
        "files": sorted(query(warehouse, "SELECT path, status, reason FROM inbox_files")),
    }


def test_two_versions_of_one_agency_year_raise_a_finding_and_order_does_not_matter(tmp_path: Path) -> None:
    (name, data), (other_name, other) = reports(2, seed=32)
    a, b = ("a-" + name, data), ("b-" + name, revised(data))
    docs = [a, b, (other_name, other)]

    def ingest(order: list[list[tuple[str, bytes]]], tag: str) -> Path:
        """Each inner list is dropped in the inbox, then a run."""
        inbox, wh = tmp_path / tag / "inbox", tmp_path / tag / "w.duckdb"
        inbox.mkdir(parents=True)
        for i, batch in enumerate(order):
            for n, d in batch:
                (inbox / n).write_bytes(d)
            run(inbox, wh, judge=i == len(order) - 1)
        return wh

    one = ingest([docs], "together")
    two = ingest([[a], [b, docs[2]]], "a_first")
    three = ingest([[docs[2], b], [a]], "b_first")
    assert snapshot(one) == snapshot(two) == snapshot(three)
    conflict = query(one, "SELECT scope, observed FROM quality_results WHERE rule_id = 'U2_versions_agree' "
                          "AND NOT passed")
    assert len(conflict) == 1 and a[0] in conflict[0][0] and b[0] in conflict[0][0] and conflict[0][1] >= 1


@pytest.mark.parametrize("first", ["original", "revision"])
def test_revision_marker_in_the_file_name_wins_whatever_the_order(tmp_path: Path, first: str) -> None:
    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    inbox.mkdir()
    (name, data), = reports(1, seed=33)
    stem = name.removesuffix(".txt")
    versions = {"original": (f"{stem}.txt", data), "revision": (f"{stem}.v2.txt", revised(data))}
    for key in (first, "revision" if first == "original" else "original"):
        n, d = versions[key]
        (inbox / n).write_bytes(d)
        run(inbox, wh)
    assert query(wh, "SELECT source_file FROM reports") == [(f"{stem}.v2.txt",)]
    assert loader.revision_from_name(f"{stem}.v2.txt") == 2 and loader.revision_from_name(f"{stem}（修订）.txt") == 1


# ---------------------------------------------------------------- properties

NAME_BYTES = st.binary(min_size=1, max_size=24).filter(
    lambda b: b"/" not in b and b"\0" not in b and not b.startswith(b"."))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(NAME_BYTES, min_size=1, max_size=4, unique=True))
def test_any_file_name_is_stored_readably_and_maps_back_to_its_file(tmp_path_factory, names: list[bytes]) -> None:
    """Whatever bytes the filesystem gives as a name: the shown name is valid text, distinct names stay
    distinct, and the shown name leads back to the file."""
    inbox = tmp_path_factory.mktemp("names")
    for i, name in enumerate(names):
        with open(os.path.join(os.fsencode(inbox), name), "wb") as f:
            f.write(str(i).encode())
    entries = list(documents.walk_inbox(inbox))
    shown = [e.rel for e in entries]
    assert len(set(shown)) == len(names)
    for rel in shown:
        rel.encode("utf-8")  # storable: no surrogates
        assert documents.name_bytes(rel) in names
        assert documents.inbox_file(inbox, rel).read_bytes() == str(names.index(documents.name_bytes(rel))).encode()


SPAN = st.builds(SpanCell, st.just("x"), st.integers(1, 10**9), st.integers(1, 10**9))


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.lists(SPAN | st.builds(SpanCell, st.just("1")), min_size=1, max_size=60),
                     min_size=1, max_size=400))
def test_span_grids_are_bounded_or_refused(rows: list[list[SpanCell]]) -> None:
    """Any rowspan/colspan values: a rectangular grid within MAX_GRID_SLOTS, or grid_too_large."""
    try:
        grid = expand_spans(rows)
    except DocumentRejected as e:
        assert e.reason == "grid_too_large"
        return
    width = len(grid.rows[0])
    assert all(len(r) == width for r in grid.rows) and len(grid.rows) * width <= MAX_GRID_SLOTS


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(4)))
def test_current_version_does_not_depend_on_load_order(tmp_path_factory, order: list[int]) -> None:
    """Four versions of one agency-year loaded one by one in any order: the same one is current."""
    from tests.test_rules import clean_report, set_cell

    base = clean_report()
    versions = [
        set_cell(base, "T3", "received_new", "total", 61.0),  # original, signed 2023-01-20
        set_cell(base, "T3", "received_new", "total", 62.0),  # original, signed later
        set_cell(base, "T3", "received_new", "total", 63.0),  # .v2 in the name
        set_cell(base, "T3", "received_new", "total", 64.0),  # another original, no date
    ]
    names = ["a.txt", "b.txt", "c.v2.txt", "d.txt"]
    dates = ["2023年1月20日", "2023年3月1日", "2023年1月5日", ""]
    for i, rep in enumerate(versions):
        rep.sha256 = f"{i:x}" * 64
        rep.source_file = names[i]
        rep.narrative = "本年度共收到政府信息公开申请60件。\n" + dates[i]
    con = connection.open_warehouse(tmp_path_factory.mktemp("order") / "w.duckdb")
    try:
        for i in order:
            loader.load_report(con, versions[i])
        current = con.execute("SELECT source_file FROM reports").fetchall()
        ranked = con.execute("SELECT source_file FROM report_versions ORDER BY version_no").fetchall()
    finally:
        con.close()
    assert current == [("c.v2.txt",)]
    assert ranked == [("d.txt",), ("a.txt",), ("b.txt",), ("c.v2.txt",)]
