"""An aggregation page (a province listing every agency's reports) leads only to gov.cn report columns."""

from __future__ import annotations

from typing import Any

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from crawler.seeds import Seed
from crawler.spiders.reports import Nav, ReportsSpider

PAGE = """<html><head><meta charset="utf-8"><title>政府信息公开年报_广东省人民政府</title></head><body>
<ul class="list">
<li><a href="http://www.gz.gov.cn/zwgk/ndbg/">广州市人民政府政府信息公开工作年度报告</a></li>
<li><a href="http://www.sz.gov.cn/cn/xxgk/zfxxgj/zfxxgknb/">深圳市政府信息公开年度报告</a></li>
<li><a href="http://gdee.gd.gov.cn/zfxxgknb/">广东省生态环境厅政府信息公开年报</a></li>
<li><a href="http://www.example.com/zwgk/ndbg/">某公司信息公开年度报告</a></li>
<li><a href="http://www.gz.gov.cn.example.net/zwgk/ndbg/">广州市信息公开年度报告</a></li>
<li><a href="/zwgk/ndbg/202401/t20240120_1.html">广东省人民政府2023年政府信息公开工作年度报告</a></li>
</ul></body></html>"""


def _spider(settings: dict[str, Any] | None = None) -> ReportsSpider:
    crawler = get_crawler(ReportsSpider, settings_dict={"NIANBAO_RUN_ID": "t", **(settings or {})})
    seed = Seed(agency="广东省人民政府", province="广东省", city="", county="", url="https://www.gd.gov.cn/zwgk/ndbg/",
                kind="aggregator")
    return ReportsSpider.from_crawler(crawler, seeds=[seed])


def _followed(spider: ReportsSpider) -> set[str]:
    url = "https://www.gd.gov.cn/zwgk/ndbg/"
    provenance = {"seed": url, "agency": "广东省人民政府", "province": "广东省", "city": "", "county": "", "via": "",
                  "link_text": "", "hop_path": "", "role": "list", "reason": "seed", "run_id": "t"}
    request = Request(
        url, meta={"nianbao": provenance, "nav": Nav(role="list", allowed=("gd.gov.cn",), aggregator=True)}
    )
    response = HtmlResponse(url, body=PAGE.encode("utf-8"), encoding="utf-8", request=request)
    links = [(a.attrib["href"], a.css("::text").get()) for a in response.css("a")]
    return {r.url for r in spider._follow_links(response, links, "list")}


def test_aggregator_follows_gov_cn_report_columns_only() -> None:
    followed = _followed(_spider())
    assert {"http://www.gz.gov.cn/zwgk/ndbg/", "http://www.sz.gov.cn/cn/xxgk/zfxxgj/zfxxgknb/",
            "http://gdee.gd.gov.cn/zfxxgknb/", "https://www.gd.gov.cn/zwgk/ndbg/202401/t20240120_1.html"} <= followed
    assert not any("example" in url for url in followed)


@pytest.mark.parametrize(("patterns", "allowed"), [
    ("*.gov.cn", {"www.gz.gov.cn", "www.sz.gov.cn", "gdee.gd.gov.cn"}),
    ("*.gd.gov.cn", {"gdee.gd.gov.cn"}),
    ("*.gov.cn,www.example.com", {"www.gz.gov.cn", "www.sz.gov.cn", "gdee.gd.gov.cn", "www.example.com"}),
])
def test_aggregator_hosts_setting(patterns: str, allowed: set[str]) -> None:
    from urllib.parse import urlsplit

    followed = _followed(_spider({"NIANBAO_AGGREGATOR_HOSTS": patterns}))
    other_hosts = {urlsplit(url).hostname for url in followed} - {"www.gd.gov.cn"}
    assert other_hosts == allowed
