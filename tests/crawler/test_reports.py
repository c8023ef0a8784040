"""The `reports` spider on saved responses of each CMS family (city-scrapers' habit): `parse` on the bytes
and headers a portal sent, asserting the requests and items it yields. Fixtures: tests/fixtures/pages/
(`python -m tests.fixtures.pages.make` re-saves them)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.http import Headers
from scrapy.resolver import CachingThreadedResolver
from scrapy.responsetypes import responsetypes
from scrapy.utils.test import get_crawler
from twisted.internet import defer

from archive.warc.reader import iter_captures, warc_files
from crawler.seeds import Seed
from crawler.spiders.reports import Nav, ReportsSpider
from crawler.urls import host_key

PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"


def saved_response(name: str, role: str, agency: str = "某机关") -> scrapy.http.Response:
    """The saved page `name` as Scrapy hands it to the spider, requested as `role` from its own site."""
    folder = PAGES / name
    saved = json.loads((folder / "response.json").read_text(encoding="utf-8"))
    body = (folder / "body.bin").read_bytes()
    headers = Headers()
    for key, value in saved["headers"]:
        headers.appendlist(key, value)
    url = saved["url"]
    provenance = {"seed": url, "agency": agency, "province": "", "city": "", "county": "", "via": "",
                  "link_text": "", "hop_path": "L", "role": role, "reason": "test", "run_id": "t"}
    request = scrapy.Request(url, meta={"nianbao": provenance, "nav": Nav(role=role, allowed=(host_key(url),))})
    cls = responsetypes.from_args(headers=headers, url=url, body=body)
    return cls(url=url, status=saved["status"], headers=headers, body=body, request=request)


def spider() -> ReportsSpider:
    crawler = get_crawler(ReportsSpider, settings_dict={"NIANBAO_RUN_ID": "t"})
    seed = Seed(agency="某机关", province="", city="", county="", url="http://127.0.0.2/")
    return ReportsSpider.from_crawler(crawler, seeds=[seed])


def parse(name: str, role: str) -> tuple[ReportsSpider, list[scrapy.Request], list[dict[str, Any]]]:
    reports_spider = spider()
    out = list(reports_spider.parse(saved_response(name, role)))
    return (reports_spider, [r for r in out if isinstance(r, scrapy.Request)],
            [i for i in out if isinstance(i, dict)])


def by_role(requests: list[scrapy.Request]) -> dict[str, set[str]]:
    roles: dict[str, set[str]] = {}
    for request in requests:
        roles.setdefault(request.meta["nav"].role, set()).add(request.url)
    return roles


def test_trs_list_in_gbk_yields_its_reports_and_next_page_never_lookalikes() -> None:
    _, requests, items = parse("trs_gbk_list", "list")
    roles = by_role(requests)
    assert not items
    assert "http://127.0.0.2/zwgk/zfxxgknb/index_1.html" in roles["list"]  # createPageHTML(3, 0, …)
    assert {"http://127.0.0.2/zwgk/zfxxgknb/202401/t20240115_600000.html",
            "http://127.0.0.2/zwgk/zfxxgknb/202301/t20230116_600001.html"} <= roles["report"]
    titles = {r.meta["nianbao"]["link_text"] for r in requests}
    assert "西秀区2023年法治政府建设年度报告" not in titles  # a look-alike, never requested as anything
    assert all(r.meta["nianbao"]["via"] == "http://127.0.0.2/zwgk/zfxxgknb/" for r in requests)
    page = next(r for r in requests if r.url.endswith("index_1.html"))
    assert page.meta["nav"].page == 2 and page.meta["nianbao"]["hop_path"] == "LP"


def test_trs_report_article_is_an_item_and_its_pdf_an_attachment_request() -> None:
    _, requests, items = parse("trs_gbk_report_with_pdf", "report")
    [item] = items
    assert item["role"] == "report" and item["year"] == 2022 and item["is_report"]
    assert "安顺市西秀区人民政府2022年政府信息公开工作年度报告" in item["title"]
    [pdf] = requests
    assert pdf.url == "http://127.0.0.2/zwgk/zfxxgknb/202301/P0202301201.pdf"
    assert pdf.meta["nav"].role == "attachment" and pdf.meta["nianbao"]["hop_path"] == "LE"


def test_hanweb_datastore_records_are_followed_and_the_proxy_pages_posted() -> None:
    _, requests, _ = parse("hanweb_datastore_list", "list")
    roles = by_role(requests)
    assert "http://127.0.0.3/art/2025/1/10/art_1230_5001.html" in roles["report"]
    posts = [r for r in requests if r.method == "POST"]
    assert posts and all("dataproxy.jsp" in r.url for r in posts)
    assert b"columnid=1230" in posts[0].body and posts[0].meta["nav"].role == "list"
    assert not any("工作总结" in r.meta["nianbao"]["link_text"] for r in requests)


def test_real_trs_list_pages_on_and_takes_reports_not_news() -> None:
    _, requests, _ = parse("trs_real_list_ordos", "list")
    roles = by_role(requests)
    assert "http://egb.ordos.gov.cn/xxgk/xxgknb/index_1.html" in roles["list"]  # var countPage = 2
    reports = roles.get("report", set()) | roles.get("candidate", set())
    assert len(reports) >= 5 and all("/xxgk/xxgknb/20" in url for url in reports)


def test_real_jpaas_list_takes_the_articles_its_script_carries() -> None:
    """A 2025 JPaaS column renders its list client-side from `articleList` JSON: no <a> in the page."""
    from crawler.pagination import jpaas_article_list

    body = (PAGES / "jpaas_real_list_jiangxi" / "body.bin").read_text(encoding="utf-8")
    articles = dict(jpaas_article_list(body))
    assert len(articles) >= 15
    assert articles["/jxssthjt/col/col42150/content/content_1951206363677671424.html"] == \
        "《江西省生态环境分类执法监管办法》政策解读"
    _, requests, _ = parse("jpaas_real_list_jiangxi", "list")
    followed = {r.url.removeprefix("http://sthjt.jiangxi.gov.cn") for r in requests if "/content/" in r.url}
    assert followed and followed <= set(articles)  # what its scoring takes of them, as for any list


@pytest.mark.parametrize("role", ["seed", "list"])
def test_ruishu_challenge_is_recorded_as_blocked_and_nothing_followed(role: str) -> None:
    reports_spider, requests, items = parse("ruishu_challenge", role)
    assert requests == [] and items == []
    assert reports_spider.blocked == {"http://127.0.0.7/": "ruishu"}
    assert reports_spider.seed_ok == set()


def test_trs_dynamic_list_tries_its_static_pages_and_records_its_root() -> None:
    """A TRS 动静结合 list shows 10 of the 20 reports its script declares: index_1.htm is asked for the rest,
    as a page of the same list."""
    reports_spider, requests, _ = parse("trs_dynamic_list", "list")
    roles = by_role(requests)
    assert len(roles["report"]) == 10
    [page] = [r for r in requests if r.meta["nav"].role == "list"]
    assert page.url == "http://www.xx.gov.cn/zwgk/zfxxgknb/index_1.htm"
    assert page.meta["nianbao"]["list_root"] == "http://www.xx.gov.cn/zwgk/zfxxgknb/index.htm"
    assert all("list_root" not in r.meta["nianbao"] for r in requests if r is not page)
    assert reports_spider.crawler.stats.get_value("nianbao/lists_declaring_more/trs-dynamic") == 1


# --- crawls of a loopback portal -------------------------------------------------------------------------

REPORT_PATH = "/zwgk/zfxxgknb/202501/t20250110_7001.htm"
PDF_PATH = "/zwgk/zfxxgknb/202501/P020250110512345678901.pdf"
LIST_PATH = "/zwgk/zfxxgknb/index.htm"


def _report_pdf(text: str) -> bytes:
    """A report PDF with a real text layer, as agencies export them."""
    import io

    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, invariant=1)
    pdf.setFont("STSong-Light", 11)
    for number, line in enumerate(text.split("\n")):
        pdf.drawString(40, 800 - 14 * number, line)
    pdf.save()
    return out.getvalue()


def _html(title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="ArticleTitle" content="{title}">'
            f"<title>{title}</title></head><body>{body}</body></html>").encode()


def _trs_dynamic_list() -> bytes:
    """Two reports static, four declared by the list2.trsapi script; index_1.htm does not exist."""
    title = "某县人民政府{}年政府信息公开工作年度报告"
    items = "".join(f'<li><a href="{href}" title="{title.format(year)}">{title.format(year)[:16]}...</a></li>'
                    for href, year in [("." + REPORT_PATH.removeprefix("/zwgk/zfxxgknb"), 2024),
                                       ("./202401/t20240112_6001.htm", 2023)])
    script = ('<script>require(["list2.trsapi", "jquery"], function (trsapi, $) { trsapi.listModel({'
              'maxStaticIndex: 1, listArgs: {channelid: 4617, classsql: "chnlid=4617"}, '
              "pagebar: {prepage: 2, recordCount: '4'}}); });</script>")
    return _html("政府信息公开年报", f'<ul id="list">{items}</ul>{script}')


class _Portal:
    """A county portal whose report page answers 304 to its ETag while its PDF is replaced."""

    def __init__(self) -> None:
        self.pdf_version = 1
        self.requests: list[tuple[str, str]] = []  # (path, If-None-Match)

    def answer(self, path: str, if_none_match: str) -> tuple[int, list[tuple[str, str]], bytes]:
        self.requests.append((path, if_none_match))
        html = [("Content-Type", "text/html; charset=utf-8")]
        if path == "/":
            return 200, html, _html("某县人民政府", '<a href="/zwgk/">政府信息公开</a>')
        if path == "/zwgk/":
            return 200, html, _html("政府信息公开", f'<a href="{LIST_PATH}">政府信息公开年报</a>')
        if path == LIST_PATH:
            return 200, html, _trs_dynamic_list()
        if path == REPORT_PATH:
            etag = '"report-1"'
            if if_none_match == etag:
                return 304, [("ETag", etag)], b""
            pdf = PDF_PATH.rsplit("/", 1)[1]  # linked relative, as TRS writes it
            body = _html("某县人民政府2024年政府信息公开工作年度报告",
                         f'<div class="TRS_Editor"><p>附件：<a href="{pdf}">2024年年报.pdf</a></p></div>')
            return 200, [*html, ("ETag", etag)], body
        if path == PDF_PATH:
            etag = f'"pdf-{self.pdf_version}"'
            if if_none_match == etag:
                return 304, [("ETag", etag)], b""
            text = f"某县人民政府2024年政府信息公开工作年度报告\n（第{self.pdf_version}版）"
            return 200, [("Content-Type", "application/pdf"), ("ETag", etag)], _report_pdf(text)
        return 404, html, _html("404", "页面不存在")


@pytest.fixture
def portal() -> Iterator[tuple[str, _Portal]]:
    state = _Portal()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            status, headers, body = state.answer(self.path, self.headers.get("If-None-Match") or "")
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _crawl(seeds: Path, archive: Path, *extra: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--seeds", str(seeds), "--archive", str(archive), *extra,
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=0"],
        capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-4000:]


def _seeds(tmp_path: Path, portal: str) -> Path:
    seeds = tmp_path / "seeds.csv"
    seeds.write_text(f"agency,province,city,county,url,kind\n某县人民政府,某省,某市,某县,{portal}/,\n",
                     encoding="utf-8")
    return seeds


@pytest.mark.e2e
def test_report_answering_304_still_has_its_replaced_pdf_fetched(portal: tuple[str, _Portal],
                                                                  tmp_path: Path) -> None:
    """Night 2: the report page is unchanged (304) but the agency replaced its PDF under the same URL; the
    PDF is asked conditionally from the archived page's link and its new payload archived."""
    url, state = portal
    seeds, archive = _seeds(tmp_path, url), tmp_path / "archive"
    _crawl(seeds, archive)
    first_files = set(warc_files(archive))
    state.pdf_version = 2
    state.requests.clear()
    _crawl(seeds, archive, "--incremental")
    assert (REPORT_PATH, '"report-1"') in state.requests  # the page was asked conditionally: 304
    assert (PDF_PATH, '"pdf-1"') in state.requests  # and its file too, with the file's own validator
    second = [c for path in warc_files(archive) if path not in first_files for c in iter_captures(path)]
    [page] = [c for c in second if c.url == url + REPORT_PATH]
    assert page.status == 304
    [pdf] = [c for c in second if c.url == url + PDF_PATH]
    assert pdf.status == 200 and pdf.record_type == "response" and pdf.header("ETag") == '"pdf-2"'
    assert pdf.provenance["via"] == url + REPORT_PATH and pdf.provenance["role"] == "attachment"


