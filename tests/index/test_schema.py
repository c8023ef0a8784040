"""Schema 2: full-text indexes without copies of the text, kept in step with `documents`, and the
migration of a schema-1 index."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from archive.db import connect
from archive.index.schema import SCHEMA_VERSION, index_text, open_index, unindex_text
from archive.index.search import search

V1 = """
create table meta (key text primary key, value text);
insert into meta values ('schema_version', '1');
create table documents (
    id integer primary key, capture_id integer, url text, agency_id integer, agency text, province text, title text,
    year integer, published text, kind text, parent_id integer, encoding text, encoding_source text, mojibake text,
    mojibake_detail text, is_report integer, report_score real, text text, text_simplified text,
    extractor_version integer, script text, report_reasons text, error text, tables text);
create virtual table documents_fts using fts5(title, body, tokenize = 'trigram');
create virtual table documents_chars using fts5(title, body, tokenize = 'unicode61');
"""
DOCS = [(1, "遂溪縣應急管理局2023年政府信息公開工作年度報告", "本年度行政复议案件二件，依申请公开十五件。"),
        (2, "德清县应急管理局2022年政府信息公开工作年度报告", "本年度未发生行政复议。主动公开信息三百条。"),
        (3, "德清县财政局部门预算", "收入支出预算总表。")]


def _fts_ok(conn: sqlite3.Connection) -> None:
    conn.execute("insert into documents_fts (documents_fts) values ('integrity-check')")
    conn.execute("insert into documents_chars (documents_chars) values ('integrity-check')")


def test_schema_1_index_is_migrated_and_searchable(tmp_path: Path) -> None:
    from archive.index.schema import chars_of
    from extract.metadata import to_simplified

    path = tmp_path / "index.db"
    with connect(path) as conn:
        conn.executescript(V1)
        for doc_id, title, text in DOCS:
            conn.execute("insert into documents (id, title, text, text_simplified, is_report) values (?, ?, ?, ?, 1)",
                         (doc_id, title, text, to_simplified(text)))
            conn.execute("insert into documents_fts (rowid, title, body) values (?, ?, ?)",
                         (doc_id, to_simplified(title), to_simplified(text)))
            conn.execute("insert into documents_chars (rowid, title, body) values (?, ?, ?)",
                         (doc_id, chars_of(to_simplified(title)), chars_of(to_simplified(text))))
    db = open_index(path)
    assert db.conn.execute("select value from meta where key = 'schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    assert db.conn.execute("select title_simplified from documents where id = 1").fetchone()[0] == \
        "遂溪县应急管理局2023年政府信息公开工作年度报告"
    _fts_ok(db.conn)
    db.conn.close()
    assert {r["id"] for r in search(path, "行政复议")} == {1, 2}
    assert {r["id"] for r in search(path, "應急管理局")} == {1, 2}     # title, either script
    assert [r["id"] for r in search(path, "预算")] == [3]              # two characters: the per-character index
    assert search(path, "预算")[0]["snippet"] == "收入支出[预算]总表。"
    assert open_index(path).conn.execute("select count(*) from documents").fetchone()[0] == 3  # idempotent


def test_unindex_before_a_row_changes_keeps_both_indexes_exact(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    db = open_index(path)
    for doc_id, title, text in DOCS:
        db.conn.execute("insert into documents (id, title, title_simplified, text_simplified) values (?, ?, ?, ?)",
                        (doc_id, title, title, text))
        index_text(db.conn, doc_id, title, text)
    unindex_text(db.conn, 2)
    db.conn.execute("delete from documents where id = 2")
    unindex_text(db.conn, 3)  # re-extracted: out, changed, back in
    db.conn.execute("update documents set text_simplified = '收入支出决算总表。' where id = 3")
    index_text(db.conn, 3, DOCS[2][1], "收入支出决算总表。")
    db.conn.commit()
    _fts_ok(db.conn)
    db.conn.close()
    assert [r["id"] for r in search(path, "行政复议")] == [1]
    assert search(path, "支出预算") == [] and [r["id"] for r in search(path, "支出决算")] == [3]
    assert [r["id"] for r in search(path, "决算")] == [3]  # the per-character index too
