"""The SQLite index schema (derived from the WARCs; column names are a contract other tools read).

Full-text search: `documents_fts` (FTS5 trigram over the simplified title and text) for queries of
three characters or more, and `documents_chars` (one token per character, FTS5 unicode61) for one- and
two-character queries, which trigram cannot match: a two-character query is a phrase of two tokens.
Neither stores the text again: `documents_fts` reads it from `documents` (external content) and
`documents_chars` is contentless, so `index_text`/`unindex_text` keep both in step with `documents`.
Schema 2 (this layout) took 100,000 documents from 2.6 to about 1.5 GB; schema 1 kept three copies.
Schema 5 adds the tables the pages read instead of aggregating every document (`rollups.py`); schema 6 adds
`agency_reports`, one row per agency, for the coverage map.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import sqlite_utils

from archive.index.rollups import create_rollups

__all__ = ["SCHEMA_VERSION", "chars_of", "index_text", "open_index", "unindex_text"]

SCHEMA_VERSION = 6

logger = logging.getLogger(__name__)

_TABLES = """
create table if not exists meta (key text primary key, value text);
create table if not exists agencies (
    id integer primary key, agency text not null, province text, city text, county text, url text,
    unique (agency, province, url));
create table if not exists runs (id text primary key, started text, finished text, mode text, stats text);
create table if not exists warc_files (name text primary key, size integer, records integer, indexed_at text);
create table if not exists captures (
    id integer primary key, run_id text, url text not null, status integer, fetched_at text, content_type text,
    record_type text, warc_file text, warc_offset integer, warc_length integer, payload_digest text, etag text,
    last_modified text, unchanged integer default 0, refers_to_uri text, refers_to_date text, ip_address text,
    seed text, via text, link_text text, hop_path text, role text, reason text, scope text, list_root text,
    list_shown integer, list_declared integer, list_form text);
create index if not exists captures_url on captures (url, fetched_at);
create index if not exists captures_file on captures (warc_file, warc_offset);
create index if not exists captures_answered on captures (url, status);
create index if not exists captures_lists on captures (fetched_at) where list_declared is not null;
create table if not exists documents (
    id integer primary key, capture_id integer references captures(id), url text, agency_id integer,
    agency text, province text, title text, year integer, published text, kind text, parent_id integer,
    encoding text, encoding_source text, mojibake text, mojibake_detail text, is_report integer,
    report_score real, text text, text_simplified text, extractor_version integer, script text,
    report_reasons text, error text, tables text, title_simplified text, table_spans text);
create index if not exists documents_url on documents (url);
create index if not exists documents_facets on documents (province, agency, year, kind, is_report);
create index if not exists documents_agency on documents (agency, year);
create index if not exists documents_year on documents (year, is_report);
create index if not exists documents_kind on documents (kind, is_report);
create index if not exists documents_is_report on documents (is_report, year);
"""

_FTS = """
create virtual table if not exists documents_fts using fts5(
    title_simplified, text_simplified, content = 'documents', content_rowid = 'id', tokenize = 'trigram');