@pytest.mark.e2e
def test_list_declaring_more_than_it_shows_is_recorded_in_its_metadata(portal: tuple[str, _Portal],
                                                                      tmp_path: Path) -> None:
    """The TRS 动静结合 list shows 2 of 4: index_1.htm is tried (404 here), and the list page's metadata
    record says shown 2, declared 4, so the index can tell the list is incomplete."""
    url, state = portal
    archive = tmp_path / "archive"
    _crawl(_seeds(tmp_path, url), archive)
    assert ("/zwgk/zfxxgknb/index_1.htm", "") in state.requests
    captures = {c.url: c for path in warc_files(archive) for c in iter_captures(path)}
    listed = captures[url + LIST_PATH].provenance
    assert (listed["list_shown"], listed["list_declared"], listed["list_form"]) == ("2", "4", "trs-dynamic")
    page = captures[url + "/zwgk/zfxxgknb/index_1.htm"]
    assert page.status == 404 and page.provenance["list_root"] == url + LIST_PATH
    assert "list_shown" not in captures[url + REPORT_PATH].provenance


class LoopbackResolver(CachingThreadedResolver):
    """DNS for the test portals: every *.gov.cn name is 127.0.0.1 (the crawl's DNS_RESOLVER)."""

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> defer.Deferred[str]:
        if name.endswith(".gov.cn"):
            return defer.succeed("127.0.0.1")
        return super().getHostByName(name, timeout)


