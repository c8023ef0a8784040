"""Link scoring, URL canonicalisation and the private-address rule."""

from __future__ import annotations

import pytest

from crawler.scoring import disclosure_target, is_attachment_url, score_link
from crawler.urls import canonical_url, host_key, in_scope, is_private_host, own_domain, sibling_host


@pytest.mark.parametrize(
    ("url", "text", "page_role", "role"),
    [
        ("http://x.gov.cn/zwgk/", "政府信息公开", "seed", "column"),
        ("http://x.gov.cn/zwgk/zfxxgknb/", "政府信息公开年报", "column", "list"),
        ("http://x.gov.cn/col/col1230/index.html", "信息公开年度报告", "column", "list"),
        ("http://x.gov.cn/zwgk/ndbg/", "年度报告", "column", "list"),
        (
            "http://x.gov.cn/zwgk/zfxxgknb/202401/t20240115_1.html",
            "某县2023年政府信息公开工作年度报告",
            "list",
            "report",
        ),
        (
            "http://x.gov.cn/zwgk/zfxxgknb/202001/P020200116.pdf",
            "某县2019年政府信息公开工作年度报告",
            "list",
            "attachment",
        ),
        ("http://x.gov.cn/files/a.docx", "附件1", "report", "attachment"),
        ("http://x.gov.cn/files/a.docx", "附件1", "list", "drop"),
        ("http://x.gov.cn/zwgk/zfxxgknb/202402/t1.html", "某县2023年法治政府建设年度报告", "list", "drop"),
        (
            "http://x.gov.cn/zwgk/zfxxgknb/202402/t2.html",
            "关于做好2023年政府信息公开工作年度报告编制工作的通知",
            "list",
            "drop",
        ),
        ("http://x.gov.cn/zwgk/zfxxgknb/202402/t3.html", "《2023年政府信息公开工作年度报告》解读", "list", "drop"),
        # articles in a report list whose link text does not say "report": their own page decides
        ("http://x.gov.cn/zwgk/zfxxgknb/202402/t20240205_9.html", "某县2023年政府信息公开工...", "list", "candidate"),
        ("http://x.gov.cn/zwgk/zfxxgknb/202402/t20240205_8.html", "县政府召开政务公开工作推进会", "list", "candidate"),
        ("http://x.gov.cn/art/2024/2/5/art_1229_88.html", "县政府召开政务公开工作推进会", "list", "candidate"),
        ("http://x.gov.cn/zwgk/zfxxgknb/index_1.html", "2", "list", "list"),
        (
            "http://x.gov.cn/zwgk/zfxxgknb/202402/t20240205_8.html",
            "县政府召开政务公开工作推进会",
            "column",
            "candidate",
        ),
        ("http://x.gov.cn/zwgk/zcwj/202402/t20240205_7.html", "县政府召开全县安全生产工作会议", "column", "drop"),
        ("http://x.gov.cn/search/search.jsp?q=年报", "站内搜索", "seed", "drop"),
        ("http://x.gov.cn/calendar/", "日程日历", "seed", "drop"),
        ("http://x.gov.cn/print.jsp?id=1", "打印", "report", "drop"),
    ],
)
def test_link_decisions(url: str, text: str, page_role: str, role: str) -> None:
    decision = score_link(url, text, page_role)
    assert decision.role == role, decision
    assert decision.reason


def test_canonical_urls() -> None:
    assert canonical_url("HTTP://WWW.X.gov.cn:80/a/b.html;jsessionid=ABC?utm_source=wx&id=3#top") == \
        "http://www.x.gov.cn/a/b.html?id=3"
    assert canonical_url("http://x.gov.cn") == "http://x.gov.cn/"
    assert host_key("http://www.x.gov.cn/a") == host_key("http://x.gov.cn/b")


def test_private_hosts() -> None:
    assert is_private_host("127.0.0.2") and is_private_host("10.1.2.3") and is_private_host("169.254.1.1")
    assert not is_private_host("8.8.8.8")


def test_private_address_guard_refuses_unless_the_seed_is_private() -> None:
    from scrapy import Request
    from scrapy.exceptions import IgnoreRequest
    from scrapy.utils.test import get_crawler

    from crawler.middlewares import PrivateAddressGuard
    from crawler.spiders.reports import ReportsSpider

    crawler = get_crawler(ReportsSpider, {"NIANBAO_ALLOW_PRIVATE_ADDRESSES": False})
    guard = PrivateAddressGuard(crawler)
    public_seed = Request("http://127.0.0.2/intranet/", meta={"nianbao": {"seed": "http://8.8.8.8/"}})
    with pytest.raises(IgnoreRequest):
        guard.process_request(public_seed)
    loopback_seed = Request("http://127.0.0.2/zwgk/", meta={"nianbao": {"seed": "http://127.0.0.5/"}})
    guard.process_request(loopback_seed)  # allowed: no IgnoreRequest (it returns None either way)
    guard.process_request(Request("http://8.8.8.8/", meta={"nianbao": {"seed": "http://8.8.8.8/"}}))


