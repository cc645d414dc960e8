"""Fixture websites for the fetch tests, served on 127.0.0.1 only, built like real government sites.

A `SiteServer` serves a dict of routes (path -> `Route`) from a thread, answers conditional requests
(ETag / Last-Modified -> 304) and records every request it gets. `build_bureau_site` lays out a bureau's
政府信息公开年报 column the way the common CMSs do: GBK listing pages with navigation chrome, 下一页 / 尾页 /
numbered ``index_N.html`` pagination and a TRS ``createPageHTML`` pager; report pages that carry the report as
HTML or say 详见附件 and link a PDF or DOCX; a link straight to a PDF; a notice about reports (not a report);
a robots.txt that disallows a path; a 404, a slow page, a flaky 503, a soft 404 (an HTML page where a PDF
should be), a same-host redirect and a redirect to a host outside the registry. The reports themselves are
rendered by pipelines/samplegen (synthetic figures), so no third-party document is involved.
"""

from __future__ import annotations

import hashlib
import html
import random
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pipelines.samplegen import render_docx, render_html, render_pdf
from pipelines.samplegen.truth import AGENCIES, ReportTruth, generate_truth


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None  # for 3xx
    delay: float = 0.0  # seconds before answering (a slow server)
    fail_first: int = 0  # answer 503 this many times before the real answer (a flaky server)
    etag: bool = True
    last_modified: bool = False

    def tag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@dataclass(frozen=True)
class Seen:
    path: str
    headers: dict[str, str]
    at: float
    status: int


@dataclass
class SiteServer:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[Seen] = field(default_factory=list)
    _served: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                site._answer(self)

            def log_message(self, *args) -> None:  # quiet
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def netloc(self) -> str:
        return f"127.0.0.1:{self._httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return f"http://{self.netloc}{path}"

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    def _answer(self, h: BaseHTTPRequestHandler) -> None:
        path = h.path.split("#")[0]
        route = self.routes.get(path) or self.routes.get(path.split("?")[0])
        served = self._served.get(path, 0)
        self._served[path] = served + 1
        if route is None:
            status, body, headers = 404, "<html><body>404 页面不存在</body></html>".encode(), {
                "Content-Type": "text/html; charset=utf-8"}
        elif served < route.fail_first:
            status, body, headers = 503, b"busy", {"Content-Type": "text/plain"}
        else:
            status, body, headers = route.status, route.body, {"Content-Type": route.content_type}
            if route.location:
                headers["Location"] = route.location
            if route.status == 200 and route.etag:
                headers["ETag"] = route.tag()
                if h.headers.get("If-None-Match") == route.tag():
                    status, body = 304, b""
            if route.status == 200 and route.last_modified:
                headers["Last-Modified"] = formatdate(1_700_000_000, usegmt=True)
                if h.headers.get("If-Modified-Since") == headers["Last-Modified"] and not route.etag:
                    status, body = 304, b""
        self.requests.append(Seen(path, dict(h.headers.items()), time.monotonic(), status))  # on arrival
        if route is not None and route.delay and served >= route.fail_first:
            time.sleep(route.delay)
        try:
            h.send_response(status)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            pass


# -- page templates ---------------------------------------------------------------------------------------

def chrome(title: str, main: str, *, charset: str = "utf-8", script: str = "") -> str:
    """A government page: header, navigation (which names columns such as 行政复议 and 政府信息公开年报),
    breadcrumbs, the main block, a footer."""
    nav = ("<ul class='nav'><li><a href='/'>首页</a></li><li><a href='/gk/'>政府信息公开</a></li>"
           "<li><a href='/gk/zc/'>政策文件</a></li><li><a href='/gk/xzfy/'>行政复议</a></li>"
           "<li><a href='/gk/ndbg/index.html'>政府信息公开年报</a></li><li><a href='/hd/'>互动交流</a></li></ul>")
    return (f"<!DOCTYPE html><html><head><meta http-equiv='Content-Type' content='text/html; charset={charset}'>"
            f"<meta name='ArticleTitle' content='{html.escape(title)}'><title>{html.escape(title)}</title></head>"
            f"<body><div class='header'>某市人民政府门户网站</div>{nav}<div class='crumb'>当前位置：<a href='/'>首页</a> &gt; "
            f"<a href='/gk/'>政府信息公开</a> &gt; <a href='/gk/ndbg/index.html'>政府信息公开年报</a></div>"
            f"<div class='main'>{main}</div>{script}<div class='footer'>主办单位：某市人民政府办公室 "
            f"<a href='/robots.txt'>网站地图</a></div></body></html>")


