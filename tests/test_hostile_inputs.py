"""Hostile input matrix: each document either loads or is quarantined with a reason; the run goes on,
and every other document in the inbox loads."""

from __future__ import annotations

import codecs
import io
import os
import random
import signal
import zipfile
from pathlib import Path

import duckdb
import pytest
from gen_reports import report_texts

from pipelines.lib.load import connection, documents, loader
from pipelines.lib.model import ParsedReport, Quarantined
from pipelines.lib.read import fanout
from pipelines.lib.read.parse import parse_document

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
GOOD = 2  # valid reports beside every hostile file


def run(inbox: Path, warehouse: Path, **parse_kw) -> None:
    """scan -> parse -> load through the lib functions the assets call (no quality: not under test here)."""
    con = connection.open_warehouse(warehouse)
    try:
        documents.scan_inbox(con, inbox)
        pending = documents.pending_documents(con)
        staging = fanout.staging_dir(warehouse)
        fanout.parse_pending(pending, inbox, staging, **parse_kw)
        loader.load_staged(con, pending, staging)
    finally:
        con.close()


def outcome(warehouse: Path) -> dict[str, tuple[str, str]]:
    """source_file -> ('loaded', report_id) or ('quarantined', 'stage/reason') for every document."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "SELECT f.path, d.status, coalesce(d.report_id, q.stage || '/' || q.reason), q.detail "
            "FROM file_index f JOIN documents d USING (sha256) LEFT JOIN quarantine q USING (sha256)").fetchall()
    finally:
        con.close()
    out = {}
    for path, status, what, detail in rows:
        assert status in ("loaded", "quarantined"), f"{path} left in status {status}"
        if status == "quarantined":
            assert what and detail, f"{path} quarantined without a reason"
        out[path] = (status, what)
    return out


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    box = tmp_path / "inbox"
    box.mkdir()
    for name, data in report_texts(GOOD, seed=11):
        (box / name).write_bytes(data)
    return box


def report_bytes(seed: int = 5) -> bytes:
    """A valid report of an agency-year none of the GOOD ones has (so it is not a revision of one)."""
    return next(report_texts(1, seed=seed, offset=GOOD + seed))[1]


def check(inbox: Path, tmp_path: Path, hostile: list[str], **parse_kw) -> dict[str, tuple[str, str]]:
    """Run once; the hostile files load or are quarantined with a reason; every good report loads."""
    warehouse = tmp_path / "w.duckdb"
    run(inbox, warehouse, **parse_kw)
    out = outcome(warehouse)
    good = [p for p in out if p not in hostile]
    assert len(good) >= GOOD and all(out[p][0] == "loaded" for p in good), out
    for h in hostile:
        assert h in out, f"{h} was not seen at all"
    return out


def docx_bytes(document_xml: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
        z.writestr("word/document.xml", document_xml)
    return buf.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
SIMPLE_DOCX_XML = (f'<?xml version="1.0" encoding="UTF-8"?><w:document {W}><w:body><w:p><w:r><w:t>'
                   "宁波市某局2020年政府信息公开工作年度报告</w:t></w:r></w:p></w:body></w:document>").encode()


# ---------------------------------------------------------------- unreadable bytes

def test_empty_file(inbox: Path, tmp_path: Path) -> None:
    (inbox / "empty.txt").write_bytes(b"")
    assert check(inbox, tmp_path, ["empty.txt"])["empty.txt"][0] == "quarantined"


@pytest.mark.parametrize("name", ["random.pdf", "random.docx", "random.html"])
def test_random_bytes_with_a_document_name(inbox: Path, tmp_path: Path, name: str) -> None:
    (inbox / name).write_bytes(random.Random(name).randbytes(40_000))
    assert check(inbox, tmp_path, [name])[name][0] == "quarantined"


def test_truncated_and_corrupt_docx(inbox: Path, tmp_path: Path) -> None:
    good = docx_bytes(SIMPLE_DOCX_XML * 1)
    (inbox / "truncated.docx").write_bytes(good[: len(good) // 2])
    corrupt = bytearray(good)
    for i in range(40, len(corrupt) - 40, 7):  # keep the PK header, scramble the deflate streams and directory
        corrupt[i] ^= 0x5A
    (inbox / "corrupt.docx").write_bytes(bytes(corrupt))
    out = check(inbox, tmp_path, ["truncated.docx", "corrupt.docx"])
    assert out["truncated.docx"][0] == out["corrupt.docx"][0] == "quarantined"


def test_docx_zip_bomb(inbox: Path, tmp_path: Path) -> None:
    # 300 MB of XML whitespace deflates to ~300 KB: a reader that trusts the archive would expand it all.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z, z.open("word/document.xml", "w", force_zip64=True) as f:
        f.write(f'<?xml version="1.0"?><w:document {W}><w:body>'.encode())
        chunk = b" " * (1 << 20)
        for _ in range(300):
            f.write(chunk)
        f.write(b"</w:body></w:document>")
    (inbox / "bomb.docx").write_bytes(buf.getvalue())
    assert check(inbox, tmp_path, ["bomb.docx"])["bomb.docx"][0] == "quarantined"


def test_docx_xml_entity_expansion(inbox: Path, tmp_path: Path) -> None:
    lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    xml = (f'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY l0 "lol">{lol}'
           f'<!ENTITY ext SYSTEM "http://127.0.0.1:9/secret">]>'
           f'<w:document {W}><w:body><w:p><w:r><w:t>&l9;&ext;</w:t></w:r></w:p></w:body></w:document>').encode()
    (inbox / "laughs.docx").write_bytes(docx_bytes(xml))
    out = check(inbox, tmp_path, ["laughs.docx"])
    assert out["laughs.docx"][0] == "quarantined"  # never expanded into a report


def test_file_over_the_size_limit(inbox: Path, tmp_path: Path) -> None:
    big = report_bytes() + b"\n" + b"x" * (2 * 1024 * 1024)
    (inbox / "big.txt").write_bytes(big)
    out = check(inbox, tmp_path, ["big.txt"], max_bytes=1024 * 1024)
    assert out["big.txt"] == ("quarantined", "read/too_large")


# ---------------------------------------------------------------- encodings and odd reports

@pytest.mark.parametrize("enc", ["gbk", "gb18030", "utf-16", "utf-16-be-bom", "utf-8-sig"])
def test_text_encodings_load(inbox: Path, tmp_path: Path, enc: str) -> None:
    text = report_bytes(seed=7).decode("utf-8")
    data = codecs.BOM_UTF16_BE + text.encode("utf-16-be") if enc == "utf-16-be-bom" else text.encode(enc)
    (inbox / f"report-{enc}.txt").write_bytes(data)
    out = check(inbox, tmp_path, [f"report-{enc}.txt"])
    assert out[f"report-{enc}.txt"][0] == "loaded", out


def test_utf16_without_bom(inbox: Path, tmp_path: Path) -> None:
    (inbox / "nobom.txt").write_bytes(report_bytes(seed=8).decode("utf-8").encode("utf-16-le"))
    check(inbox, tmp_path, ["nobom.txt"])  # loads or is quarantined with a reason


PRE_2019 = """某某县财政局2017年政府信息公开工作年度报告

