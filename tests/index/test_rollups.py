"""Schema 5's and 6's rollups: `report_years`, `agency_reports` and `names` always equal what aggregating the
documents gives — after direct writes, updates and deletes, after `nianbao index` from the WARCs, after
re-extraction and after the migration of a schema-4 or schema-5 index — and the coverage counts read from
them equal the cell-by-cell rule."""

from __future__ import annotations

import logging
import random
import sqlite3
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from archive.db import connect
from archive.index.build import build_index
from archive.index.rollups import AGENCY_REPORTS_QUERY, REPORT_YEARS_QUERY, update_names
from archive.index.schema import SCHEMA_VERSION, open_index
from archive.index.search import spellings_of
from archive.serve.coverage import cells_of, coverage
from archive.serve.deadlines import is_government, status
from archive.warc.writer import Exchange, WarcWriter

PROVINCES = ("浙江省", "廣東省", "广东省", None)
AGENCIES = ("德清县应急管理局", "德清县人民政府", "乾元镇人民政府", "遂溪縣財政局", "遂溪县财政局", "", None)
PUBLISHED = ("2024-01-20", "2024-03-30", "2023-02-30", "2024-04-31", "", None, "2022-12-01T08:00:00")


def _stored(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return sorted(conn.execute("select * from report_years").fetchall(), key=repr)


def _computed(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return sorted(conn.execute(REPORT_YEARS_QUERY).fetchall(), key=repr)


def _agencies_stored(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    return sorted(conn.execute("select * from agency_reports").fetchall(), key=repr)


def _agencies_computed(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    """Each agency's dated reports, grouped from the documents themselves (not from report_years)."""
    return sorted(conn.execute(f"select province, agency, count(*), total(first_day is null), "
                               "total(on_time_government), total(on_time_department), min(year), max(year) from "
                               f"({REPORT_YEARS_QUERY}) where year is not null group by province, agency").fetchall(),
                  key=repr)


def _random_row(rng: random.Random, doc_id: int) -> tuple[object, ...]:
    return (doc_id, rng.choice(AGENCIES), rng.choice(PROVINCES), rng.choice((2021, 2022, 2023, None)),
            rng.choice(PUBLISHED), rng.choice(("html", "pdf", "docx", None)), rng.choice((0, 1, 1, 1)))


def test_report_years_follow_every_write_to_documents(tmp_path: Path) -> None:
    rng = random.Random(5)
    db = open_index(tmp_path / "index.db")
    conn = db.conn
    for doc_id in range(1, 201):
        conn.execute("insert into documents (id, agency, province, year, published, kind, is_report) "
                     "values (?, ?, ?, ?, ?, ?, ?)", _random_row(rng, doc_id))
    assert _stored(conn) == _computed(conn) and len(_stored(conn)) > 30
    assert _agencies_stored(conn) == _agencies_computed(conn) and len(_agencies_stored(conn)) > 15
    for _ in range(300):  # re-extraction, moves between agencies and years, copies removed
        doc_id = rng.randint(1, 200)
        action = rng.random()
        if action < 0.3:
            conn.execute("delete from documents where id = ?", (doc_id,))
        elif action < 0.6:
            column, values = rng.choice((("year", (2021, 2022, None)), ("published", PUBLISHED),
                                         ("kind", ("html", "pdf")), ("is_report", (0, 1)),
                                         ("agency", AGENCIES), ("province", PROVINCES)))
            conn.execute(f"update documents set {column} = ? where id = ?", (rng.choice(values), doc_id))
        else:
            conn.execute("insert or replace into documents (id, agency, province, year, published, kind, is_report) "
                         "values (?, ?, ?, ?, ?, ?, ?)", _random_row(rng, doc_id))
        assert _stored(conn) == _computed(conn), action
        assert _agencies_stored(conn) == _agencies_computed(conn), action
    assert sorted(conn.execute(AGENCY_REPORTS_QUERY).fetchall(), key=repr) == _agencies_stored(conn)
    conn.close()


def _report_page(agency: str, year: int, published: str) -> bytes:
    from crawler.demo.build import Site, trs_article
    from crawler.demo.reports import as_html, make_report

    report = make_report(agency, year, year)
    site = Site("t", agency, "浙江省", "湖州市", "德清县", "trs", "utf-8", "/")
    return trs_article(site, report.title, as_html(report), published, "政府信息公开年报").encode("utf-8")


def _archive(tmp_path: Path) -> Path:
    """A WARC of report pages: two agencies (one in a traditional-script province) over three years."""
    archive = tmp_path / "archive"
    writer = WarcWriter(archive / "warc", worker="test")
    n = 0
    for agency, province in (("德清县应急管理局", "浙江省"), ("遂溪縣財政局", "廣東省")):
        for year in (2021, 2022, 2023):
            n += 1
            body = _report_page(agency, year, f"{year + 1}-0{1 + n % 3}-15")
            exchange = Exchange(url=f"http://127.0.0.2/{n}.html", method="GET", request_target=f"/{n}.html",
                                request_headers=[("Host", "127.0.0.2")], request_body=b"", status=200, reason="OK",
                                protocol="HTTP/1.1", response_headers=[("Content-Type", "text/html; charset=utf-8"),
                                                                       ("Content-Length", str(len(body)))], body=body)
            writer.write(writer.exchange_records(exchange, {"role": "report", "agency": agency, "province": province,
                                                            "run_id": "test"}))
    writer.close()
    return archive


def test_nianbao_index_builds_the_rollups_from_the_warcs_and_keeps_them_through_reextraction(tmp_path: Path) -> None:
    archive = _archive(tmp_path)
    build_index(archive, progress=False, workers=1)
    with connect(archive / "index.db") as conn:
        first = _stored(conn)
        assert first == _computed(conn)
        assert [(r[1], r[3]) for r in first].count(("廣東省", 2022)) == 1 and len(first) == 6
        assert conn.execute("select count(*) from names where simplified is null").fetchone()[0] == 0
        assert conn.execute("select simplified from names where kind = 'province' and stored = '廣東省'"
                            ).fetchone()[0] == "广东省"
        conn.execute("update documents set extractor_version = 0")  # an older extractor: read again
    report = build_index(archive, progress=False, workers=1)
    assert report.reextracted == 6
    with connect(archive / "index.db") as conn:
        assert _stored(conn) == _computed(conn) == first
    build_index(archive, progress=False, workers=1, rebuild=True)
    with connect(archive / "index.db") as conn:
        assert _stored(conn) == first


def test_a_schema_4_index_gains_the_rollups_when_opened(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "index.db"
    db = open_index(path)
    rng = random.Random(9)
    for doc_id in range(1, 61):
        db.conn.execute("insert into documents (id, agency, province, year, published, kind, is_report) "
                        "values (?, ?, ?, ?, ?, ?, ?)", _random_row(rng, doc_id))
    expected = _computed(db.conn)
    for name in [r[0] for r in db.conn.execute("select name from sqlite_master where type = 'trigger'")]:
        db.conn.execute(f"drop trigger {name}")
    db.conn.executescript("drop table report_years; drop table names; drop table agency_reports; "
                          "update meta set value = '4' where key = 'schema_version';")
    db.conn.close()
    with caplog.at_level(logging.WARNING, logger="archive.index.schema"):
        db = open_index(path)
    assert any("schema 5" in r.getMessage() for r in caplog.records)
    assert SCHEMA_VERSION == 6
    assert _stored(db.conn) == expected
    assert _agencies_stored(db.conn) == _agencies_computed(db.conn) != []
    db.conn.execute("delete from documents where id in (select main_id from report_years limit 3)")
    assert _stored(db.conn) == _computed(db.conn)  # the triggers came with it
    assert _agencies_stored(db.conn) == _agencies_computed(db.conn)
    db.conn.close()


def test_a_schema_5_index_gains_agency_reports_when_opened(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "index.db"
    db = open_index(path)
    rng = random.Random(11)
    for doc_id in range(1, 81):
        db.conn.execute("insert into documents (id, agency, province, year, published, kind, is_report) "
                        "values (?, ?, ?, ?, ?, ?, ?)", _random_row(rng, doc_id))
    report_years = _stored(db.conn)
    for name in ("agency_reports_insert", "agency_reports_delete", "agency_reports_update"):
        db.conn.execute(f"drop trigger {name}")
    db.conn.executescript("drop table agency_reports; update meta set value = '5' where key = 'schema_version';")
    db.conn.close()
    with caplog.at_level(logging.WARNING, logger="archive.index.schema"):
        db = open_index(path)
    assert [r.getMessage().split(": ", 1)[1] for r in caplog.records] == [
        "schema 6: agency_reports filled from the documents (kept by triggers from now)"]
    assert _stored(db.conn) == report_years
    assert _agencies_stored(db.conn) == _agencies_computed(db.conn) != []
    db.conn.execute("update documents set year = 2023 where id in (select main_id from report_years limit 5)")
    assert _agencies_stored(db.conn) == _agencies_computed(db.conn)
    db.conn.close()


def test_names_match_either_script_before_and_after_the_update_fills_them(tmp_path: Path) -> None:
    db = open_index(tmp_path / "index.db")
    db.conn.execute("insert into documents (id, agency, province) values (1, '遂溪縣財政局', '廣東省'), "
                    "(2, '遂溪县财政局', '广东省'), (3, '德清县财政局', '浙江省')")
    db.conn.commit()
    before = spellings_of(db.conn, "agency", "遂溪县财政局"), spellings_of(db.conn, "province", "廣東省")
    update_names(db.conn)
    after = spellings_of(db.conn, "agency", "遂溪县财政局"), spellings_of(db.conn, "province", "廣東省")
    assert before == after == (["遂溪县财政局", "遂溪縣財政局"], ["广东省", "廣東省"])
    db.conn.close()


def _reference(conn: sqlite3.Connection, agencies: list[tuple[str, str]], years: list[int], today: date,
               levels: dict[tuple[str, str], str], access: dict[tuple[str, str], str]
               ) -> dict[tuple[str, str, int], tuple[str, int | None]]:
    """Every cell by the rule itself, from the documents grouped as the page grouped them before schema 5."""
    held = {(r[0] or "", r[1] or "", int(r[2])): (r[3] or "", int(r[4])) for r in conn.execute(
        "select province, agency, year, min(nullif(published, '')), "
        "coalesce(min(case when kind = 'html' then id end), min(id)) from documents "
        "where is_report = 1 and year is not null group by province, agency, year")}
    cells = {}
    for prov, agency in agencies:
        reach = access.get((prov, agency), "")
        reach = "blocked" if reach and reach != "unreachable" else reach
        government = is_government(agency, levels.get((prov, agency), ""))
        for year in years:
            published, doc = held.get((prov, agency, year), ("", None))
            cells[(prov, agency, year)] = (status(year, government, published, doc is not None, reach, today), doc)
    return cells


@pytest.mark.parametrize("today", [date(2024, 1, 15), date(2024, 2, 15), date(2024, 6, 1)])
def test_coverage_counts_equal_the_cell_by_cell_rule(tmp_path: Path, today: date) -> None:
    rng = random.Random(today.toordinal())
    db = open_index(tmp_path / "index.db")
    names = [f"{county}{kind}" for county in ("德清县", "遂溪縣", "西秀区", "乾元镇")
             for kind in ("人民政府", "应急管理局", "財政局", "")]
    for n, name in enumerate(names):
        province = ("浙江省", "廣東省", "贵州省")[n % 3]
        db.conn.execute("insert into agencies (agency, province, city, url) values (?, ?, '某市', ?)",
                        (name, province, f"http://127.0.0.{n + 2}/"))
        if n % 4:  # most seeds answered
            db.conn.execute("insert into captures (url, status) values (?, 200)", (f"http://127.0.0.{n + 2}/",))
    db.conn.execute("insert into runs (id, stats) values ('r', ?)", ('{"blocked": {"http://127.0.0.6/": "ruishu"}}',))
    for doc_id in range(1, 241):
        n = rng.randrange(len(names))
        db.conn.execute("insert into documents (id, agency, province, year, published, kind, is_report) "
                        "values (?, ?, ?, ?, ?, ?, ?)",
                        (doc_id, names[n], ("浙江省", "廣東省", "贵州省")[n % 3], rng.choice((2019, 2021, 2022, 2023)),
                         rng.choice(("2023-01-20", "2023-03-30", "2024-01-31", "2024-02-01", "2024-03-31", "2023-04-31",
                                     "", None)), rng.choice(("html", "pdf")), rng.choice((0, 1, 1))))
    # reports on the current year or later (a wrong year, mostly): one agency with others, one with only such
    db.conn.execute("insert into documents (id, agency, province, year, published, kind, is_report) values "
                    f"(300, ?, '浙江省', {today.year}, '{today.year}-01-02', 'html', 1), "
                    f"(301, '新设局', '浙江省', {today.year + 1}, '', 'pdf', 1)", (names[0],))
    db.conn.commit()
    levels = {("浙江省", names[3]): "government", ("廣東省", names[1]): "department"}
    db.conn.row_factory = sqlite3.Row  # as the pages read
    for province, simplified in (("", False), ("广东省", False), ("", True), ("广东省", True)):
        if simplified:  # names simplified by the index update (before it, the pages simplify them)
            update_names(db.conn)
        data = coverage(db.conn, province, today, "", levels)
        cells_of(db.conn, data, data.agencies, today)
        expected = _reference(db.conn, data.agencies, data.years, today, levels, data.access)
        assert data.cells == expected
        counts: dict[str, Counter[str]] = {}
        for (prov, _agency, _year), (state, _doc) in expected.items():
            counts.setdefault(prov, Counter())[state] += 1
        assert data.counts == counts
    assert len(data.agencies) >= 5 and data.years[0] == 2019
    by_rollup = [coverage(db.conn, province, today, "", levels) for province in ("", "广东省", "浙江省")]
    assert ("浙江省", "新设局") in by_rollup[0].agencies and by_rollup[2].counts["浙江省"]
    db.conn.execute("drop table agency_reports")  # as an index made before schema 6 reads
    assert [coverage(db.conn, province, today, "", levels) for province in ("", "广东省", "浙江省")] == by_rollup
    db.conn.close()


def _reports_with_figures(path: Path) -> Any:
    """An index of six report documents (two agencies, an HTML page and a PDF copy of one year) with the
    figures the index update parses from them."""
    from archive.index.figures import update_figures
    from crawler.demo.reports import as_lines, make_report

    db = open_index(path)
    rows = [(1, "德清县应急管理局", "浙江省", 2022, "html"), (2, "德清县应急管理局", "浙江省", 2023, "html"),
            (3, "德清县应急管理局", "浙江省", 2023, "pdf"), (4, "德清縣財政局", "浙江省", 2023, "html"),
            (5, "德清县财政局", "浙江省", 2022, "html"), (6, "遂溪县财政局", "廣東省", 2023, "html")]
    for doc_id, agency, province, year, kind in rows:
        text = "\n".join(as_lines(make_report(agency, year, doc_id)))
        db.conn.execute("insert into documents (id, agency, province, year, kind, is_report, text) values "
                        "(?, ?, ?, ?, ?, 1, ?)", (doc_id, agency, province, year, kind, text))
    update_figures(db)
    return db


def _headlines(conn: sqlite3.Connection) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    from archive.index.figures import HEADLINE_CELLS
    from archive.index.headlines import headlines_query

    stored = sorted(conn.execute("select * from headline_figures").fetchall(), key=repr)
    return stored, sorted(conn.execute(headlines_query(HEADLINE_CELLS)).fetchall(), key=repr)


def test_figures_series_reads_headline_figures_else_the_headline_index(tmp_path: Path) -> None:
    from archive.serve.figures import series

    db = _reports_with_figures(tmp_path / "index.db")
    plan: list[str] = []
    db.conn.set_trace_callback(plan.append)
    got = series(db.conn, "province", "浙江省")
    db.conn.set_trace_callback(None)
    assert [q for q in plan if "headline_figures" in q] and not [q for q in plan if "report_figures" in q]
    received = {doc: db.conn.execute("select value from report_figures where document_id = ? and section = '三' and "
                                     "row_label = '一、本年新收政府信息公开申请数量' and col_label = '总计'",
                                     (doc,)).fetchone()[0] for doc in (2, 3, 4)}
    # the 2023 report of 德清县应急管理局 counts once (its largest copy), plus 德清縣財政局's
    assert got[2023]["依申请公开 收到申请"] == max(received[2], received[3]) + received[4]
    for name in ("headline_figures_insert", "headline_figures_delete", "headline_documents_insert",
                 "headline_documents_delete", "headline_documents_update"):
        db.conn.execute(f"drop trigger {name}")
    db.conn.execute("drop table headline_figures")  # as an index made before it reads
    sql = str(db.conn.execute("select sql from sqlite_master where name = 'report_figures_headline'").fetchone()[0])
    assert "where" in sql.lower()
    plan.clear()
    db.conn.set_trace_callback(plan.append)
    assert series(db.conn, "province", "浙江省") == got
    db.conn.set_trace_callback(None)
    [query] = [q for q in plan if "report_figures" in q]
    steps = " ".join(str(r[3]) for r in db.conn.execute("explain query plan " + query))
    assert "report_figures_headline" in steps
    db.conn.close()


def test_headline_figures_follow_every_write_to_documents_and_figures(tmp_path: Path) -> None:
    from archive.index.figures import HEADLINE_CELLS

    rng = random.Random(3)
    db = _reports_with_figures(tmp_path / "index.db")
    conn = db.conn
    stored, computed = _headlines(conn)
    assert stored == computed and len(stored) == 5 * 5
    for _ in range(150):
        doc_id, action = rng.randint(1, 8), rng.random()
        if action < 0.15:
            conn.execute("delete from documents where id = ?", (doc_id,))
        elif action < 0.45:
            column, values = rng.choice((("year", (2022, 2023, None)), ("is_report", (0, 1)),
                                         ("agency", ("德清县应急管理局", "德清县财政局", None)),
                                         ("province", ("浙江省", "廣東省", None))))
            conn.execute(f"update documents set {column} = ? where id = ?", (rng.choice(values), doc_id))
        elif action < 0.6:
            conn.execute("insert or replace into documents (id, agency, province, year, kind, is_report) values "
                         "(?, ?, '浙江省', ?, 'pdf', 1)", (doc_id, rng.choice(("德清县应急管理局", "德清县财政局")),
                                                           rng.choice((2022, 2023))))
        elif action < 0.8:
            conn.execute("delete from report_figures where rowid in (select rowid from report_figures where "
                         "document_id = ? and section in ('三', '四') order by random() limit 40)", (doc_id,))
        else:
            section, row, col = rng.choice(HEADLINE_CELLS)
            conn.execute("insert into report_figures (document_id, section, row_label, col_label, value) values "
                         "(?, ?, ?, ?, ?)", (doc_id, section, row, col, rng.choice((0, 7, 300, None))))
        stored, computed = _headlines(conn)
        assert stored == computed, action
    assert stored
    conn.close()


def test_figures_parsed_on_the_workers_equal_those_parsed_in_process(tmp_path: Path) -> None:
    """The index update parses the reports' statistics on its extraction workers, in batches."""
    tables = ("report_figures", "report_checks", "report_sections", "report_parses")
    results = []
    for workers in (1, 2):
        archive = _archive(tmp_path / str(workers))
        build_index(archive, progress=False, workers=workers)
        with connect(archive / "index.db") as conn:
            results.append({t: conn.execute(f"select * from {t} order by rowid").fetchall() for t in tables})
    assert results[0] == results[1]
    assert len(results[0]["report_parses"]) == 6 and len(results[0]["report_figures"]) > 600


def _vm_steps(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> int:
    """SQLite virtual-machine instructions (in hundreds) one statement and its triggers run."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    conn.set_progress_handler(count, 100)
    conn.execute(sql, params)
    conn.set_progress_handler(None, 100)
    return steps[0]


def test_adding_a_report_and_its_figures_costs_the_same_in_a_crowded_agency_year(tmp_path: Path) -> None:
    """An agency-year with a wrong agency or year can gather thousands of documents: the rollups take a new
    report and its figures in place instead of re-reading the whole group at each insert."""
    from archive.index.figures import HEADLINE_CELLS, ensure_schema

    db = open_index(tmp_path / "index.db")
    ensure_schema(db)
    insert = ("insert into documents (id, agency, province, year, published, kind, is_report) values "
              "(?, '某县人民政府', '浙江省', 2023, ?, ?, 1)")
    figure = "insert into report_figures (document_id, section, row_label, col_label, value) values (?, ?, ?, ?, ?)"
    costs = []
    for doc_id in range(1, 2001):
        params = (doc_id, f"2024-0{1 + doc_id % 9}-15", ("html", "pdf")[doc_id % 2])
        steps = _vm_steps(db.conn, insert, params)
        steps += sum(_vm_steps(db.conn, figure, (doc_id, *cell, doc_id % 97)) for cell in HEADLINE_CELLS)
        if doc_id in (50, 2000):
            costs.append(steps)
    assert costs[1] < 2 * costs[0], costs
    stored, computed = _headlines(db.conn)
    assert stored == computed and _stored(db.conn) == _computed(db.conn)
    db.conn.close()
