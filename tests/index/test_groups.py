"""Report groups: a page and its attachment, and the same report on an aggregator, are one report."""

from __future__ import annotations

import json
import random
import sqlite3
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


def _rebuilt_whole(conn: sqlite3.Connection) -> set[tuple[int, str, int, str]]:
    """The groups as a rebuild from every report document computes them (the module's rule before it was
    incremental): union by page and by agency|year|unit, primary by (figures, checks passed, -unplaced)."""
    figures = dict(conn.execute("select document_id, count(*) from report_figures group by document_id"))
    checks = dict(conn.execute("select document_id, sum(ok) from report_checks group by document_id"))
    quality = {doc_id: (figures.get(doc_id, 0), int(checks.get(doc_id) or 0), -len(json.loads(unplaced)))
               for doc_id, unplaced in conn.execute("select document_id, unplaced from report_parses")}
    docs = []
    for doc_id, parent_id, agency, year, title in conn.execute(
            "select id, parent_id, agency, year, coalesce(nullif(title_simplified, ''), title) from documents "
            "where is_report = 1 order by id"):
        unit = report_unit(title or "")
        unit = "" if unit and agency and unit in agency else unit
        docs.append((doc_id, parent_id, f"{agency or ''}|{year}|{unit}" if year else "",
                     quality.get(doc_id, (0, 0, -(10**6)))))
    root = {doc[0]: doc[0] for doc in docs}

    def find(node: int) -> int:
        while root[node] != node:
            node = root[node]
        return node

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        root[max(ra, rb)] = min(ra, rb)

    first: dict[str, int] = {}
    for doc_id, parent_id, key, _quality in docs:
        if parent_id in root:
            union(doc_id, parent_id)
        if key:
            union(doc_id, first.setdefault(key, doc_id))
    members: dict[int, list[tuple[int, int | None, str, tuple[int, int, int]]]] = {}
    for doc in docs:
        members.setdefault(find(doc[0]), []).append(doc)
    rows = set()
    for top, group in members.items():
        key = next((doc[2] for doc in group if doc[2]), f"document:{top}")
        primary = max(group, key=lambda doc: (doc[3], -doc[0]))
        for doc in group:
            reason = (f"primary: {doc[3][0]} figures" if doc is primary
                      else f"copy of document {primary[0]}: {doc[3][0]} figures against {primary[3][0]}")
            rows.add((doc[0], key, int(doc is primary), reason))
    return rows


_TITLES = (TITLE, "某县教育局2024年政府信息公开工作年度报告", "2024年年报", "附件.pdf",
           "某县财政局2023年度政府信息公开工作年度报告_某县人民政府", "关于某县教育局2024年政府信息公开工作年度报告")
_AGENCIES = (COUNTY, "某市人民政府", "某县教育局", "某县财政局", "某区人民政府", "某省生态环境厅")


def _random_step(db: sqlite_utils.Database, rng: random.Random, next_id: int) -> int:
    """One change an index update may bring: a new document, a deletion, a re-extraction (same id, new
    title, new parse), a page relinked, figures added; returns the next free id."""
    conn = db.conn
    ids = [row[0] for row in conn.execute("select id from documents")]
    action = rng.choice(("new", "new", "new", "delete", "reextract", "relink", "figures", "report_flag"))
    if action == "new" or not ids:
        _report(db, next_id, rng.choice(_TITLES), year=rng.choice((2019, 2020, 2021, 2022, 2023, 2024, None)),
                parent=rng.choice([None, None, *ids[-6:]]), figures=rng.randrange(4), checks_ok=rng.randrange(3),
                unplaced=rng.choice(("[]", '["x"]')), agency=rng.choice(_AGENCIES), is_report=int(rng.random() < 0.9))
        return next_id + 1
    doc_id = rng.choice(ids)
    if action in ("delete", "reextract"):
        parent = conn.execute("select parent_id from documents where id = ?", (doc_id,)).fetchone()[0]
        for table in ("documents", "report_figures", "report_checks", "report_parses"):
            conn.execute(f"delete from {table} where {'id' if table == 'documents' else 'document_id'} = ?", (doc_id,))
        if action == "reextract":
            _report(db, doc_id, rng.choice(_TITLES), year=rng.choice((2019, 2020, 2021, 2022, 2023, 2024)),
                    parent=parent, figures=rng.randrange(5), checks_ok=rng.randrange(3), agency=rng.choice(_AGENCIES))
    elif action == "relink":
        conn.execute("update documents set parent_id = ? where id = ?", (rng.choice([None, *ids]), doc_id))
    elif action == "figures":
        conn.executemany("insert into report_figures values (?, '三', ?, '总计', 1, '')",
                         [(doc_id, f"added {rng.random()}") for _ in range(rng.randrange(1, 4))])
    else:
        conn.execute("update documents set is_report = 1 - is_report where id = ?", (doc_id,))
        conn.execute("insert or ignore into report_parses values (?, '2021', '[]')", (doc_id,))
    return next_id


def test_incremental_updates_equal_a_rebuild_after_any_changes(tmp_path: Path) -> None:
    rng = random.Random(20261130)
    index = open_index(tmp_path / "index.db")
    ensure_schema(index)
    next_id, updates = 1, 0
    for step in range(600):
        next_id = _random_step(index, rng, next_id)
        if rng.random() < 0.15 or step == 599:
            index.conn.commit()
            update_report_groups(index.conn, batch=rng.choice((1, 3, 50)))
            updates += 1
            stored = set(index.conn.execute("select document_id, group_key, is_primary, reason from report_groups"))
            assert stored == _rebuilt_whole(index.conn), f"after step {step}"
    shared = index.conn.execute("select count(*) from (select 1 from report_groups group by group_key "
                                "having count(*) > 1)").fetchone()[0]
    assert updates >= 60 and shared >= 10 and len(stored) >= 100
    assert not index.conn.execute("select count(*) from report_groups_dirty").fetchone()[0]


def test_an_update_regroups_only_what_changed(db: sqlite_utils.Database) -> None:
    update_report_groups(db.conn)
    _report(db, 8, "某县教育局2024年政府信息公开工作年度报告", figures=50, checks_ok=5)  # a better copy of 4's
    db.conn.commit()
    read: list[str] = []
    db.conn.set_trace_callback(read.append)
    update_report_groups(db.conn)
    db.conn.set_trace_callback(None)
    groups = _groups(db)
    assert groups[f"{COUNTY}|2024|某县教育局"] == {4: 0, 8: 1}
    replaced = [sql for sql in read if sql.startswith("delete from report_groups where")]
    assert replaced == ["delete from report_groups where document_id in (4, 8)"]  # the other groups untouched


def test_a_groups_table_from_before_the_change_log_is_made_again(db: sqlite_utils.Database) -> None:
    db.conn.executescript("create table report_groups (document_id integer primary key, group_key text not null, "
                          "is_primary integer not null, reason text); "
                          "insert into report_groups values (1, 'stale', 1, '');")
    assert update_report_groups(db.conn) == 2
    assert _groups(db)[f"{COUNTY}|2024|"] == {1: 0, 2: 1, 3: 0} and "stale" not in _groups(db)
