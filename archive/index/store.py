"""Rows of the index: captures, documents, agencies and runs as the indexer writes and removes them.

`IndexStore` owns every write to index.db outside the figures tables: the indexer (`build.py`)
decides what to store, this module how. A document's rows in other tables (full-text indexes,
figures) go with it when it is removed, so re-extraction leaves no orphans.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlite_utils

from archive.index.schema import index_text, open_index, unindex_text
from archive.warc.reader import CaptureRecord
from extract.document import Document
from extract.metadata import to_simplified
from extract.table_grid import table_spans

__all__ = ["IndexStore", "capture_row", "document_row"]

# Tables keyed by document id that a removed document must not leave behind.
_PER_DOCUMENT_TABLES = (("report_figures", "document_id"), ("report_checks", "document_id"),
                        ("report_sections", "document_id"), ("report_parses", "document_id"))


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def capture_row(capture: CaptureRecord) -> dict[str, Any]:
    """The `captures` row of a response or revisit record."""
    prov = capture.provenance
    return {"run_id": prov.get("run_id", ""), "url": capture.url, "status": capture.status,
            "fetched_at": capture.date, "content_type": capture.header("Content-Type"),
            "record_type": capture.record_type, "warc_file": capture.warc_file, "warc_offset": capture.offset,
            "warc_length": capture.length, "payload_digest": capture.payload_digest, "etag": capture.header("ETag"),
            "last_modified": capture.header("Last-Modified"),
            "unchanged": int(capture.status == 304 or capture.record_type == "revisit"),
            "refers_to_uri": capture.refers_to_uri, "refers_to_date": capture.refers_to_date,
            "ip_address": capture.ip_address, "seed": prov.get("seed", ""), "via": prov.get("via", ""),
            "link_text": prov.get("link_text", ""), "hop_path": prov.get("hop_path", ""), "role": prov.get("role", ""),
            "reason": prov.get("reason", ""), "scope": prov.get("scope", ""), "list_root": prov.get("list_root", ""),
            "list_shown": _int(prov.get("list_shown")), "list_declared": _int(prov.get("list_declared")),
            "list_form": prov.get("list_form", "")}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def document_row(doc: Document, capture_id: int, agency_id: int | None, province: str) -> dict[str, Any]:
    """The `documents` row of an extracted document."""
    return {"capture_id": capture_id, "url": doc.url, "agency_id": agency_id, "agency": doc.agency,
            "province": province, "title": doc.title, "title_simplified": to_simplified(doc.title), "year": doc.year,
            "published": doc.published, "kind": doc.kind, "parent_id": None,
            "encoding": doc.encoding, "encoding_source": doc.encoding_source, "mojibake": doc.mojibake,
            "mojibake_detail": doc.mojibake_detail, "is_report": int(doc.is_report), "report_score": doc.report_score,
            "text": doc.text, "text_simplified": doc.text_simplified, "extractor_version": doc.extractor_version,
            "script": doc.script, "report_reasons": json.dumps(list(doc.report_reasons), ensure_ascii=False),
            "error": doc.error, "tables": json.dumps([list(map(list, t)) for t in doc.tables], ensure_ascii=False),
            "table_spans": json.dumps([[list(span) for span in table_spans(t)] for t in doc.tables])}


def _insert(conn: sqlite3.Connection, table: str, row: dict[str, Any]) -> int:
    cursor = conn.execute(f"insert into {table} ({', '.join(row)}) values ({', '.join('?' * len(row))})",
                          list(row.values()))
    return int(cursor.lastrowid or 0)


class IndexStore:
    """index.db opened for writing: inserts and removals, committed by the caller's batches."""

    def __init__(self, path: Path) -> None:
        self.db: sqlite_utils.Database = open_index(path)
        self.conn = self.db.conn
        self._agency_ids: dict[tuple[str, str], int] = {}

    def close(self) -> None:
        """Close the connection (without committing)."""
        self.conn.close()

    def commit(self) -> None:
        self.conn.commit()

    # --- runs and agencies ---

    def upsert_run(self, run: dict[str, Any]) -> None:
        """A run record (DIR/runs/ID.json) and the agencies of its seeds."""
        self.db.table("runs").upsert({"id": run["id"], "started": run.get("started"), "finished": run.get("finished"),
                                      "mode": run.get("mode"),
                                      "stats": json.dumps(run.get("stats", {}), ensure_ascii=False)}, pk="id")
        for seed in run.get("seeds", []):
            self.agency_id(seed.get("agency", ""), seed.get("province", ""), seed.get("city", ""),
                           seed.get("county", ""), seed.get("url", ""))

    def agency_id(self, agency: str, province: str, city: str, county: str, url: str) -> int | None:
        """The agency's row: one per name and province, however many seeds (or an aggregator) reach it;
        `url` is that of the first seed seen for it."""
        if not agency:
            return None
        key = (agency, province)
        if key not in self._agency_ids:
            row = self.conn.execute("select id from agencies where agency = ? and province = ? order by id limit 1",
                                    key).fetchone()
            if row is None:
                self._agency_ids[key] = _insert(self.conn, "agencies", {
                    "agency": agency, "province": province, "city": city, "county": county, "url": url})
            else:
                self._agency_ids[key] = int(row[0])
        return self._agency_ids[key]

    # --- captures and documents ---

    def insert_capture(self, capture: CaptureRecord) -> int:
        return _insert(self.conn, "captures", capture_row(capture))

    def insert_document(self, row: dict[str, Any], doc_id: int | None = None) -> int:
        """Insert a documents row (under `doc_id` when given) and index its text."""
        new_id = _insert(self.conn, "documents", row if doc_id is None else {"id": doc_id, **row})
        index_text(self.conn, new_id, row["title_simplified"], row["text_simplified"] or "")
        return new_id

    def delete_document(self, doc_id: int) -> None:
        """Remove a document, its full-text entries and its figures."""
        unindex_text(self.conn, doc_id)  # first: the full-text indexes read the row being removed
        self.conn.execute("delete from documents where id = ?", (doc_id,))
        for table, column in self._existing(_PER_DOCUMENT_TABLES):
            self.conn.execute(f"delete from {table} where {column} = ?", (doc_id,))

    def delete_captures(self, ids: Iterable[int]) -> None:
        """Remove captures and their documents."""
        for capture_id in ids:
            for (doc_id,) in self.conn.execute("select id from documents where capture_id = ?",
                                               (capture_id,)).fetchall():
                self.delete_document(doc_id)
            self.conn.execute("delete from captures where id = ?", (capture_id,))

    def _existing(self, tables: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
        names = {r[0] for r in self.conn.execute("select name from sqlite_master where type = 'table'")}
        return [(table, column) for table, column in tables if table in names]

    # --- files ---

    def indexed(self, name: str) -> tuple[int, int] | None:
        """(bytes indexed, captures stored) of WARC file `name`, None when never indexed."""
        row = self.conn.execute("select size, records from warc_files where name = ?", (name,)).fetchone()
        return (int(row[0]), int(row[1] or 0)) if row else None

    def captures_of(self, name: str) -> list[int]:
        return [r[0] for r in self.conn.execute("select id from captures where warc_file = ?", (name,))]

    def mark_indexed(self, name: str, size: int, captures: int) -> None:
        """Record that WARC file `name` is indexed up to byte `size`."""
        self.conn.execute("insert or replace into warc_files values (?, ?, ?, ?)", (name, size, captures, _now()))

    def link_parents(self) -> None:
        """An attachment's parent is the latest document of the page that linked to it. Only rows whose parent
        changed are written: a row holds the document's text, and rewriting every attachment on every update
        would copy them all into the WAL each night."""
        parent = """(select p.id from documents p join captures pc on pc.id = p.capture_id
                     where p.url = (select c.via from captures c where c.id = documents.capture_id)
                     order by pc.fetched_at desc limit 1)"""
        self.conn.execute(f"update documents set parent_id = {parent} "
                          f"where kind != 'html' and parent_id is not {parent}")
        self.conn.commit()
