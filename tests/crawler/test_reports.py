"""The `reports` spider on saved responses of each CMS family (city-scrapers' habit): `parse` on the bytes
and headers a portal sent, asserting the requests and items it yields. Fixtures: tests/fixtures/pages/
(`python -m tests.fixtures.pages.make` re-saves them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import scrapy
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.test import get_crawler

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
