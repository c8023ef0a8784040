"""Reading a fetched page (crawler/pages.py): the links to files of a report page, found without parsing
a page that names no file (issue 16: per-page CPU on real-size pages)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
import scrapy
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from bench.site import CHROME_REAL, REPORT_TEXT_REAL
from crawler.pages import file_links, links_in
from crawler.scoring import is_attachment_url
from crawler.seeds import Seed
from crawler.spiders.reports import Nav, ReportsSpider
from crawler.urls import host_key
from extract.decoding import decode_html

PAGES = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
BASE = "http://www.xixiu.gov.cn/zwgk/zfxxgknb/202401/t20240115_600000.html"


def real_size_report(files: str = "") -> str:
    """A report article built like the portal samples: ~30 KB of report text, inline style and script,
    ~150 links to other government sites (bench/site.py's `real` profile), plus `files`."""
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>西秀区2023年政府信息公开工作年度报告</title>'
            f'</head><body><div class="TRS_Editor"><h1>西秀区2023年政府信息公开工作年度报告</h1>{REPORT_TEXT_REAL}'
            f"{files}</div>{CHROME_REAL}</body></html>")


def attachment_links_by_parsing(html: str) -> list[tuple[str, str]]:
    """What a report page's file links were before the raw-text check: every <a> parsed, then filtered."""
    return links_in(html, BASE, keep=lambda href: is_attachment_url(href.strip()))


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the pages lxml parses (the real parser still runs)."""
    calls: list[int] = []
    parse = lxml.html.fromstring

    def counted(html: str, *args: object, **kwargs: object) -> object:
        calls.append(len(html))
        return parse(html, *args, **kwargs)

    monkeypatch.setattr(lxml.html, "fromstring", counted)
    return calls


def test_a_report_page_without_files_is_not_parsed_for_them(parses: list[int]) -> None:
    html = real_size_report()
    assert len(html.encode()) > 50_000 and html.count("<a ") >= 150  # a real-size page
    assert file_links(html, BASE) == [] == attachment_links_by_parsing(html)
    assert len(parses) == 1  # the one parse is the comparison's, not file_links'


# How portals write their file links, and hrefs that only look like files: each decided as before.
FILE_HREFS = [
    '<a href="/zwgk/P020240115.pdf">附件：2023年年度报告</a>',
    '<a href="./P020240115.PDF" title="西秀区2023年年度报告.PDF">点击下载</a>',
    "<a href='P020240115.docx?version=2'>年度报告（Word）</a>",
    '<a href="P020240115.xlsx#sheet1">统计表</a>',
    '<a href=P020240115.wps>WPS版</a>',
    '<A HREF="P020240115.Et">表格</A>',
    '<a href=" P020240115.ofd　">OFD版</a>',  # surrounding spaces, an ideographic one too
    '<a href="P020240115&#46;pdf">附件</a>',  # a character reference spells the dot
    '<a href="P020240115.p&#100;f">附件</a>',
    '<a href="P020240115&period;zip">附件</a>',
    '<a href="download.jsp?file=report.pdf">附件</a>',  # the path is download.jsp: not a file link
    '<a href="report.pdf.html">网页版</a>',
    '<a href="report.pdf/">目录</a>',
    '<a href="/pdf/index.html">PDF专栏</a>',
    '<a href="report.pdf&amp;v=2">附件</a>',
    '<a href="javascript:window.document.title">文档</a>',
]


@pytest.mark.parametrize("anchor", FILE_HREFS)
def test_file_links_are_the_links_parsing_the_page_finds(anchor: str) -> None:
    html = real_size_report(anchor)
    assert file_links(html, BASE) == attachment_links_by_parsing(html)


def test_file_links_finds_each_file_of_a_report_page() -> None:
    html = real_size_report("".join(FILE_HREFS))
    found = file_links(html, BASE)
    assert [href.strip() for href, _ in found] == [
        "/zwgk/P020240115.pdf", "./P020240115.PDF", "P020240115.docx?version=2", "P020240115.xlsx#sheet1",
        "P020240115.wps", "P020240115.Et", "P020240115.ofd", "P020240115.pdf", "P020240115.pdf",
        "P020240115.zip"]
    assert found[0][1] == "附件：2023年年度报告"


def saved_pages() -> Iterator[Path]:
    yield from sorted(folder for folder in PAGES.iterdir() if (folder / "body.bin").exists())


@pytest.mark.parametrize("folder", list(saved_pages()), ids=lambda folder: folder.name)
def test_file_links_of_saved_portal_pages_are_as_parsed(folder: Path) -> None:
    text = decode_html((folder / "body.bin").read_bytes(), "text/html").text
    assert file_links(text, BASE) == attachment_links_by_parsing(text)


def report_response(html: str, settings: dict[str, object] | None = None) -> tuple[ReportsSpider, HtmlResponse]:
    crawler = get_crawler(ReportsSpider, settings_dict={"NIANBAO_RUN_ID": "t", **(settings or {})})
    spider = ReportsSpider.from_crawler(crawler, seeds=[Seed(agency="西秀区人民政府", province="贵州省", city="安顺市",
                                                             county="西秀区", url="http://www.xixiu.gov.cn/")])
    provenance = {"seed": "http://www.xixiu.gov.cn/", "agency": "西秀区人民政府", "province": "贵州省", "city": "",
                  "county": "", "via": "http://www.xixiu.gov.cn/zwgk/zfxxgknb/", "link_text": "", "hop_path": "LLL",
                  "role": "report", "reason": "test", "run_id": "t"}
    request = scrapy.Request(BASE, meta={"nianbao": provenance, "nav": Nav(role="report", allowed=(host_key(BASE),))})
    response = HtmlResponse(BASE, body=html.encode(), headers={"Content-Type": "text/html; charset=utf-8"},
                            request=request)
    return spider, response


def test_the_spider_reads_a_real_size_report_page_without_parsing_it(parses: list[int]) -> None:
    spider, response = report_response(real_size_report())
    out = list(spider.parse(response))
    assert [item["title"] for item in out] == ["西秀区2023年政府信息公开工作年度报告"]
    assert parses == []


def test_the_spider_follows_the_files_of_a_real_size_report_page(parses: list[int]) -> None:
    spider, response = report_response(real_size_report('<a href="/zwgk/P020240115.pdf">附件：年度报告</a>'))
    requests = [r for r in spider.parse(response) if isinstance(r, scrapy.Request)]
    assert [r.url for r in requests] == ["http://www.xixiu.gov.cn/zwgk/P020240115.pdf"]
    assert requests[0].meta["nav"].role == "attachment" and len(parses) == 1


class _Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.mark.parametrize(("level", "built"), [("INFO", False), ("DEBUG", True)])
def test_the_spiders_debug_lines_are_built_only_at_log_level_debug(level: str, built: bool) -> None:
    """Scrapy leaves the root logger at NOTSET: a logger.debug nobody shows still built its record."""
    kept = _Kept()
    logger = logging.getLogger("crawler.spiders.reports")
    level_before = logger.level
    logger.addHandler(kept)
    logger.setLevel(logging.NOTSET)
    root_level = logging.root.level
    logging.root.setLevel(logging.NOTSET)  # as Scrapy's root handler leaves it
    try:
        spider, response = report_response(real_size_report('<a href="P020240115.pdf">附件</a>'), {"LOG_LEVEL": level})
        assert len([r for r in spider.parse(response) if isinstance(r, scrapy.Request)]) == 1
    finally:
        logger.removeHandler(kept)
        logger.setLevel(level_before)
        logging.root.setLevel(root_level)
    assert bool([r for r in kept.records if r.levelno == logging.DEBUG]) is built
