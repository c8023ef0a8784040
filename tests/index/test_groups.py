"""Report groups: a page and its attachment, and the same report on an aggregator, are one report."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlite_utils

from archive.index.figures import ensure_schema
from archive.index.groups import report_unit, update_report_groups
from archive.index.schema import open_index

COUNTY = "某县人民政府"
TITLE = "某县人民政府2024年政府信息公开工作年度报告"


def _report(db: sqlite_utils.Database, doc_id: int, title: str, *, year: int | None = 2024, parent: int | None = None,
            figures: int = 0, checks_ok: int = 0, unplaced: str = "[]", agency: str = COUNTY,
            is_report: int = 1) -> None:
    db.table("documents").insert({"id": doc_id, "url": f"http://www.xx.gov.cn/d/{doc_id}", "agency": agency,
                                  "year": year, "title": title, "title_simplified": title, "parent_id": parent,
                                  "is_report": is_report, "kind": "html" if parent is None else "pdf"})
    db.conn.executemany("insert into report_figures values (?, '三', ?, '总计', 1, '')",
                        [(doc_id, f"row {n}") for n in range(figures)])
    db.conn.executemany("insert into report_checks values (?, ?, 1, '')", [(doc_id, f"c{n}") for n in range(checks_ok)])
    if is_report:
        db.conn.execute("insert into report_parses values (?, '2021', ?)", (doc_id, unplaced))


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    index = open_index(tmp_path / "index.db")
    ensure_schema(index)
    # The HTML page: its tables were images, so few figures; its PDF attachment parsed fully.
    _report(index, 1, TITLE + "_某县人民政府门户网站", figures=12, unplaced='["三 not found"]')
    _report(index, 2, "2024年年报", parent=1, figures=45, checks_ok=5)
    # The same report on the city's aggregating column, filed under the county: as many figures, fewer checks.
    _report(index, 3, TITLE, figures=45, checks_ok=3)
    # A department's report in the county's column (same agency, another unit), last year's, a look-alike.
    _report(index, 4, "某县教育局2024年政府信息公开工作年度报告", figures=45, checks_ok=5)
    _report(index, 5, "某县人民政府2023年政府信息公开工作年度报告", year=2023, figures=40)
    _report(index, 6, "某县2024年法治政府建设年度报告", is_report=0)
    _report(index, 7, "附件.pdf", year=None, parent=5, figures=0)
    index.conn.commit()
    return index


def _groups(db: sqlite_utils.Database) -> dict[str, dict[int, int]]:
    groups: dict[str, dict[int, int]] = {}
    for doc_id, key, primary in db.conn.execute("select document_id, group_key, is_primary from report_groups"):
        groups.setdefault(key, {})[doc_id] = primary
    return groups


def test_page_attachment_and_aggregator_copy_are_one_report_with_the_best_parse_primary(
        db: sqlite_utils.Database) -> None:
    assert update_report_groups(db.conn) == 2
    groups = _groups(db)
    assert groups[f"{COUNTY}|2024|"] == {1: 0, 2: 1, 3: 0}  # the PDF's tables parsed best
    assert groups[f"{COUNTY}|2024|某县教育局"] == {4: 1}
    assert groups[f"{COUNTY}|2023|"] == {5: 1, 7: 0}  # a year-less attachment joins its page
    assert sum(len(members) for members in groups.values()) == 6  # the look-alike is no report
    reason = db.conn.execute("select reason from report_groups where document_id = 3").fetchone()[0]
    assert reason == "copy of document 2: 45 figures against 45"


def test_rebuilt_whole_when_run_again(db: sqlite_utils.Database) -> None:
    update_report_groups(db.conn)
    # the page re-extracted with its tables read: 46 figures now, more than its PDF's
    db.conn.executemany("insert into report_figures values (1, '三', ?, '总计', 1, '')",
                        [(f"extra {n}",) for n in range(34)])
    update_report_groups(db.conn)
    assert _groups(db)[f"{COUNTY}|2024|"] == {1: 1, 2: 0, 3: 0}
    assert db.conn.execute("select count(*) from report_groups").fetchone()[0] == 6


@pytest.mark.parametrize(("title", "unit"), [
    ("某县教育局2024年政府信息公开工作年度报告", "某县教育局"),
    ("某县教育局2024年度政府信息公开工作年度报告_某县人民政府", "某县教育局"),
    ("关于某县教育局2024年政府信息公开工作年度报告", "某县教育局"),
    ("某县教育局2024年政府信息公开工作年度报告（更正版）", "某县教育局"),
    ("某县人民政府 - 2024年政府信息公开年报", ""),
    ("2024年政府信息公开工作年度报告", ""),
    ("《某市财政局2019年政府信息公开工作年度报告》", "某市财政局"),
])
def test_reporting_unit_of_a_title(title: str, unit: str) -> None:
    assert report_unit(title) == unit
