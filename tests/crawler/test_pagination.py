"""Each pagination style on pages written the way real portals write them."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, unquote, urlsplit

from crawler.pagination import (
    cdata_links,
    hanweb_proxy_requests,
    hanweb_records,
    jpaas_html,
    jpaas_params,
    jpaas_request,
    trs_dynamic_pages,
    trs_pages,
)
from crawler.scoring import score_link
from tests.conftest import FIXTURES

HANWEB_LIST = """<div id="4891"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=3305&path=/&columnid=1230&unitid=4891&webname=%E5%BE%B7%E6%B8%85%E5%8E%BF&permissiontype=0"></a>]]></nextgroup>
<recordset><record><![CDATA[<li><a href="/art/2025/1/10/art_1230_5001.html" title="德清县应急管理局2024年政府信息公开工作年度报告" target="_blank">德清县应急管理局2024年政府信息...</a><span>2025-01-10</span></li>]]></record>
<record><![CDATA[<li><a href="/art/2024/1/11/art_1230_5002.html" title="德清县应急管理局2023年政府信息公开工作年度报告">德清县应急管理局2023年...</a></li>]]></record>
</recordset></datastore></script></div>
<script language="javascript" src="/module/web/jpage/jpage.js"></script>
<script>var jpage = new JPage({ perPage: 15, totalRecord: 100, proxyUrl: "/module/web/jpage/dataproxy.jsp",
 unitid: "4891", col: 1, appid: 1, webid: 3305, path: "/", columnid: 1230, sourceContentType: 1,
 webname: "德清县", permissiontype: 0 });</script>"""


def test_trs_create_page_html_on_a_real_list() -> None:
    html = (FIXTURES / "samples" / "07_ordos_egb_xxgknb_list_trs.html").read_text(encoding="utf-8")
    url = "http://www.ordos.gov.cn/egb/xxgk/xxgknb/index.html"
    assert [p.url for p in trs_pages(url, html, cap=50)] == ["http://www.ordos.gov.cn/egb/xxgk/xxgknb/index_1.html"]


def test_trs_create_page_html_call_and_cap() -> None:
    html = '<script>createPageHTML(12, 0, "index", "shtml");</script>'
    pages = trs_pages("http://x.gov.cn/zwgk/zfxxgknb/", html, cap=5)
    assert [p.url.rsplit("/", 1)[1] for p in pages] == [
        "index_1.shtml",
        "index_2.shtml",
        "index_3.shtml",
        "index_4.shtml",
    ]
    assert trs_pages("http://x.gov.cn/a/index_3.shtml", html.replace(", 0,", ", 3,"), cap=50) == []  # only from page 1
    article = 'createPageHTML(1, 0, "t20190918_693227", "shtml")'
    assert trs_pages("http://x.gov.cn/a/t20190918_693227.shtml", article, cap=50) == []


def test_hanweb_inline_records_and_dataproxy_posts() -> None:
    records = hanweb_records(HANWEB_LIST)
    assert records[0] == ("/art/2025/1/10/art_1230_5001.html", "德清县应急管理局2024年政府信息公开工作年度报告")
    posts = hanweb_proxy_requests("http://yjj.deqing.gov.cn/col/col1230/index.html", HANWEB_LIST, cap=50)
    starts = [parse_qs(urlsplit(p.url).query)["startrecord"][0] for p in posts]
    assert starts == ["16", "61"] and all(p.method == "POST" for p in posts)
    form = parse_qs(posts[0].body.decode())
    assert form["columnid"] == ["1230"] and form["unitid"] == ["4891"] and form["webid"] == ["3305"]
    assert unquote(form["webname"][0]) == "德清县"
    assert parse_qs(urlsplit(posts[-1].url).query)["endrecord"] == ["100"]
    assert len(hanweb_proxy_requests("http://x/col/col1/index.html", HANWEB_LIST, cap=2)) == 1


def test_dataproxy_answer_links() -> None:
    xml = (
        "<?xml version='1.0' encoding='utf-8'?><datastore><totalrecord>100</totalrecord><recordset>"
        "<record><![CDATA[<li><a href='/art/2020/1/1/art_1230_1.html' title='某县2019年政府信息公开工作年度报告'>x</a></li>]]></record>"
        "</recordset></datastore>"
    )
    assert cdata_links(xml) == [("/art/2020/1/1/art_1230_1.html", "某县2019年政府信息公开工作年度报告")]


def test_jpaas_endpoint_and_answer() -> None:
    page = """<script src="/jpaas-publish-server/static/js/build.js"></script><script>
      var webId = '7a1b2c'; var tplSetId = 'tpl52'; var pageId = 'pg9001'; var tagId = '当前栏目列表';
      loadPageData({ pageSize: 20 });</script>"""
    values, size = jpaas_params(page)  # type: ignore[misc]
    request = jpaas_request("http://www.zj.gov.cn/col/col1229/index.html", values, 2, size)
    query = parse_qs(urlsplit(request.url).query)
    assert urlsplit(request.url).path == "/api-gateway/jpaas-publish-server/front/page/build/unit"
    assert json.loads(query["paramJson"][0]) == {"pageNo": 2, "pageSize": 20}
    assert query["webId"] == ["7a1b2c"] and query["pageId"] == ["pg9001"] and query["pageType"] == ["column"]
    answer = json.dumps(
        {"code": 200, "data": {"html": "<li><a href='/art/1.html'>某局2023年政府信息公开工作年度报告</a></li>"}}
    )
    assert "<a href='/art/1.html'>" in jpaas_html(answer)
    assert jpaas_html("<html>not json</html>") == ""


def test_next_page_and_query_pagination_links_are_followed_on_lists_only() -> None:
    for text, url in (("下一页", "http://x.gov.cn/zwgk/ndbg/index_2.html"),
                      ("下页", "http://x.gov.cn/InfoPublic.aspx?cid=12&page=3"),
                      ("3", "http://x.gov.cn/iList.jsp?node_id=5&cur_page=3")):
        decision = score_link(url, text, "list")
        assert decision.role == "list" and decision.reason.startswith("pagination"), (text, decision)
    assert score_link("http://x.gov.cn/news/index_2.html", "下一页", "column").role == "drop"


def test_trs_dynamic_list_tries_the_static_page_names_for_what_it_declares() -> None:
    from extract.list_detect import ListExtent

    extent = ListExtent(shown=10, declared=35, form="trs-dynamic", per_page=10, static_pages=1)
    pages = trs_dynamic_pages("http://www.xx.gov.cn/zwgk/zfxxgknb/index.htm", extent, cap=50)
    assert [(p.url.rsplit("/", 1)[1], p.page) for p in pages] == [
        ("index_1.htm", 2), ("index_2.htm", 3), ("index_3.htm", 4)]
    assert len(trs_dynamic_pages("http://www.xx.gov.cn/zwgk/zfxxgknb/", extent, cap=3)) == 2  # capped
    assert trs_dynamic_pages("http://www.xx.gov.cn/zwgk/zfxxgknb/index_1.htm", extent, cap=50) == []
    complete = extent._replace(shown=35)
    assert trs_dynamic_pages("http://www.xx.gov.cn/zwgk/zfxxgknb/index.htm", complete, cap=50) == []