def test_list_links_take_the_whole_title_when_the_text_is_cut() -> None:
    from crawler.pages import links_in

    html = """<ul>
    <li><a href="./202401/t20240120_1.html" title="德清县应急管理局2023年政府信息公开工作年度报告">德清县应急管理局2023年政府信息公开工...</a></li>
    <li><a href="./202301/t20230120_2.html" title="在新窗口打开">德清县应急管理局2022年政府信息公开工作年度报告</a></li>
    <li><a href="./202201/t20220120_3.html" title="德清县应急管理局2021年政府信息公开工作年度报告">详情</a></li>
    </ul><div class="page"><a href="index_1.html" title="第2页">2</a><a href="index_1.html" title="下一页">&gt;</a></div>"""
    assert links_in(html, "http://x.gov.cn/zfxxgknb/") == [
        ("./202401/t20240120_1.html", "德清县应急管理局2023年政府信息公开工作年度报告"),
        ("./202301/t20230120_2.html", "德清县应急管理局2022年政府信息公开工作年度报告"),
        ("./202201/t20220120_3.html", "德清县应急管理局2021年政府信息公开工作年度报告"),
        ("index_1.html", "2"), ("index_1.html", ">")]


@pytest.mark.parametrize(("url", "expected"), [
    ("http://xxgk.xixiu.gov.cn/", ("host xxgk", "")),  # the county's 信息公开 platform: the whole host
    ("https://zwgk.gz.gov.cn/index.html", ("host zwgk", "")),
    ("http://sthjj.gz.gov.cn/zwgk/zfxxgk/index.html", ("path zwgk", "/zwgk/")),  # that column and below only
    ("http://jyj.xixiu.gov.cn/xxgknb/", ("path xxgknb", "/xxgknb/")),
    ("http://sthjj.gz.gov.cn/", ("", "")),  # a department's home page is not disclosure navigation
    ("http://sthjj.gz.gov.cn/xwdt/index.html", ("", "")),
])
def test_disclosure_target_by_host_label_or_column_path(url: str, expected: tuple[str, str]) -> None:
    assert disclosure_target(url) == expected


def test_sibling_hosts_are_under_the_seeds_own_domain_not_its_registrable_one() -> None:
    assert own_domain("http://www.xixiu.gov.cn/") == "xixiu.gov.cn"
    assert own_domain("http://www.gov.cn/") == "www.gov.cn"  # gov.cn is a public suffix
    assert own_domain("http://127.0.0.2:8080/") == ""
    assert sibling_host("http://xxgk.xixiu.gov.cn/", "http://www.xixiu.gov.cn/")
    assert sibling_host("http://sthjj.gz.gov.cn/zwgk/", "http://www.gz.gov.cn/")
    # a department seed owns its own host only: the city's portal and the other departments are not its siblings
    assert not sibling_host("http://www.gz.gov.cn/zwgk/", "http://sthjj.gz.gov.cn/")
    assert not sibling_host("http://jyj.gz.gov.cn/zwgk/", "http://sthjj.gz.gov.cn/")
    assert not sibling_host("http://xixiu.gov.cn/zwgk/", "http://www.xixiu.gov.cn/")  # the same site
    assert not sibling_host("http://xxgk.xixiu.gov.cn:8080/", "http://www.xixiu.gov.cn/")
    assert not sibling_host("http://www.anshun.gov.cn/", "http://www.xixiu.gov.cn/")


def test_a_sibling_reached_through_its_column_path_is_in_scope_below_that_path_only() -> None:
    allowed = ("sthjj.gz.gov.cn/zwgk/", "gz.gov.cn")
    assert in_scope("http://sthjj.gz.gov.cn/zwgk/ndbg/index.html", allowed)
    assert not in_scope("http://sthjj.gz.gov.cn/xwdt/index.html", allowed)
    assert in_scope("http://www.gz.gov.cn/anything", allowed)


@pytest.mark.parametrize("href", [
    "http://www.xixiu.gov.cn/zwgk/", "https://XIXIU.gov.cn:8443/a", "http://xxgk.xixiu.gov.cn/ndbg/",
    "http://www.gov.cn/", "http://sthjj.gz.gov.cn/x", "HTTP://www.example.com/?q=1#f", "http://user@evil.cn/",
    "/zwgk/ndbg/", "./t20240115_1.html", "//cdn.example.com/a.js", "http://[::1]:8000/", "mailto:x@y.cn",
])
def test_the_string_scope_check_agrees_with_the_parsing_one(href: str) -> None:
    """Out-of-scope hrefs are dropped on the string; it must never drop what the full check keeps."""
    from urllib.parse import urljoin

    from crawler.spiders.reports import _elsewhere
    from crawler.urls import host_key, own_domain, quick_host_key, sibling_host

    seed = "http://www.xixiu.gov.cn/"
    sites, domain = {host_key(seed)}, own_domain(seed)
    absolute = urljoin(seed, href)
    kept = host_key(absolute) in sites or sibling_host(absolute, seed)
    if _elsewhere(href, sites, domain):
        assert not kept, href
    key = quick_host_key(href)
    assert key is None or key == host_key(href), href


def test_attachment_check_reads_raw_hrefs() -> None:
    assert is_attachment_url("./P020240115.PDF?v=2#page=1") and is_attachment_url("/a/b/报告.docx")
    assert not is_attachment_url("/zwgk/pdf/index.html") and not is_attachment_url("/a.pdf/view")
