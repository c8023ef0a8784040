"""The SQLite index schema (derived from the WARCs; column names are a contract other tools read).

Full-text search: `documents_fts` (FTS5 trigram over title and simplified text) for queries of three
characters or more, and `documents_chars` (one token per character, FTS5 unicode61) for one- and
two-character queries, which trigram cannot match: a two-character query is a phrase of two tokens.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

__all__ = ["SCHEMA_VERSION", "open_index", "chars_of"]

SCHEMA_VERSION = 1

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
    seed text, via text, link_text text, hop_path text, role text, reason text);
create index if not exists captures_url on captures (url, fetched_at);
create index if not exists captures_file on captures (warc_file, warc_offset);
create table if not exists documents (
    id integer primary key, capture_id integer references captures(id), url text, agency_id integer,
    agency text, province text, title text, year integer, published text, kind text, parent_id integer,
    encoding text, encoding_source text, mojibake text, mojibake_detail text, is_report integer,
    report_score real, text text, text_simplified text, extractor_version integer, script text,
    report_reasons text, error text, tables text);
create index if not exists documents_url on documents (url);
create index if not exists documents_facets on documents (province, agency, year, kind, is_report);
create index if not exists documents_agency on documents (agency, year);
create index if not exists documents_year on documents (year, is_report);
create index if not exists documents_kind on documents (kind, is_report);
create index if not exists documents_is_report on documents (is_report, year);
create virtual table if not exists documents_fts using fts5(title, body, tokenize = 'trigram');
create virtual table if not exists documents_chars using fts5(title, body, tokenize = 'unicode61');
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


def open_index(path: Path) -> sqlite_utils.Database:
    """Open (creating or migrating) the index at `path`, in WAL mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=60)
    db = sqlite_utils.Database(conn)
    db.conn.execute("pragma journal_mode = wal")
    db.conn.execute("pragma synchronous = normal")
    version = _version(db)
    if version > SCHEMA_VERSION:
        raise RuntimeError(f"{path} has schema version {version}, newer than this nianbao ({SCHEMA_VERSION}); "
                           "upgrade nianbao or delete the index and run `nianbao index` to rebuild it")
    db.conn.executescript(_TABLES)
    db.conn.execute("insert or replace into meta values ('schema_version', ?)", (str(SCHEMA_VERSION),))
    db.conn.commit()
    return db


def _version(db: sqlite_utils.Database) -> int:
    try:
        row = db.conn.execute("select value from meta where key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0]) if row else 0
