"""Identity signals are queryable: report_identity_signals holds, per loaded report, every signal that
named its agency and year (title lines, HTML <title>, the report's own phrase, the file name), the one the
identity was taken from marked used."""

from __future__ import annotations

import random

from pipelines.lib.load.connection import open_warehouse
from pipelines.lib.load.loader import load_reports
from pipelines.lib.model import ParsedReport
from pipelines.lib.read.parse import parse_document
from pipelines.samplegen.truth import AGENCIES, generate_truth
from pipelines.samplegen.variations import Variation, render_variant


def _parse(path, data: bytes) -> ParsedReport:
    path.write_bytes(data)
    rep = parse_document(path)
    assert isinstance(rep, ParsedReport), rep
    return rep


def test_identity_signals_are_loaded_with_the_used_one_marked(tmp_path):
    t_html = generate_truth(AGENCIES[0], 2021, rng=random.Random(3))
    html = _parse(tmp_path / "a.html", render_variant(t_html, "html", Variation()))
    # A TXT report whose title and introduction are gone: only the file name names it.
    t_txt = generate_truth(AGENCIES[1], 2022, rng=random.Random(5))
    text = render_variant(t_txt, "txt", Variation()).decode("utf-8")
    body = text[text.index("二、主动公开政府信息情况"):]
    txt = _parse(tmp_path / f"{t_txt.agency.name}{t_txt.year}年度.txt", body.encode("utf-8"))
    assert txt.identity_signals[0].startswith("file_name: ")

    con = open_warehouse(tmp_path / "w.duckdb")
    try:
        ids = load_reports(con, [html, txt])
        rows = con.execute("SELECT report_id, position, kind, value, used FROM report_identity_signals "
                           "ORDER BY report_id, position").fetchall()
        by_report: dict[str, list] = {}
        for rid, pos, kind, value, used in rows:
            by_report.setdefault(rid, []).append((pos, kind, value, used))
        html_rows, txt_rows = by_report[ids[0]], by_report[ids[1]]
        # One row per signal, in the parser's order; exactly one used, the first.
        assert [f"{k}: {v}" for _p, k, v, _u in html_rows] == html.identity_signals
        assert [u for *_x, u in html_rows] == [True] + [False] * (len(html_rows) - 1)
        kinds = {k for _p, k, _v, _u in html_rows}
        assert {"html_title", "title_lines"} <= kinds
        assert any(t_html.agency.name in v for _p, k, v, _u in html_rows if k == "title_lines")
        assert txt_rows[0][1:] == ("file_name", f"{t_txt.agency.name}{t_txt.year}年度", True)
        # Reports read from their file name alone are one query away.
        weak = con.execute("SELECT r.agency_name, r.year FROM reports r JOIN report_identity_signals s "
                           "USING (report_id) WHERE s.used AND s.kind = 'file_name'").fetchall()
        assert weak == [(t_txt.agency.name, t_txt.year)]
        # Re-loading the same reports replaces their signals (no duplicates).
        load_reports(con, [html, txt])
        assert con.execute("SELECT count(*) FROM report_identity_signals").fetchone()[0] == len(rows)
    finally:
        con.close()
