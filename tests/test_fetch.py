"""gongkai fetch against fixture websites on 127.0.0.1 (tests/fetch_sites.py): what is fetched, what is never
requested, what a second run costs, what the fetch log shows, and the nightly job (fetch, then ingest)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from fetch_sites import Route, SiteServer, build_bureau_site, chrome, listing
from helpers import ingest_inbox

from pipelines.lib.fetch import content, pages, registry, store
from pipelines.lib.fetch.client import USER_AGENT_TOKEN, FetchClient, FetchPolicy
from pipelines.lib.fetch.crawl import FetchSummary, fetch_sources
from pipelines.lib.fetch.registry import RegistryError, Source, load_sources
from pipelines.lib.load.documents import iter_inbox

REPO = Path(__file__).resolve().parents[1]
FAST = FetchPolicy(delay=0, timeout=0.5, retries=1, backoff=0)


def pdf_font_available() -> bool:
    from pipelines.samplegen.render_pdf import FontNotFound, find_cjk_font

    try:
        find_cjk_font()
    except FontNotFound:
        return False
    return True


def inbox_files(inbox: Path) -> list[str]:
    return sorted(str(p.relative_to(inbox)) for p in iter_inbox(inbox)) if inbox.exists() else []


@dataclass
class Run:
    site: object
    inbox: Path
    warehouse: Path
    first: FetchSummary
    second: FetchSummary
    files_after_first: list[str]
    files_after_second: list[str]
    requests_first: list[str]
    requests_second: list[str]
    con: duckdb.DuckDBPyConnection


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory):
    """One fixture site fetched twice, then ingested (the pure stages, as the assets run them)."""
    tmp = tmp_path_factory.mktemp("fetch")
    inbox, warehouse = tmp / "inbox", tmp / "w.duckdb"
    with SiteServer() as server, SiteServer() as offsite:
        site = build_bureau_site(server, offsite, with_pdf=pdf_font_available())
        sources = [Source("某市公安局", site.listing_url, region="浙江省宁波市")]
        first = fetch_sources(sources, inbox, warehouse, FAST)
        files1, n1 = inbox_files(inbox), len(server.requests)
        second = fetch_sources(sources, inbox, warehouse, FAST)
        files2 = inbox_files(inbox)
        req1 = server.paths()[:n1]
        req2 = [r.path for r in server.requests[n1:]]
        con = ingest_inbox(inbox, warehouse)
        yield Run(site, inbox, warehouse, first, second, files1, files2, req1, req2, con)
        con.close()


def test_fetched_reports_load_with_their_source_url(run: Run) -> None:
    rows = run.con.execute("SELECT agency_name, year, source_url, format FROM reports ORDER BY 1, 2").fetchall()
    assert {(a, y) for a, y, _, _ in rows} == run.site.expected_reports
    assert all(url and url.startswith(run.site.server.url("/")) for _, _, url, _ in rows)
    by_key = {(a, y): (url, fmt) for a, y, url, fmt in rows}
    police = next(t for k, t in run.site.reports.items() if k == "police-2021")
    # the DOCX behind a 详见附件 page: the file's own URL, and its referrer is the report page
    url, fmt = by_key[(police.agency.name, 2021)]
    assert url.endswith("/gk/ndbg/202201/P020220112.docx") and fmt == "docx"
    referrer = run.con.execute("SELECT referrer FROM fetched_files WHERE url = ?", [url]).fetchone()[0]
    assert referrer.endswith("/gk/ndbg/202201/t20220112_3.html")
    # the GBK report page kept as HTML; a redirected report keeps the address it was finally served from
    assert by_key[(police.agency.name, 2023)][0].endswith("/gk/ndbg/202401/t20240115_1.html")
    other = run.site.reports["other-2023"].agency.name
    assert by_key[(other, 2023)][0].endswith("/gk/ndbg/202402/t20240201_5.html")
    assert run.con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0


def test_every_fetched_file_keeps_url_referrer_and_time(run: Run) -> None:
    rows = run.con.execute("SELECT url, referrer, fetched_at, inbox_path, source_name, region FROM fetched_files"
                           ).fetchall()
    assert len(rows) == run.first.new_files == 6
    assert all(u and r and t and p and s == "某市公安局" and g == "浙江省宁波市" for u, r, t, p, s, g in rows)
    assert sorted(p for *_, p, _, _ in rows) == run.files_after_first
    assert all(f.startswith(f"{store.FETCHED_DIR}/") for f in run.files_after_first)


def test_a_disallowed_path_and_a_notice_are_never_requested(run: Run) -> None:
    requested = set(run.requests_first + run.requests_second)
    assert run.site.disallowed_path not in requested
    assert run.site.notice_path not in requested
    assert "/robots.txt" in run.requests_first and run.requests_first[0] == "/robots.txt"
    status = run.con.execute("SELECT DISTINCT status FROM fetch_log WHERE url LIKE ?",
                             ["%" + run.site.disallowed_path]).fetchall()
    assert status == [("robots_disallowed",)]
    assert run.first.disallowed == 1


def test_an_off_registry_redirect_is_not_followed(run: Run) -> None:
    assert run.site.offsite.requests == []
    row = run.con.execute("SELECT url, error FROM fetch_log WHERE status = 'offsite_redirect' LIMIT 1").fetchone()
    assert row[0].startswith(run.site.offsite.url("/")) and "outside the sources registry" in row[1]


def test_second_fetch_adds_nothing_and_asks_conditionally(run: Run) -> None:
    assert run.second.new_files == 0
    assert run.files_after_second == run.files_after_first
    assert run.second.unchanged == 6
    # unchanged pages and files were asked for with their validators and answered 304 (no body)
    statuses = dict(run.con.execute(
        "SELECT status, count(*) FROM fetch_log WHERE fetched_at >= (SELECT max(fetched_at) FROM fetch_log "
        "WHERE url LIKE '%robots.txt') GROUP BY status").fetchall())
    assert statuses.get("304", 0) >= 9
    assert run.con.execute("SELECT count(*) FROM fetched_files").fetchone()[0] == 6


def test_fetch_log_shows_every_failure(run: Run) -> None:
    log = run.con.execute("SELECT url, status, error FROM fetch_log").fetchall()
    failures = {(u.rsplit("/", 1)[-1], s) for u, s, e in log if e is not None}
    assert failures == {("missing.html", "404"), ("slow.html", "timeout"), ("report.pdf", "offsite_redirect"),
                        ("P_gone.pdf", "content_mismatch"), ("flaky.html", "503"), ("t2014.html", "offsite_link"),
                        (run.site.disallowed_path.rsplit("/", 1)[-1], "robots_disallowed")}
    # the slow page was retried (retries=1: two requests), the flaky page's retry succeeded
    assert sum(1 for u, s, _ in log if u.endswith("slow.html")) == 2 * 2  # two runs
    assert ("200" in {s for u, s, _ in log if u.endswith("flaky.html")})
    # every row a request: a successful one carries bytes and a hash
    ok = run.con.execute("SELECT count(*) FROM fetch_log WHERE status = '200' AND (bytes IS NULL OR sha256 IS NULL)"
                         ).fetchone()[0]
    assert ok == 0
    assert run.first.failures == 4  # 404, timeout, offsite redirect, soft 404 (the flaky page recovered)


def test_user_agent_names_gongkai(run: Run) -> None:
    agents = {r.headers.get("User-Agent", "") for r in run.site.server.requests}
    assert agents and all(a.startswith(USER_AGENT_TOKEN + "/") for a in agents)


# -- politeness and safety, one at a time ------------------------------------------------------------------

def _fixture_list(server: SiteServer, n: int) -> None:
    items = [(f"/r{k}.html", f"{2015 + k}年政府信息公开工作年度报告", "") for k in range(n)]
    server.routes["/list/index.html"] = Route(listing(items, "").encode())
    for k in range(n):
        server.routes[f"/r{k}.html"] = Route(chrome("x", "<p>正文</p>").encode())


def test_requests_to_one_host_keep_the_delay(tmp_path: Path) -> None:
    with SiteServer() as server:
        _fixture_list(server, 3)
        fetch_sources([Source("s", server.url("/list/index.html"))], tmp_path / "in", tmp_path / "w.duckdb",
                      FetchPolicy(delay=0.25, timeout=2, retries=0))
    times = [r.at for r in server.requests]
    assert len(times) == 5  # robots.txt, the listing, three pages
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.24


def test_a_report_link_to_a_page_of_reports_is_followed_one_level(tmp_path: Path) -> None:
    """A city's "2023年度市政府部门…年度报告" link leads to a page listing each department's report."""
    sections = "<p>一、总体情况 二、主动公开 三、收到和处理 四、行政复议 行政诉讼 五、存在的主要问题</p>"
    with SiteServer() as server:
        server.routes["/ndbg/index.html"] = Route(listing(
            [("/ndbg/2023/index.html", "2023年度市政府部门政府信息公开工作年度报告", ""),
             ("/ndbg/max.html", "最大页数以外", "")], "<a href='index_1.html'>下一页</a>").encode())
        server.routes["/ndbg/index_1.html"] = Route(listing([("/ndbg/p2.html", "2022年政府信息公开年报", "")],
                                                            "").encode())
        server.routes["/ndbg/2023/index.html"] = Route(listing(
            [(f"/ndbg/2023/d{k}.html", f"市第{k}局2023年政府信息公开工作年度报告", "") for k in (1, 2)],
            "<a href='index_1.html'>下一页</a>").encode())
        for k in (1, 2):
            server.routes[f"/ndbg/2023/d{k}.html"] = Route(chrome(f"市第{k}局2023年报", sections + f"<p>{k}</p>"
                                                                  ).encode())
        summary = fetch_sources([Source("s", server.url("/ndbg/index.html"), max_pages=1)], tmp_path / "in",
                                tmp_path / "w.duckdb", FAST)
        assert summary.new_files == 2
        # max_pages 1: the listing's second page is not read; the sub-listing's pagination is not followed
        assert "/ndbg/index_1.html" not in server.paths() and "/ndbg/2023/index_1.html" not in server.paths()
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    refs = {r[0] for r in con.execute("SELECT referrer FROM fetched_files").fetchall()}
    con.close()
    assert refs == {server.url("/ndbg/2023/index.html")}


def test_a_report_link_to_a_download_script_keeps_the_file_its_bytes_say(tmp_path: Path) -> None:
    from fetch_sites import truths

    from pipelines.samplegen import render_docx

    docx = render_docx.render(truths()["police-2021"])
    with SiteServer() as server:
        server.routes["/ndbg/index.html"] = Route(listing(
            [("/module/download/downfile.jsp?classid=0&id=7", "2021年政府信息公开工作年度报告", ""),
             ("/module/download/downfile.jsp?classid=0&id=8", "2020年政府信息公开工作年度报告", "")], "").encode())
        server.routes["/module/download/downfile.jsp?classid=0&id=7"] = Route(
            docx, content_type="application/octet-stream")
        server.routes["/module/download/downfile.jsp?classid=0&id=8"] = Route(
            b"\x00\x01 not a document", content_type="application/octet-stream")
        summary = fetch_sources([Source("s", server.url("/ndbg/index.html"))], tmp_path / "in",
                                tmp_path / "w.duckdb", FAST)
    assert summary.new_files == 1 and summary.failures == 1
    assert [p.suffix for p in iter_inbox(tmp_path / "in")] == [".docx"]


def test_robots_txt_crawl_delay_and_an_unreadable_robots_txt(tmp_path: Path) -> None:
    with SiteServer() as server:
        server.routes["/robots.txt"] = Route(status=500, body=b"oops", content_type="text/plain")
        _fixture_list(server, 1)
        summary = fetch_sources([Source("s", server.url("/list/index.html"))], tmp_path / "in",
                                tmp_path / "w.duckdb", FAST)
        # RFC 9309: a robots.txt that cannot be read (5xx) means nothing may be fetched this run
        assert server.paths() == ["/robots.txt", "/robots.txt"]  # the retry, then nothing
        assert summary.failures == 1 and summary.disallowed == 0 and summary.new_files == 0
    with SiteServer() as server, FetchClient(FetchPolicy(delay=0), {""}) as client:
        server.routes["/robots.txt"] = Route(b"User-agent: Gongkai\nCrawl-delay: 3\nDisallow: /a/\n",
                                             content_type="text/plain")
        client.allowed_hosts = {server.netloc}
        assert not client.allowed(server.url("/a/x.html")) and client.allowed(server.url("/b/x.html"))
        assert client._host(server.url("/")).delay == 3


def test_size_cap_and_content_check(tmp_path: Path) -> None:
    with SiteServer() as server, FetchClient(FAST, set()) as client:
        client.allowed_hosts = {server.netloc}
        server.routes["/big.pdf"] = Route(b"%PDF-1.7\n" + b"0" * 5000, content_type="application/pdf")
        server.routes["/fake.docx"] = Route(b"%PDF-1.7 really a pdf", content_type="application/octet-stream")
        got = client.get(server.url("/big.pdf"), expect="pdf", max_bytes=1000)
        assert got.status == "too_large" and got.body is None
        got = client.get(server.url("/fake.docx"), expect="docx")
        assert got.status == "content_mismatch" and "bytes are pdf" in (got.error or "")
        assert client.get(server.url("/big.pdf"), expect="pdf").ok


def test_a_broken_entry_does_not_stop_the_others(tmp_path: Path) -> None:
    with SiteServer() as good:
        _fixture_list(good, 1)
        good.routes["/r0.html"] = Route(chrome("2020年政府信息公开工作年度报告",
                                               "<p>主动公开 收到和处理 行政复议 行政诉讼 存在的主要问题</p>").encode())
        dead = "http://127.0.0.1:9/list/index.html"  # the discard port: nothing listens
        summary = fetch_sources([Source("dead", dead), Source("good", good.url("/list/index.html"))],
                                tmp_path / "in", tmp_path / "w.duckdb", FAST)
    assert summary.new_files == 1 and summary.failures >= 1
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM fetch_log WHERE source_name = 'dead' AND error IS NOT NULL"
                       ).fetchone()[0] >= 1
    con.close()


# -- pure parts -----------------------------------------------------------------------------------------

AGENCY_NAMES = ["宁波市公安局", "某县人民政府办公室", "江苏省统计局", ""]
REPORT_FORMS = ["{a}{y}年政府信息公开工作年度报告", "{y}年度{a}政府信息公开工作年度报告", "{a}政府信息公开年报（{y}年）",
                "{a}{y}年政务公开工作年度报告", "{y}年{a}政府信息公开工作年度报告.pdf", " {a}{y}年 政府信息公开 年度报告 "]
NOTICE_FORMS = ["关于做好{y}年度政府信息公开工作年度报告编制发布工作的通知", "{a}{y}年政府信息公开工作年度报告解读",
                "关于报送{y}年政府信息公开工作年度报告的通知", "图解：{a}{y}年政府信息公开工作年度报告",
                "{a}政府信息公开年报", "{a}{y}年政府信息公开工作要点", "{a}{y}年度预算公开"]


@pytest.mark.parametrize("form", REPORT_FORMS)
def test_report_labels_are_recognised(form: str) -> None:
    for a in AGENCY_NAMES:
        for y in (2008, 2019, 2024):
            assert pages.is_report_label(form.format(a=a, y=y)), form.format(a=a, y=y)


@pytest.mark.parametrize("form", NOTICE_FORMS)
def test_notices_and_columns_are_not_reports(form: str) -> None:
    for a in AGENCY_NAMES:
        assert not pages.is_report_label(form.format(a=a, y=2023)), form.format(a=a, y=2023)


def test_pagination_styles() -> None:
    base = "http://h.example/col/ndbg/index.html"
    page = pages.analyze(listing([], "<a href='index_1.html'>下一页</a><a href='index_4.html'>尾页</a>"
                                 "<a href='http://other.example/col/index_2.html'>2</a>").encode(), base)
    assert page.listing_pages == [f"http://h.example/col/ndbg/index_{k}.html" for k in (1, 4, 2, 3)]
    trs = listing([], "", script='<script>createPageHTML(3, 0, "index", "shtml");</script>').encode()
    assert pages.analyze(trs, base).listing_pages == ["http://h.example/col/ndbg/index.shtml",
                                                      "http://h.example/col/ndbg/index_1.shtml",
                                                      "http://h.example/col/ndbg/index_2.shtml"]
    # numbered links and ?page=N in a query
    q = listing([], "<a href='list.jsp?page=2'>2</a><a href='list.jsp?page=3'>3</a>").encode()
    assert pages.analyze(q, "http://h.example/list.jsp?page=1").listing_pages == [
        "http://h.example/list.jsp?page=2", "http://h.example/list.jsp?page=3"]


def test_a_listing_does_not_look_like_a_report_but_a_report_page_does() -> None:
    from fetch_sites import report_page, truths

    t = truths()["police-2021"]
    assert pages.analyze(report_page(t).encode("gbk"), "http://h/x.html").carries_report
    items = [("/a.html", "2023年行政复议和行政诉讼情况", ""), ("/b.html", "主动公开目录", ""),
             ("/c.html", "收到和处理申请", ""), ("/d.html", "存在的主要问题", "")]
    assert not pages.analyze(listing(items, "").encode(), "http://h/x.html").carries_report


def test_content_sniffing() -> None:
    from fetch_sites import truths

    from pipelines.samplegen import render_docx

    assert content.sniff(render_docx.render(truths()["police-2021"])) == "docx"
    assert content.sniff(b"%PDF-1.5\n...") == "pdf"
    assert content.sniff(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100) == "ole"
    assert content.sniff(b"  <!DOCTYPE html><html>") == "html"
    assert content.agrees("wps", "ole") and not content.agrees("pdf", "html")


def test_stable_inbox_names() -> None:
    sha = "ab" * 32
    a = store.inbox_relpath("http://www.x.gov.cn:8080/gk/P0201.pdf", sha, "pdf")
    assert a == "fetched/www.x.gov.cn_8080/P0201.abababababab.pdf"
    assert a == store.inbox_relpath("http://www.x.gov.cn:8080/gk/P0201.pdf", sha, "pdf")
    q1 = store.inbox_relpath("http://x.cn/download.jsp?id=1", sha, "pdf")
    q2 = store.inbox_relpath("http://x.cn/download.jsp?id=2", sha, "pdf")
    assert q1 != q2 and "/" not in q1.split("/", 2)[2]
    assert store.inbox_relpath("http://x.cn/a/../../etc/passwd", sha, "html").startswith("fetched/x.cn/")


def test_registry_validation(tmp_path: Path) -> None:
    assert load_sources(REPO / "data" / "sources.yaml") == []  # the bundled file: documented, no entries
    assert load_sources(tmp_path / "missing.yaml") == []
    f = tmp_path / "s.yaml"
    f.write_text("- name: 某局\n  url: https://www.example.gov.cn/ndbg/\n  max_pages: 3\n  region: 某省\n",
                 encoding="utf-8")
    assert load_sources(f) == [Source("某局", "https://www.example.gov.cn/ndbg/", 3, "某省")]
    for bad, words in (("- url: https://a.cn/\n", "name"), ("- name: x\n  url: ftp://a.cn/\n", "url"),
                       ("- name: x\n  url: https://a.cn/\n  max_pages: 0\n", "max_pages"),
                       ("- name: x\n  url: https://a.cn/\n  pages: 3\n", "unknown"), ("name: x\n", "list")):
        f.write_text(bad, encoding="utf-8")
        with pytest.raises(RegistryError, match=words):
            registry.load_sources(f)


# -- the command line and the nightly job ---------------------------------------------------------------

def test_gongkai_fetch_then_ingest(tmp_path: Path, capsys: pytest.CaptureFixture,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.cli import main

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))

    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    with SiteServer() as server, SiteServer() as offsite:
        site = build_bureau_site(server, offsite, with_pdf=False)
        sources = tmp_path / "sources.yaml"
        sources.write_text(f"- name: 某市公安局\n  url: {site.listing_url}\n", encoding="utf-8")
        code = main(["fetch", "--sources", str(sources), "--inbox", str(inbox), "--warehouse", str(wh),
                     "--delay", "0", "--timeout", "0.5", "--retries", "1", "--backoff", "0"])
        out = capsys.readouterr().out
        assert code == 0  # some fetches failed, and that is not a failed command
        assert "new files: 6" in out and "failures: 4" in out
        n = len(server.requests)
        # `gongkai ingest`, as a user runs it, reads the inbox only, even with a sources registry configured
        monkeypatch.setenv("GONGKAI_SOURCES", str(sources))
        assert main(["ingest", "--inbox", str(inbox), "--warehouse", str(wh)]) == 0
        assert len(server.requests) == n
    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute("SELECT agency_name, year, source_url FROM reports").fetchall()
    con.close()
    assert {(a, y) for a, y, _ in rows} == site.expected_reports
    assert all(u and u.startswith(server.url("/")) for *_, u in rows)


def test_fetch_with_the_bundled_registry_does_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from pipelines.cli import main

    assert main(["fetch", "--sources", str(REPO / "data" / "sources.yaml"), "--inbox", str(tmp_path / "in"),
                 "--warehouse", str(tmp_path / "w.duckdb")]) == 0
    assert "no sources" in capsys.readouterr().out
    assert not (tmp_path / "w.duckdb").exists()
    f = tmp_path / "bad.yaml"
    f.write_text("- name: x\n", encoding="utf-8")
    assert main(["fetch", "--sources", str(f), "--warehouse", str(tmp_path / "w.duckdb")]) == 2
    assert "url" in capsys.readouterr().err


def test_nightly_job_runs_fetch_then_ingest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The job the nightly schedule starts: fetched_documents first, then the inbox scan picks the files up
    (the rest of the job is the ingest graph that test_dagster_graph and the CLI test run)."""
    import dagster as dg

    from pipelines.definitions import defs
    from pipelines.defs.schedules import inbox_asset_keys, nightly_schedule

    inbox, wh = tmp_path / "inbox", tmp_path / "w.duckdb"
    with SiteServer() as server, SiteServer() as offsite:
        site = build_bureau_site(server, offsite, with_pdf=False)
        sources = tmp_path / "sources.yaml"
        sources.write_text(f"- name: 某市公安局\n  url: {site.listing_url}\n", encoding="utf-8")
        for k, v in {"GONGKAI_SOURCES": str(sources), "GONGKAI_INBOX": str(inbox), "GONGKAI_WAREHOUSE": str(wh),
                     "GONGKAI_FETCH_DELAY": "0"}.items():
            monkeypatch.setenv(k, v)
        job = defs().resolve_job_def(nightly_schedule().job_name)
        assert {k.to_user_string() for k in job.asset_layer.executable_asset_keys} >= {
            "fetched_documents", "inbox_documents", "warehouse_reports", "quality_results"}
        with dg.instance_for_test() as instance:
            result = job.execute_in_process(instance=instance, asset_selection=[
                dg.AssetKey("fetched_documents"), dg.AssetKey("inbox_documents")])
        assert result.success
        order = [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()]
        assert order == ["fetched_documents", "inbox_documents"]
        meta = {e.asset_key.to_user_string(): e.event_specific_data.materialization.metadata
                for e in result.get_asset_materialization_events()}
        assert meta["fetched_documents"]["files_new"].value == 6
        assert meta["inbox_documents"]["documents_new"].value == 6
    # the inbox sensor's runs select the inbox assets only: a file arriving does not fetch
    assert dg.AssetKey("fetched_documents") not in inbox_asset_keys()
    assert dg.AssetKey("inbox_documents") in inbox_asset_keys()


def test_fetch_asset_is_a_no_op_without_sources(tmp_path: Path) -> None:
    import dagster as dg

    from pipelines.defs.assets import fetched_documents
    from pipelines.defs.resources import GongkaiSettings

    settings = GongkaiSettings(inbox=str(tmp_path / "in"), warehouse=str(tmp_path / "w.duckdb"),
                               sources=str(REPO / "data" / "sources.yaml"))
    result = dg.materialize([fetched_documents], resources={"gongkai": settings})
    meta = result.get_asset_materialization_events()[0].event_specific_data.materialization.metadata
    assert meta["note"].value == "no sources" and not (tmp_path / "w.duckdb").exists()