def _county_sites(port: int) -> dict[tuple[str, str], bytes]:
    """A county portal keeping its 信息公开 platform on xxgk.xx.gov.cn; a department's site and another
    county's portal are linked from its home page too."""
    def at(host: str, path: str = "/") -> str:
        return f"http://{host}:{port}{path}"

    def report(title: str) -> bytes:
        return _html(title, f"<h1>{title}</h1><p>一、总体情况</p>")

    return {
        ("www.xx.gov.cn", "/"): _html("某县人民政府", f'<a href="{at("xxgk.xx.gov.cn")}">政府信息公开</a>'
                                       f'<a href="{at("sthjj.xx.gov.cn")}">县生态环境局信息公开</a>'
                                       f'<a href="{at("www.yy.gov.cn", "/xxgk/")}">政府信息公开</a>'),
        ("xxgk.xx.gov.cn", "/"): _html("某县政府信息公开平台", '<a href="/zfxxgknb/">政府信息公开年报</a>'),
        ("xxgk.xx.gov.cn", "/zfxxgknb/"): _html("政府信息公开年报", "".join(
            f'<li><a href="./202501/t2025011{n}_80{n}.html">{t}</a></li>' for n, t in enumerate(
                ["某县人民政府2024年政府信息公开工作年度报告", "某县教育局2024年政府信息公开工作年度报告"]))),
        ("xxgk.xx.gov.cn", "/zfxxgknb/202501/t20250110_800.html"): report("某县人民政府2024年政府信息公开工作年度报告"),
        ("xxgk.xx.gov.cn", "/zfxxgknb/202501/t20250111_801.html"): report("某县教育局2024年政府信息公开工作年度报告"),
        ("sthjj.xx.gov.cn", "/"): _html("某县生态环境局", '<a href="/xxgk/ndbg/">政府信息公开年报</a>'),
        ("www.yy.gov.cn", "/xxgk/"): _html("另一县", '<a href="/xxgk/ndbg/">政府信息公开年报</a>'),
    }


