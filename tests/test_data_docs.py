"""The GX Data Docs work offline (no CDN references left) and keep only the newest validations."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines.lib.judge import quality
from pipelines.lib.load import connection, loader
from pipelines.lib.serve.data_docs import KEEP_VALIDATIONS, SuiteSummary, publish_offline
from tests.test_rules import clean_report

REMOTE = re.compile(r"""<(?:link|script|img)\b[^>]*(?:href|src)=["']https?://""", re.IGNORECASE)


def test_built_docs_reference_nothing_remote_and_index_lists_every_suite(tmp_path: Path) -> None:
    con = connection.open_warehouse(tmp_path / "w.duckdb")
    try:
        loader.load_reports(con, [clean_report()])
        docs = tmp_path / "docs"
        quality.refresh_quality(con, docs_dir=docs)
    finally:
        con.close()
    pages = list(docs.rglob("*.html"))
    assert len(pages) > len(quality.suite_names())  # index + suites + validations
    offenders = [str(p) for p in pages if REMOTE.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
    index = (docs / "index.html").read_text(encoding="utf-8")
    for name in quality.suite_names():
        assert f">{name}</a>" in index or f"<td>{name}</td>" in index
    assert "<script" not in index  # readable without JavaScript
    assert (docs / "static" / "gongkai.css").exists()


def test_only_the_newest_validations_are_kept(tmp_path: Path) -> None:
    for k in range(KEEP_VALIDATIONS + 3):
        run = tmp_path / "validations" / "cross_checks" / "__none__" / f"20260101T0000{k:02d}.000000Z"
        run.mkdir(parents=True)
        (run / "gongkai-cross_checks.html").write_text(
            '<html><head><link href="https://cdn.example/x.css"></head><body>run</body></html>', encoding="utf-8")
    publish_offline(tmp_path, [SuiteSummary("cross_checks", 4, 10, 2)])
    runs = sorted(p.name for p in (tmp_path / "validations" / "cross_checks" / "__none__").iterdir())
    assert len(runs) == KEEP_VALIDATIONS and runs[-1].startswith(f"20260101T0000{KEEP_VALIDATIONS + 2:02d}")
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "2 failed" in index and runs[-1] in index
    page = next((tmp_path / "validations").rglob("*.html")).read_text(encoding="utf-8")
    assert "cdn.example" not in page and "../../../../static/gongkai.css" in page