本报告根据《中华人民共和国政府信息公开条例》要求编制。
一、概述
2017年，我局认真贯彻落实《条例》，主动公开政府信息126条，受理依申请公开3件，均已按时答复。
二、主动公开政府信息情况
全年通过门户网站公开财政预决算、政策文件等信息。
三、依申请公开政府信息情况
全年共受理政府信息公开申请3件，均按期答复。
四、因政府信息公开申请行政复议、提起行政诉讼的情况
全年未发生行政复议和行政诉讼。
"""


def test_pre_2019_narrative_report(inbox: Path, tmp_path: Path) -> None:
    (inbox / "old-2017.txt").write_text(PRE_2019, encoding="utf-8")
    hostile = ["old-2017.txt"]
    real = SHARED / "corpus" / "real" / "pingtan-dishui-2013.txt"
    if real.exists():
        (inbox / "pingtan-dishui-2013.txt").write_bytes(real.read_bytes())
        hostile.append("pingtan-dishui-2013.txt")
    out = check(inbox, tmp_path, hostile)
    assert out["old-2017.txt"][0] == "quarantined"


def test_html_page_with_no_tables(inbox: Path, tmp_path: Path) -> None:
    (inbox / "notables.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>某某市交通运输局2020年政府信息公开工作年度报告</title>"
        "<script src='http://127.0.0.1:9/x.js'></script></head><body><h1>某某市交通运输局2020年政府信息公开工作年度报告</h1>"
        "<p>本年度我局共收到申请若干件。</p><img src='http://127.0.0.1:9/a.png'></body></html>", encoding="utf-8")
    assert check(inbox, tmp_path, ["notables.html"])["notables.html"][0] == "quarantined"


# ---------------------------------------------------------------- names and the file system

def test_same_file_twice_under_two_names(inbox: Path, tmp_path: Path) -> None:
    data = report_bytes(seed=9)
    (inbox / "a.txt").write_bytes(data)
    (inbox / "copy of a.txt").write_bytes(data)
    out = check(inbox, tmp_path, ["a.txt", "copy of a.txt"])
    assert out["a.txt"] == out["copy of a.txt"] and out["a.txt"][0] == "loaded"  # one document, one report
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM report_history").fetchall() == [(GOOD + 1,)]
    con.close()


def test_file_renamed_between_runs_and_removed(inbox: Path, tmp_path: Path) -> None:
    (inbox / "before.txt").write_bytes(report_bytes(seed=10))
    warehouse = tmp_path / "w.duckdb"
    out = check(inbox, tmp_path, ["before.txt"])
    report_id = out["before.txt"][1]
    (inbox / "before.txt").rename(inbox / "after 改名.txt")
    out = check(inbox, tmp_path, ["after 改名.txt"])
    assert out["after 改名.txt"] == ("loaded", report_id)  # same content: same report, not parsed again
    # removed from the inbox: the warehouse keeps the report, marked as no longer present
    (inbox / "after 改名.txt").unlink()
    run(inbox, warehouse)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("SELECT in_inbox FROM reports WHERE report_id = ?", [report_id]).fetchall() == [(False,)]
        assert con.execute("SELECT count(*) FROM reports WHERE in_inbox").fetchall() == [(GOOD,)]
        assert con.execute("SELECT count(*) FROM request_facts WHERE report_id = ?", [report_id]).fetchall()[0][0] > 0
    finally:
        con.close()


def test_file_renamed_after_scan_before_parse(inbox: Path, tmp_path: Path) -> None:
    """A run killed after the scan, then a rename: the next run reads the document from its new name."""
    (inbox / "first.txt").write_bytes(report_bytes(seed=12))
    warehouse = tmp_path / "w.duckdb"
    con = connection.open_warehouse(warehouse)
    documents.scan_inbox(con, inbox)
    con.close()
    (inbox / "first.txt").rename(inbox / "second.txt")
    assert check(inbox, tmp_path, ["second.txt"])["second.txt"][0] == "loaded"


def test_names_with_spaces_and_chinese(inbox: Path, tmp_path: Path) -> None:
    sub = inbox / "2020 年度 报告"
    sub.mkdir()
    name = "2020 年度 报告/宁波市 公安局 （修订版）.txt"
    (inbox / name).write_bytes(report_bytes(seed=13))
    assert check(inbox, tmp_path, [name])[name][0] == "loaded"


def test_symlink_loop_in_inbox(inbox: Path, tmp_path: Path) -> None:
    (inbox / "sub").mkdir()
    os.symlink(inbox, inbox / "sub" / "up")  # a directory loop
    os.symlink(inbox / "self", inbox / "self")  # a link to itself
    os.symlink("/etc/passwd", inbox / "outside.txt")  # a link out of the inbox is not followed either
    out = check(inbox, tmp_path, [])
    assert len(out) == GOOD


# ---------------------------------------------------------------- per-document time limit

def spinning_parse(path: Path, **kw) -> ParsedReport | Quarantined:
    """Stands in for a reader stuck on a hostile PDF (sent to the worker processes by reference)."""
    if path.name == "spin.pdf":
        while True:
            pass
    if path.name == "crash.pdf":
        os.kill(os.getpid(), signal.SIGKILL)  # a native reader crashing (or the OOM killer)
    return parse_document(path, **kw)


def test_parser_that_spins_is_stopped_by_the_time_limit(inbox: Path, tmp_path: Path) -> None:
    (inbox / "spin.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * 1000)
    (inbox / "crash.pdf").write_bytes(b"%PDF-1.4\n" + b"1" * 1000)
    for name, data in report_texts(6, seed=14):  # enough documents to keep both workers busy
        (inbox / name).write_bytes(data)
    out = check(inbox, tmp_path, ["spin.pdf", "crash.pdf"], workers=2, timeout=3, parse=spinning_parse)
    assert out["spin.pdf"] == ("quarantined", "parse/timeout")
    assert out["crash.pdf"] == ("quarantined", "parse/worker_died")


def test_documents_queued_behind_a_stopped_worker_are_parsed_by_its_replacement(inbox: Path, tmp_path: Path) -> None:
    # One worker: the documents queued behind the one it was stopped on go to its replacement, not to
    # quarantine (and the replacement is what serves the rest of the batch).
    (inbox / "spin.pdf").write_bytes(b"%PDF-1.4\n" + b"0" * 1000)
    (inbox / "crash.pdf").write_bytes(b"%PDF-1.4\n" + b"1" * 1000)
    out = check(inbox, tmp_path, ["spin.pdf", "crash.pdf"], workers=1, timeout=3, parse=spinning_parse)
    assert out["spin.pdf"] == ("quarantined", "parse/timeout")
    assert out["crash.pdf"] == ("quarantined", "parse/worker_died")


def test_timeout_is_configurable_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GONGKAI_PARSE_TIMEOUT_S", "7.5")
    assert fanout.parse_timeout_from_env() == 7.5