@pytest.mark.e2e
def test_disclosure_platform_on_a_sibling_host_is_crawled_and_department_sites_are_not(tmp_path: Path) -> None:
    """Seed www.xx.gov.cn: its 信息公开 link leads to xxgk.xx.gov.cn, crawled with why it is in scope; the
    department's site under the same domain and another county are not; the department's report listed on
    the platform is filed under the department."""
    asked: list[tuple[str, str]] = []
    sites: dict[tuple[str, str], bytes] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            host = (self.headers.get("Host") or "").split(":")[0]
            asked.append((host, self.path))
            body = sites.get((host, self.path))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    sites.update(_county_sites(port))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    archive = tmp_path / "archive"
    try:
        _crawl(_seeds(tmp_path, f"http://www.xx.gov.cn:{port}"), archive,
               "-s", f"DNS_RESOLVER={LoopbackResolver.__module__}.LoopbackResolver",
               "-s", "NIANBAO_ALLOW_PRIVATE_ADDRESSES=True")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    hosts = {host for host, path in asked if path != "/robots.txt"}
    assert hosts == {"www.xx.gov.cn", "xxgk.xx.gov.cn"}
    captures = {c.url: c.provenance for path in warc_files(archive) for c in iter_captures(path)}
    base = f"http://xxgk.xx.gov.cn:{port}/zfxxgknb/202501/"
    county, department = captures[base + "t20250110_800.html"], captures[base + "t20250111_801.html"]
    assert county["agency"] == "某县人民政府" and department["agency"] == "某县教育局"
    assert "sibling host xxgk.xx.gov.cn of xx.gov.cn through disclosure navigation" in county["scope"]
    assert "scope" not in captures[f"http://www.xx.gov.cn:{port}/"]


@pytest.mark.e2e
def test_an_incomplete_list_is_shown_on_coverage_never_as_complete(portal: tuple[str, _Portal],
                                                                   tmp_path: Path) -> None:
    """The index keeps the list page's shown/declared sizes (rebuilt from the WARC metadata record), and the
    coverage page names the list as incomplete."""
    from archive.db import connect
    from archive.serve.coverage import coverage_page, incomplete_lists

    url, _state = portal
    archive = tmp_path / "archive"
    _crawl(_seeds(tmp_path, url), archive)
    with connect(archive / "index.db") as conn:
        assert incomplete_lists(conn) == [("某县人民政府", url + LIST_PATH, 2, 4, "trs-dynamic")]
    status, html = coverage_page(archive / "index.db")
    assert status == 200 and "未抓全的报告列表" in html and "2 / 4" in html