create virtual table if not exists documents_chars using fts5(title, body, content = '', tokenize = 'unicode61');
"""


def chars_of(text: str) -> str:
    """Text as one token per CJK character (spaces between), for the short-query index."""
    out = []
    for ch in text:
        if "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff":
            out.append(f" {ch} ")
        else:
            out.append(ch)
    return "".join(out)


def index_text(conn: sqlite3.Connection, doc_id: int, title_simplified: str, text_simplified: str) -> None:
    """Add a document (its `documents` row already written) to both full-text indexes."""
    conn.execute("insert into documents_fts (rowid, title_simplified, text_simplified) values (?, ?, ?)",
                 (doc_id, title_simplified, text_simplified))
    conn.execute("insert into documents_chars (rowid, title, body) values (?, ?, ?)",
                 (doc_id, chars_of(title_simplified), chars_of(text_simplified)))


def unindex_text(conn: sqlite3.Connection, doc_id: int) -> None:
    """Take a document out of both full-text indexes; call it before its `documents` row changes or goes
    (neither index keeps the text, so FTS5's 'delete' must be handed the values that were indexed)."""
    row = conn.execute("select title_simplified, text_simplified from documents where id = ?", (doc_id,)).fetchone()
    if row is None:
        return
    title, text = row[0] or "", row[1] or ""
    conn.execute("insert into documents_fts (documents_fts, rowid, title_simplified, text_simplified) "
                 "values ('delete', ?, ?, ?)", (doc_id, title, text))
    conn.execute("insert into documents_chars (documents_chars, rowid, title, body) values ('delete', ?, ?, ?)",
                 (doc_id, chars_of(title), chars_of(text)))


def open_index(path: Path) -> sqlite_utils.Database:
    """Open (creating or migrating) the index at `path`, in WAL mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=60)
    db = sqlite_utils.Database(conn)
    db.conn.execute("pragma journal_mode = wal")
    db.conn.execute("pragma synchronous = normal")
    # an INSERT OR REPLACE fires the delete triggers of the row it replaces only with this on (rollups.py)
    db.conn.execute("pragma recursive_triggers = on")
    version = _version(db)
    if version > SCHEMA_VERSION:
        raise RuntimeError(f"{path} has schema version {version}, newer than this nianbao ({SCHEMA_VERSION}); "
                           "upgrade nianbao or delete the index and run `nianbao index` to rebuild it")
    db.conn.executescript(_TABLES)
    if version == 1:
        _migrate_1_to_2(db.conn, path)
    db.conn.executescript(_FTS)
    if 0 < version < 3:
        _migrate_2_to_3(db.conn, path)
    if 0 < version < 4:
        _migrate_3_to_4(db.conn)
    created = create_rollups(db.conn)
    if created and version:
        logger.warning("%s: %s filled from the documents (kept by triggers from now)", path,
                       "schema 5: report_years, names and agency_reports" if "report_years" in created
                       else "schema 6: agency_reports")
    db.conn.execute("insert or replace into meta values ('schema_version', ?)", (str(SCHEMA_VERSION),))
    db.conn.commit()
    return db


def _migrate_1_to_2(conn: sqlite3.Connection, path: Path) -> None:
    """Schema 1 kept the text in both FTS tables too: drop them, add title_simplified, index again."""
    from extract.metadata import to_simplified

    count = conn.execute("select count(*) from documents").fetchone()[0]
    logger.warning("%s: migrating the index to schema 2 (%d documents; the full-text indexes are rebuilt once)",
                   path, count)
    conn.execute("drop table if exists documents_fts")
    conn.execute("drop table if exists documents_chars")
    columns = {row[1] for row in conn.execute("pragma table_info(documents)")}
    if "title_simplified" not in columns:
        conn.execute("alter table documents add column title_simplified text")
    conn.executescript(_FTS)
    rows = conn.execute("select id, title, text_simplified from documents").fetchall()
    for doc_id, title, text in rows:
        title_simplified = to_simplified(title or "")
        conn.execute("update documents set title_simplified = ? where id = ?", (title_simplified, doc_id))
        index_text(conn, doc_id, title_simplified, text or "")
    conn.commit()


def _migrate_2_to_3(conn: sqlite3.Connection, path: Path) -> None:
    """Before schema 3 an interrupted `nianbao index` could store a file's first batches again on the next
    run: keep the first row of each record (file, offset), remove the copies and their documents."""
    copies = [row[0] for row in conn.execute(
        "select id from captures c where exists (select 1 from captures k where k.warc_file = c.warc_file "
        "and k.warc_offset = c.warc_offset and k.id < c.id)")]
    if not copies:
        return
    logger.warning("%s: removing %d captures indexed twice by an interrupted index (schema 3)", path, len(copies))
    tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    for capture_id in copies:
        for (doc_id,) in conn.execute("select id from documents where capture_id = ?", (capture_id,)).fetchall():
            unindex_text(conn, doc_id)
            conn.execute("delete from documents where id = ?", (doc_id,))
            for table in ("report_figures", "report_checks", "report_sections", "report_parses"):
                if table in tables:
                    conn.execute(f"delete from {table} where document_id = ?", (doc_id,))
        conn.execute("delete from captures where id = ?", (capture_id,))
    conn.commit()


_COLUMNS_4 = {"captures": ("scope text", "list_root text", "list_shown integer", "list_declared integer",
                           "list_form text"),
              "documents": ("table_spans text",)}


def _migrate_3_to_4(conn: sqlite3.Connection) -> None:
    """Schema 4 keeps why a host was in scope, a list's shown/declared sizes and merged-cell spans.
    Rows indexed before stay empty there until a `nianbao index --rebuild` (the WARCs hold the fields)."""
    for table, columns in _COLUMNS_4.items():
        present = {row[1] for row in conn.execute(f"pragma table_info({table})")}
        for column in columns:
            if column.split()[0] not in present:
                conn.execute(f"alter table {table} add column {column}")
    conn.commit()


def _version(db: sqlite_utils.Database) -> int:
    try:
        row = db.conn.execute("select value from meta where key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0]) if row else 0
