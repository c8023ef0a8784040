"""`build_index`: bring ARCHIVE/index.db up to date from the WARC files alone.

Only WARC files not yet indexed (or grown since) are read; documents whose `extractor_version` is
older than the extractor's are re-extracted from their records; extraction runs on every core.
Deleting index.db and rerunning gives the same rows (ids aside).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from archive.converters import default_converters
from archive.index.schema import index_text, open_index, unindex_text
from archive.lock import live_lock_holder
from archive.warc.reader import CaptureRecord, decode_payload, iter_captures, warc_files
from extract.attachments import kind_of
from extract.document import EXTRACTOR_VERSION, Document, document
from extract.metadata import to_simplified
from extract.options import ExtractOptions

__all__ = ["build_index", "IndexReport"]

logger = logging.getLogger(__name__)
BATCH = 200
_EXTRACTABLE_TYPES = ("html", "xml", "pdf", "msword", "officedocument", "ms-excel", "ofd", "wps", "text/plain",
                      "octet-stream")


@dataclass
class IndexReport:
    """What one `build_index` call did."""

    files_indexed: int = 0
    files_skipped: int = 0
    captures: int = 0
    documents: int = 0
    reextracted: int = 0
    errors: list[str] | None = None


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


EXTRACT_TIME_LIMIT = 120.0  # seconds of wall clock per document (a pathological PDF or page)


class _ExtractTimeout(Exception):
    pass


def _on_alarm(_signum: int, _frame: object) -> None:
    raise _ExtractTimeout


def _extract_job(job: tuple[bytes, list[tuple[str, str]], str, str, str],
                 time_limit: float | None = None) -> Document:
    """`extract.document` on one capture, stopped after `time_limit` seconds (EXTRACT_TIME_LIMIT): a
    document that takes longer is indexed with the error `timeout`, and indexing goes on."""
    body, headers, url, agency, title = job
    options = ExtractOptions(agency=agency, title=title, converters=default_converters())
    limit = EXTRACT_TIME_LIMIT if time_limit is None else time_limit
    if threading.current_thread() is not threading.main_thread() or limit <= 0:
        return document(body, dict(headers), url, options)  # signals work on the main thread only
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        return document(body, dict(headers), url, options)
    except _ExtractTimeout:
        content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
        logger.warning("%s: extraction ran over %g s; indexed without text", url, limit)
        return Document(url=url, kind=kind_of(url, content_type, body[:8]), agency=agency, title=title,
                        error=f"timeout: extraction ran over {limit:g} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _extractable(capture: CaptureRecord) -> bool:
    if capture.record_type != "response" or capture.status != 200 or not capture.payload:
        return False
    if capture.url.endswith("/robots.txt"):
        return False
    ctype = capture.header("Content-Type").lower()
    return not ctype or any(t in ctype for t in _EXTRACTABLE_TYPES)


def _capture_row(capture: CaptureRecord) -> dict[str, Any]:
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
            "reason": prov.get("reason", "")}


def _document_row(doc: Document, capture_id: int, agency_id: int | None, province: str) -> dict[str, Any]:
    return {"capture_id": capture_id, "url": doc.url, "agency_id": agency_id, "agency": doc.agency, "province": province,
            "title": doc.title, "title_simplified": to_simplified(doc.title), "year": doc.year,
            "published": doc.published, "kind": doc.kind, "parent_id": None,
            "encoding": doc.encoding, "encoding_source": doc.encoding_source, "mojibake": doc.mojibake,
            "mojibake_detail": doc.mojibake_detail, "is_report": int(doc.is_report), "report_score": doc.report_score,
            "text": doc.text, "text_simplified": doc.text_simplified, "extractor_version": doc.extractor_version,
            "script": doc.script, "report_reasons": json.dumps(list(doc.report_reasons), ensure_ascii=False),
            "error": doc.error, "tables": json.dumps([list(map(list, t)) for t in doc.tables], ensure_ascii=False)}


class _Indexer:
    def __init__(self, archive: Path, workers: int) -> None:
        self.archive = archive
        self.db: sqlite_utils.Database = open_index(archive / "index.db")
        self.workers = max(1, workers)
        self.report = IndexReport(errors=[])
        self._agency_ids: dict[tuple[str, str], int] = {}
        self._pool: ProcessPoolExecutor | None = None
        self.meter = _Progress(False, 0)

    def map(self, jobs: list[tuple[bytes, list[tuple[str, str]], str, str, str]]) -> Iterator[Document]:
        if self.workers == 1 or len(jobs) < 4:
            return (_extract_job(job) for job in jobs)
        if self._pool is None:
            import multiprocessing

            self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("forkserver"))
        return self._pool.map(_extract_job, jobs, chunksize=4)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
        self.db.conn.close()

    # --- agencies and runs ---

    def load_runs(self) -> None:
        for path in sorted((self.archive / "runs").glob("*.json")):
            try:
                run = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                self.report.errors.append(f"{path}: unreadable run record ({exc})")  # type: ignore[union-attr]
                continue
            self.db.table("runs").upsert({"id": run["id"], "started": run.get("started"), "finished": run.get("finished"),
                                    "mode": run.get("mode"), "stats": json.dumps(run.get("stats", {}), ensure_ascii=False)},
                                   pk="id")
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
            row = self.db.conn.execute("select id from agencies where agency = ? and province = ? order by id limit 1",
                                       key).fetchone()
            if row is None:
                cursor = self.db.conn.execute(
                    "insert into agencies (agency, province, city, county, url) values (?, ?, ?, ?, ?)",
                    (agency, province, city, county, url))
                self._agency_ids[key] = int(cursor.lastrowid or 0)
            else:
                self._agency_ids[key] = int(row[0])
        return self._agency_ids[key]

    # --- files ---

    def bytes_to_index(self, files: list[Path], limits: Mapping[str, int]) -> int:
        """Bytes of `files` not indexed yet (what the progress bar counts)."""
        total = 0
        for path in files:
            name = path.name.removesuffix(".open")
            try:
                size = path.stat().st_size
            except OSError:
                continue
            if path.name.endswith(".open") and name in limits:
                size = min(size, limits[name])
            known = self.db.conn.execute("select size from warc_files where name = ?", (name,)).fetchone()
            total += size - known[0] if known and known[0] <= size else size
        return total

    def index_file(self, path: Path, upto: int | None = None) -> None:
        """Index the records of `path` not yet indexed, up to byte `upto` (default: the whole file).

        WARC files only grow by whole records, so a file indexed up to N bytes is read on from N; a file
        that shrank (cut back by `nianbao verify --repair`) is indexed again, whole.
        """
        name = path.name.removesuffix(".open")
        size = path.stat().st_size if upto is None else min(upto, path.stat().st_size)
        known = self.db.conn.execute("select size, records from warc_files where name = ?", (name,)).fetchone()
        start, count = 0, 0
        if known and known[0] == size:
            self.report.files_skipped += 1
            return
        if known and known[0] < size:
            start, count = int(known[0]), int(known[1] or 0)
        elif known:
            ids = [r[0] for r in self.db.conn.execute("select id from captures where warc_file = ?", (name,))]
            self._delete_captures(ids)
        errors: list[str] = []
        batch: list[CaptureRecord] = []
        position = start
        for capture in iter_captures(path, errors, start=start, end=size):
            batch.append(capture)
            if len(batch) >= BATCH:
                documents = self.report.documents
                count += self._store(batch)
                self.meter.advance(capture.offset - position, self.report.documents - documents, path.name)
                position = capture.offset
                batch = []
        documents = self.report.documents
        count += self._store(batch)
        self.meter.advance(size - position, self.report.documents - documents, path.name)
        self.report.errors.extend(errors)  # type: ignore[union-attr]
        self.db.conn.execute("insert or replace into warc_files values (?, ?, ?, ?)", (name, size, count, _now()))
        self.db.conn.commit()
        self.report.files_indexed += 1

    def _delete_captures(self, ids: list[int]) -> None:
        for capture_id in ids:
            for (doc_id,) in self.db.conn.execute("select id from documents where capture_id = ?", (capture_id,)).fetchall():
                self._delete_document(doc_id)
            self.db.conn.execute("delete from captures where id = ?", (capture_id,))

    def _delete_document(self, doc_id: int) -> None:
        unindex_text(self.db.conn, doc_id)  # first: the full-text indexes read the row being removed
        self.db.conn.execute("delete from documents where id = ?", (doc_id,))

    def _store(self, batch: list[CaptureRecord]) -> int:
        if not batch:
            return 0
        conn = self.db.conn
        capture_ids = []
        for capture in batch:
            row = _capture_row(capture)
            cursor = conn.execute(f"insert into captures ({', '.join(row)}) values ({', '.join('?' * len(row))})",
                                  list(row.values()))
            capture_ids.append(int(cursor.lastrowid or 0))
        todo = [(capture, cid) for capture, cid in zip(batch, capture_ids) if _extractable(capture)]
        jobs = [(decode_payload(c), c.headers, c.url, c.provenance.get("agency", ""),
                 c.provenance.get("link_text", "") if c.provenance.get("role") == "attachment" else "")
                for c, _ in todo]
        for (capture, capture_id), doc in zip(todo, self.map(jobs)):
            prov = capture.provenance
            agency_id = self.agency_id(prov.get("agency", ""), prov.get("province", ""), prov.get("city", ""),
                                       prov.get("county", ""), prov.get("seed", ""))
            self._insert_document(_document_row(doc, capture_id, agency_id, prov.get("province", "")))
        self.report.captures += len(batch)
        self.report.documents += len(todo)
        conn.commit()
        return len(batch)

    def _insert_document(self, row: dict[str, Any], doc_id: int | None = None) -> int:
        conn = self.db.conn
        if doc_id is not None:
            row = {"id": doc_id, **row}
        cursor = conn.execute(f"insert into documents ({', '.join(row)}) values ({', '.join('?' * len(row))})",
                              list(row.values()))
        new_id = int(cursor.lastrowid or 0)
        index_text(conn, new_id, row["title_simplified"], row["text_simplified"] or "")
        return new_id

    # --- after all files ---

    def link_parents(self) -> None:
        """An attachment's parent is the latest document of the page that linked to it."""
        self.db.conn.execute("""
            update documents set parent_id = (
                select p.id from documents p join captures pc on pc.id = p.capture_id
                where p.url = (select c.via from captures c where c.id = documents.capture_id)
                order by pc.fetched_at desc limit 1)
            where kind != 'html'""")
        self.db.conn.commit()

    def reextract_stale(self) -> None:
        stale = self.db.conn.execute(
            "select d.id, c.warc_file, c.warc_offset from documents d join captures c on c.id = d.capture_id "
            "where d.extractor_version < ?", (EXTRACTOR_VERSION,)).fetchall()
        if not stale:
            return
        logger.info("re-extracting %d documents made by an older extractor", len(stale))
        files = {p.name.removesuffix(".open"): p for p in warc_files(self.archive)}
        for doc_id, warc_file, offset in stale:
            path = files.get(warc_file)
            if path is None:
                continue
            capture = _read_at(path, offset)
            if capture is None:
                continue
            old = self.db.conn.execute("select capture_id, agency_id, province, parent_id from documents where id = ?",
                                       (doc_id,)).fetchone()
            doc = _extract_job((decode_payload(capture), capture.headers, capture.url,
                                capture.provenance.get("agency", ""), ""))
            self._delete_document(doc_id)
            row = _document_row(doc, old[0], old[1], old[2])
            row["parent_id"] = old[3]
            self._insert_document(row, doc_id)
            self.report.reextracted += 1
        self.db.conn.commit()


