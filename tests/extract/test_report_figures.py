"""The index keeps what the table parser knows: blank and loosely matched figures, checks that could not run."""

from __future__ import annotations

import json

import sqlite_utils

from archive.index.figures import update_figures
from extract.document import document
from tests.conftest import FIXTURES, seed_text


def _database(*docs: tuple[str, list[list[list[str]]], int]) -> sqlite_utils.Database:
    db = sqlite_utils.Database(memory=True)
    db.conn.execute("create table documents (id integer primary key, url text, agency text, province text, "
                    "year integer, is_report integer, text text, tables text)")
    for index, (text, tables, year) in enumerate(docs, start=1):
        db.conn.execute("insert into documents values (?, ?, '', '', ?, 1, ?, ?)",
                        (index, f"http://127.0.0.2/{index}", year, text, json.dumps(tables, ensure_ascii=False)))
    return db


def test_figures_keep_their_notes_and_unrun_checks_their_reasons() -> None:
    doc = document((FIXTURES / "reports" / "html2021_damaged.html").read_bytes(), {}, "http://127.0.0.2/r.html")
    text = seed_text(3)
    truncated = text[: text.index("(七) 总计")] + text[text.index("四、结转下年度"):]
    db = _database((doc.text, [list(map(list, t)) for t in doc.tables], 2023), (truncated, [], 2024))
    assert update_figures(db) == 2
    notes = dict(db.conn.execute("select col_label, note from report_figures where document_id = 1 "
                                 "and row_label = '（三）不予公开 2.其他法律行政法规禁止公开'").fetchall())
    assert notes["自然人"].startswith("loose label: ") and notes["科研机构"].endswith("; blank")
    checks = db.conn.execute("select check_name, ok from report_checks where document_id = 2").fetchall()
    assert checks == [("每行总计 = 各申请人之和", 1), ("复议/诉讼 总计 = 四项之和", 1)]
    [unplaced] = db.conn.execute("select unplaced from report_parses where document_id = 2").fetchone()
    assert "check not run: （七）总计 = （一）至（六）之和: row （七）总计 not found" in json.loads(unplaced)


def test_an_older_index_gains_the_note_column() -> None:
    db = _database((seed_text(1), [], 2021))
    db.conn.execute("create table report_figures (document_id integer, section text, row_label text, "
                    "col_label text, value real)")
    update_figures(db)
    assert db.conn.execute("select count(*) from report_figures where note = ''").fetchone()[0] == 10 + 25 * 7 + 15
