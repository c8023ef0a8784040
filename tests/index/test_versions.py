"""Versions and withdrawals in the index, from real extractions of report pages as portals serve them."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from archive.index.figures import update_figures
from archive.index.store import IndexStore, document_row
from archive.index.versions import changes, normalised_paragraphs, update_versions, update_withdrawn
from crawler.demo.build import Site, trs_article
from crawler.demo.reports import as_html, make_report
from extract.document import document

URL = "http://127.0.0.2/zwgk/ndbg/202501/t20250120_1.html"
HEADERS = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[IndexStore]:
    store = IndexStore(tmp_path / "index.db")
    yield store
    store.close()


def _site() -> Site:
    return Site("t", "新昌县人民政府", "浙江省", "绍兴市", "新昌县", "trs", "utf-8", "/")


def _page(paragraph: str, permits: int | None = None, counter: str = "126") -> bytes:
    report = make_report("新昌县人民政府", 2024, 42)
    if permits is not None:
        row = next(i for i, r in enumerate(report.article20) if r[1] == "行政许可")
        report.article20[row] = (*report.article20[row][:2], str(permits), *report.article20[row][3:])
    body = as_html(report) + f"<p>{paragraph}</p>"
    page = trs_article(_site(), report.title, body, "2025-01-20", "政府信息公开年报")
    return page.replace('<span id="count">126</span>', f'<span id="count">{counter}</span>').encode()


def _capture(store: IndexStore, body: bytes | None, when: str, run: str, status: int = 200,
             url: str = URL) -> None:
    capture_id = store.conn.execute(
        "insert into captures (run_id, url, status, fetched_at, record_type, payload_digest) values (?, ?, ?, ?, ?, ?)",
        (run, url, status, when, "response", f"sha1:{hash(body)}")).lastrowid
    assert capture_id is not None
    if body is not None:
        doc = document(body, HEADERS, url)
        assert doc.is_report
        store.insert_document(document_row(doc, capture_id, None, "浙江省"))
    store.commit()
    update_figures(store.db)


def test_template_noise_is_no_version_an_edit_is(store: IndexStore) -> None:
    text = "我们在门户网站开设专题专栏，逐项公开实施方案。"
    _capture(store, _page(text), "2026-11-20T03:00:00Z", "r1")
    _capture(store, _page(text, counter="9001").replace(b"\xe7\xab\x99\xe5\x86\x85\xe6\x90\x9c\xe7\xb4\xa2",
                                                        "站点导航".encode()), "2026-11-21T03:00:00Z", "r2")
    assert update_versions(store.conn) == 1, "first capture only: the template changed, the report did not"
    permits = int(next(r for r in make_report("新昌县人民政府", 2024, 42).article20 if r[1] == "行政许可")[2])
    edited = text.replace("逐项", "按月")
    _capture(store, _page(edited, permits + 5), "2026-11-22T03:00:00Z", "r3")
    _capture(store, _page(edited, permits + 5, counter="9100"), "2026-11-23T03:00:00Z", "r4")
    assert update_versions(store.conn) == 1
    [change] = changes(store.conn)
    assert change["version"] == 2 and change["previous_fetched_at"] == "2026-11-20T03:00:00Z"
    assert {"op": "changed", "old": text, "new": edited} in change["diff"]
    assert [(f["row"], f["column"], f["old"], f["new"]) for f in change["figures"]] == [
        ("行政许可", "本年处理决定数量", permits, permits + 5)]
    assert changes(store.conn, since="2026-11-23") == []


def test_counters_inside_the_body_are_chrome() -> None:
    assert normalised_paragraphs("发布时间：2025-01-20 浏览次数：126\n一、总体情况\n\n规章\t3\t\t2") == [
        "发布时间：2025-01-20", "一、总体情况", "规章 | 3 | | 2"]


def _withdrawn(store: IndexStore) -> list[str]:
    update_withdrawn(store.conn)
    return [url for (url,) in store.conn.execute("select url from withdrawn")]


def test_two_nights_of_404_withdraw_a_report_other_failures_never(store: IndexStore) -> None:
    _capture(store, _page("正文。"), "2026-11-20T03:00:00Z", "r1")
    _capture(store, None, "2026-11-21T03:00:00Z", "r2", status=404)
    assert _withdrawn(store) == []
    for night, status in ((22, 503), (23, 412), (24, 521)):  # a server error and anti-bot answers
        _capture(store, None, f"2026-11-{night}T03:00:00Z", f"r{night}", status=status)
    assert _withdrawn(store) == [], "answers that say nothing about the report are not nights of 404"
    _capture(store, None, "2026-11-25T03:00:00Z", "r25", status=410)
    assert _withdrawn(store) == [URL]
    row = store.conn.execute("select last_ok_at, first_gone_at, gone_status from withdrawn").fetchone()
    assert row == ("2026-11-20T03:00:00Z", "2026-11-21T03:00:00Z", 410)
    assert store.conn.execute("select count(*) from documents where url = ?", (URL,)).fetchone()[0] == 1, "kept"
    _capture(store, _page("正文。"), "2026-11-26T03:00:00Z", "r26")
    assert _withdrawn(store) == [], "back again"


def test_two_404s_in_one_run_are_one_night(store: IndexStore) -> None:
    _capture(store, _page("正文。"), "2026-11-20T03:00:00Z", "r1")
    _capture(store, None, "2026-11-21T03:00:00Z", "r2", status=404)
    _capture(store, None, "2026-11-21T03:05:00Z", "r2", status=404)  # a retry within the same crawl
    assert _withdrawn(store) == []


def test_sqlite_connection_is_enough(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "empty.db")
    conn.executescript("create table documents (id integer primary key, url text, text text, capture_id integer, "
                       "is_report integer, error text, agency text, year integer, title text);"
                       "create table captures (id integer primary key, url text, status integer, run_id text, "
                       "fetched_at text); create table report_figures (document_id integer, section text, "
                       "row_label text, col_label text, value real);")
    assert update_versions(conn) == 0 and update_withdrawn(conn) == 0 and changes(conn) == []
    conn.close()


def _timely_corpus(tmp_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path / "t.db")
    conn.executescript(
        "create table documents (id integer primary key, url text, province text, agency text, year integer, "
        "kind text, published text, parent_id integer, is_report integer);"
        "create table captures (id integer primary key, url text, status integer, fetched_at text);")
    docs = [  # (agency, year, kind, published, parent, url)
        ("新昌县人民政府", 2017, "html", "2018-03-30", None, "a"),  # before 2019: 31 March for all
        ("新昌县人民政府", 2019, "html", "2020-02-20", None, "b"),  # a government: by 31 March
        ("新昌县人民政府", 2020, "pdf", "2021-04-02", None, "c"),  # only a PDF: its own date, late
        ("德清县应急管理局", 2019, "html", "2020-02-20", None, "d"),  # a department: by 31 January
        ("德清县应急管理局", 2020, "html", "", None, "e"),  # no date anywhere: its first capture
        ("德清县应急管理局", 2021, "html", "", None, "f"),
    ]
    conn.executemany("insert into documents (agency, year, kind, published, parent_id, url, province, is_report) "
                     "values (?, ?, ?, ?, ?, ?, '浙江省', 1)", docs)
    conn.executemany("insert into captures (url, status, fetched_at) values (?, 200, ?)",
                     [("e", "2021-01-10T03:00:00Z"), ("f", "2022-06-01T03:00:00Z")])
    conn.commit()
    return conn


def test_late_and_missing_against_article_49(tmp_path: Path) -> None:
    from datetime import date

    from archive.index.timeliness import timeliness

    conn = _timely_corpus(tmp_path)
    rows = {(r["agency"][:2], r["year"]): r for r in timeliness(conn, today=date(2023, 2, 15))}
    conn.close()
    assert rows[("新昌", 2017)]["status"] == "on_time" and rows[("新昌", 2018)]["status"] == "missing"
    assert rows[("新昌", 2019)]["status"] == "on_time"
    late = rows[("新昌", 2020)]
    assert (late["status"], late["published_source"], late["days_late"]) == ("late", "file", 2)
    assert rows[("新昌", 2021)]["status"] == "missing"
    assert ("新昌", 2022) not in rows, "due 31 March 2023: not yet"
    assert rows[("德清", 2019)]["status"] == "late" and rows[("德清", 2019)]["deadline"] == "2020-01-31"
    assert (rows[("德清", 2020)]["status"], rows[("德清", 2020)]["published_source"]) == ("on_time", "first-capture")
    assert rows[("德清", 2021)]["status"] == "undated", "first seen after its deadline: not proof it was late"
    assert rows[("德清", 2022)]["status"] == "missing", "due 31 January 2023"


def test_re_extraction_of_the_latest_version_is_no_edit(store: IndexStore) -> None:
    _capture(store, _page("正文。"), "2026-11-20T03:00:00Z", "r1")
    update_versions(store.conn)
    # An older extractor had stored a hash of worse text; the document now holds the newer extraction.
    store.conn.execute("update versions set text_hash = 'stale'")
    _capture(store, _page("正文。", counter="999"), "2026-11-21T03:00:00Z", "r2")
    assert update_versions(store.conn) == 0
    assert store.conn.execute("select count(*) from versions where text_hash = 'stale'").fetchone()[0] == 0