def _read_at(path: Path, offset: int) -> CaptureRecord | None:
    """The capture whose response record starts at `offset` (with its provenance)."""
    for capture in iter_captures(path):
        if capture.offset == offset:
            return capture
    return None


def build_index(archive: Path, progress: bool = True, workers: int | None = None,
                committed: Mapping[str, int] | None = None) -> IndexReport:
    """Index every WARC record of `archive` not yet indexed; returns what was done.

    While a crawl holds the archive its open (`.open`) files are still growing: they are left alone,
    except those named in `committed` (final file name → bytes its writer has committed), which the
    crawl's own live updates read up to that point. One indexer at a time: a second waits.
    """
    archive = Path(archive)
    with _index_lock(archive):
        indexer = _Indexer(archive, workers or os.cpu_count() or 1)
        try:
            indexer.load_runs()
            files = warc_files(archive)
            holder = live_lock_holder(archive)
            crawl_running = holder is not None and holder.get("pid") != os.getpid()
            limits = dict(committed or {})
            todo = [p for p in files
                    if not (p.name.endswith(".open") and crawl_running and p.name.removesuffix(".open") not in limits)]
            indexer.meter = _Progress(progress, indexer.bytes_to_index(todo, limits))
            for path in todo:
                name = path.name.removesuffix(".open")
                if not path.exists():  # closed (renamed) by the crawl since it was listed
                    path = path.with_name(name)
                indexer.index_file(path, limits.get(name) if path.name.endswith(".open") else None)
            indexer.meter.finish()
            if indexer.report.files_indexed or not (archive / "index.cdxj").exists():
                _write_cdxj(archive)
            indexer.link_parents()
            indexer.reextract_stale()
            _store_figures(indexer.db)
            return indexer.report
        finally:
            indexer.close()


