"""List pages whose script declares more items than the page shows, on the forms real CMSs write."""

from __future__ import annotations

from extract.list_detect import ListExtent, detect_list
from tests.conftest import FIXTURES

PAGES = FIXTURES / "pages"
SAMPLES = FIXTURES / "samples"


def test_trs_dynamic_list_shows_ten_of_the_twenty_it_declares() -> None:
    html = (PAGES / "trs_dynamic_list" / "body.bin").read_bytes().decode("gbk")
    extent = detect_list(html)
    assert extent == ListExtent(shown=10, declared=20, form="trs-dynamic", per_page=10, static_pages=1)
    assert extent.incomplete
    shown, declared, form, *_ = extent
    assert (shown, declared, form) == (10, 20, "trs-dynamic")


def test_real_jpaas_column_counts_its_article_list_against_its_own_article_count() -> None:
    """sthjt.jiangxi.gov.cn: 50 articles in `articleList`, the column (col42150) holds 444; the parent
    column's and the siblings' `articleCount`s are not this list's."""
    extent = detect_list((SAMPLES / "06_sthjt_jiangxi_gov_list_jpaas.html").read_text(encoding="utf-8"))
    assert extent is not None
    assert (extent.shown, extent.declared, extent.form, extent.per_page) == (50, 444, "jpaas", 15)


def test_hanweb_jpage_counts_inline_records_against_total_record() -> None:
    extent = detect_list((PAGES / "hanweb_datastore_list" / "body.bin").read_text(encoding="utf-8"))
    assert extent is not None and extent.form == "hanweb-jpage"
    assert extent.shown == 3 and extent.declared == 8 and extent.incomplete


def test_hanweb_list_all_inline_is_complete() -> None:
    html = ('<div id="4891"><script type="text/xml"><datastore><recordset>'
            '<record><![CDATA[<li><a href="/art/2025/1/10/art_1230_5001.html">2024年报告</a></li>]]></record>'
            '</recordset></datastore></script></div><script>new JPage({perPage: 15, totalRecord: 1});</script>')
    extent = detect_list(html)
    assert extent is not None and not extent.incomplete


def test_static_lists_and_articles_declare_nothing() -> None:
    assert detect_list((SAMPLES / "07_ordos_egb_xxgknb_list_trs.html").read_text(encoding="utf-8")) is None
    assert detect_list((SAMPLES / "01_shanxi_gov_article_trs.html").read_text(encoding="utf-8")) is None
    assert detect_list('<script>require(["list2.trsapi"], function () {});</script>') is None  # no count


def test_hanweb_dataproxy_answer_counts_its_records() -> None:
    """The POSTed dataproxy.jsp answer: records 46–90 of a 100-record column (so the pages the crawl
    reached add up to what the column declares)."""
    records = "".join(f'<record><![CDATA[<li><a href="/art/2020/1/{n % 28 + 1}/art_1230_{n}.html">报告{n}</a></li>]]>'
                      "</record>" for n in range(46, 91))
    xml = f'<?xml version="1.0" encoding="UTF-8"?><datastore><totalrecord>100</totalrecord><recordset>{records}' \
          "</recordset></datastore>"
    extent = detect_list(xml)
    assert extent is not None and (extent.shown, extent.declared, extent.form) == (45, 100, "hanweb-jpage")