def listing(items: list[tuple[str, str, str]], pager: str, *, charset: str = "utf-8", script: str = "") -> str:
    """items: (href, text, title) as a CMS list (the text often cut short with …, the title attribute whole)."""
    lis = "".join(f"<li><a href='{href}' title='{html.escape(title)}' target='_blank'>{html.escape(text)}</a>"
                  f"<span>2024-01-15</span></li>" for href, text, title in items)
    return chrome("政府信息公开年报", f"<ul class='list'>{lis}</ul><div class='page'>{pager}</div>",
                  charset=charset, script=script)


def report_page(truth: ReportTruth) -> str:
    """A report page carrying the report as HTML (the samplegen page's body inside the site's chrome)."""
    inner = render_html.render_page(truth)
    body = inner.split("<body>", 1)[1].rsplit("</body>", 1)[0]
    return chrome(truth.title, f"<div class='article'>{body}</div>")


def attachment_page(title: str, href: str, name: str) -> str:
    return chrome(title, f"<h1>{html.escape(title)}</h1><div class='article'><p>{html.escape(title)}详见附件。</p>"
                         f"<p>附件：<a href='{href}'>{html.escape(name)}</a></p></div>")


def notice_page() -> str:
    return chrome("关于做好2023年度政府信息公开工作年度报告编制发布工作的通知",
                  "<p>各区县人民政府、市政府各部门：请于1月31日前完成年度报告的编制和发布。</p>")


# -- the bureau site --------------------------------------------------------------------------------------

@dataclass
class BureauSite:
    server: SiteServer
    offsite: SiteServer  # a host outside the registry (an off-registry redirect points here)
    reports: dict[str, ReportTruth]  # path on the site -> the report published there
    listing_url: str
    disallowed_path: str
    notice_path: str
    expected_reports: set[tuple[str, int]]  # (agency, year) that a fetch + ingest must load


def truths(seed: int = 11) -> dict[str, ReportTruth]:
    rng = random.Random(seed)
    police = next(a for a in AGENCIES if a.sector == "公安")
    other = next(a for a in AGENCIES if a is not police)
    out = {}
    prev = None
    for year in (2019, 2020, 2021, 2022, 2023):
        prev = generate_truth(police, year, rng=rng, prev=prev)
        out[f"police-{year}"] = prev
    out["other-2023"] = generate_truth(other, 2023, rng=rng)
    out["other-2022"] = generate_truth(other, 2022, rng=rng)  # behind robots.txt: never fetched
    return out