@contextlib.contextmanager
def _index_lock(archive: Path) -> Iterator[None]:
    """ARCHIVE/index.lock, held (flock, released even by a killed process) while index.db is written."""
    archive.mkdir(parents=True, exist_ok=True)
    with open(archive / "index.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            logger.info("another indexer is updating %s; waiting for it", archive / "index.db")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_cdxj(archive: Path) -> None:
    """ARCHIVE/index.cdxj for replay tools (pywb, ReplayWeb.page), written atomically."""
    from archive.warc.wacz import cdxj_lines

    lines = cdxj_lines(archive)
    if not lines:
        return
    tmp = archive / ".index.cdxj.tmp"
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, archive / "index.cdxj")


def _store_figures(db: sqlite_utils.Database) -> None:
    """Parse the statistical tables of reports (issue #7) when the parser is present."""
    try:
        from archive.index.figures import update_figures
    except ImportError:
        return
    update_figures(db)


class _Progress:
    """Indexing progress by bytes of WARC read: a bar redrawn on a terminal, a log line every 10 s otherwise."""

    def __init__(self, enabled: bool, total_bytes: int) -> None:
        self.enabled = enabled and total_bytes > 0
        self.total = max(total_bytes, 1)
        self.done = 0
        self.documents = 0
        self.started = self._shown = time.monotonic()
        self.tty = sys.stderr.isatty()

    def advance(self, nbytes: int, documents: int, name: str) -> None:
        """`nbytes` more bytes read and `documents` more documents stored, in file `name`."""
        self.done += nbytes
        self.documents += documents
        now = time.monotonic()
        if self.enabled and now - self._shown >= (0.2 if self.tty else 10.0):
            self._shown = now
            self._show(name)

    def finish(self) -> None:
        if self.enabled:
            self._show("done")
            if self.tty:
                sys.stderr.write("\n")

    def _show(self, name: str) -> None:
        share = min(self.done / self.total, 1.0)
        rate = self.documents / max(time.monotonic() - self.started, 1e-6)
        line = (f"{100 * share:3.0f}% · {_size(self.done)} of {_size(self.total)} · "
                f"{self.documents:,} documents ({rate:,.0f}/s) · {name[:60]}")
        if self.tty:
            filled = int(30 * share)
            sys.stderr.write(f"\r\033[Kindexing [{'#' * filled}{'.' * (30 - filled)}] {line}")
            sys.stderr.flush()
        else:
            logger.info("indexing: %s", line)


def _size(nbytes: int) -> str:
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:,.1f} {unit}" if nbytes < 10 * scale else f"{nbytes / scale:,.0f} {unit}"
    return f"{nbytes} B"