def build_bureau_site(server: SiteServer, offsite: SiteServer, *, with_pdf: bool = True, seed: int = 11) -> BureauSite:
    t = truths(seed)
    r = server.routes
    gbk = "text/html; charset=gb2312"
    disallowed = "/private/2023/t20230301_7.html"
    notice = "/gk/tzgg/202312/t20231201_9.html"

    def rep(key: str) -> tuple[str, str]:
        title = t[key].title
        return (title[:14] + "…", title)  # a CMS list: the text cut short, the title attribute whole

    r["/robots.txt"] = Route(b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    # Listing page 1 (GBK, like many county and city portals), with a TRS pager and 下一页 / 尾页.
    pager1 = "<a href='index_1.html'>下一页</a> <a href='index_2.html'>尾页</a>"
    trs = "<script>createPageHTML(3, 0, \"index\", \"html\");</script>"
    items1 = [("../ndbg/202401/t20240115_1.html", *rep("police-2023")),
              ("/gk/tzgg/202312/t20231201_9.html", "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知",
               "关于做好2023年度政府信息公开工作年度报告编制发布工作的通知"),
              ("202301/t20230110_2.html", *rep("police-2022"))]
    r["/gk/ndbg/index.html"] = Route(listing(items1, pager1, charset="gb2312", script=trs).encode("gbk"),
                                     content_type=gbk, last_modified=True)
    pager2 = "<a href='index.html'>上一页</a> <a href='index_2.html'>下一页</a> <a href='index_2.html'>尾页</a>"
    items2 = [("202201/t20220112_3.html", *rep("police-2021")),
              ("P020210120512.pdf" if with_pdf else "202101/t20210120_4.html", *rep("police-2020")),
              (disallowed, *rep("other-2022")),
              ("/gk/ndbg/missing.html", "2018年度政府信息公开工作年报", "2018年度政府信息公开工作年报")]
    r["/gk/ndbg/index_1.html"] = Route(listing(items2, pager2).encode(), last_modified=True, etag=False)
    pager3 = "<a href='index.html'>首页</a> <a href='index_1.html'>上一页</a>"
    items3 = [("/gk/ndbg/slow.html", "2017年政府信息公开工作年度报告", "2017年政府信息公开工作年度报告"),
              ("/gk/ndbg/moved.html", *rep("other-2023")),
              ("/gk/ndbg/away.html", "2016年政府信息公开工作年度报告", "2016年政府信息公开工作年度报告"),
              ("/gk/ndbg/P_gone.pdf", "2015年政府信息公开工作年度报告.pdf", "2015年政府信息公开工作年度报告"),
              ("/gk/ndbg/flaky.html", *rep("police-2019")),
              (offsite.url("/other/t2014.html"), "2014年政府信息公开工作年度报告", "")]  # another site's report
    r["/gk/ndbg/index_2.html"] = Route(listing(items3, pager3).encode())

    # Report pages.
    r["/gk/ndbg/202401/t20240115_1.html"] = Route(report_page(t["police-2023"]).encode("gbk"), content_type=gbk)
    ext = "pdf" if with_pdf else "docx"
    pdf_href = f"/gk/ndbg/202301/P020230110.{ext}"
    r["/gk/ndbg/202301/t20230110_2.html"] = Route(attachment_page(t["police-2022"].title, pdf_href,
                                                                  f"{t['police-2022'].title}.{ext}").encode())
    if with_pdf:
        r[pdf_href] = Route(render_pdf.render(t["police-2022"]), content_type="application/octet-stream")
        r["/gk/ndbg/P020210120512.pdf"] = Route(render_pdf.render(t["police-2020"]), content_type="application/pdf",
                                                last_modified=True, etag=False)
    else:  # no CJK font for PDFs here: the same structure with DOCX and HTML
        r[pdf_href] = Route(render_docx.render(t["police-2022"]), content_type="application/octet-stream")
        r["/gk/ndbg/202101/t20210120_4.html"] = Route(report_page(t["police-2020"]).encode())
    docx_href = "/gk/ndbg/202201/P020220112.docx"
    r["/gk/ndbg/202201/t20220112_3.html"] = Route(attachment_page(t["police-2021"].title, docx_href,
                                                                  t["police-2021"].title + ".docx").encode())
    r[docx_href] = Route(render_docx.render(t["police-2021"]),
                         content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    r[disallowed] = Route(report_page(t["other-2022"]).encode())
    r[notice] = Route(notice_page().encode())
    r["/gk/ndbg/slow.html"] = Route(report_page(t["police-2019"]).encode(), delay=1.5)
    r["/gk/ndbg/moved.html"] = Route(status=301, location="/gk/ndbg/202402/t20240201_5.html")
    r["/gk/ndbg/202402/t20240201_5.html"] = Route(report_page(t["other-2023"]).encode())
    r["/gk/ndbg/away.html"] = Route(status=302, location=offsite.url("/elsewhere/report.pdf"))
    offsite.routes["/elsewhere/report.pdf"] = Route(b"%PDF-1.4 not ours", content_type="application/pdf")
    r["/gk/ndbg/P_gone.pdf"] = Route(chrome("页面不存在", "<p>您访问的页面不存在或已被删除</p>").encode())
    r["/gk/ndbg/flaky.html"] = Route(report_page(t["police-2019"]).encode(), fail_first=1)

    expected = {(t[k].agency.name, t[k].year) for k in
                ("police-2023", "police-2022", "police-2021", "police-2020", "police-2019", "other-2023")}
    return BureauSite(server, offsite, t, server.url("/gk/ndbg/index.html"), disallowed, notice, expected)
