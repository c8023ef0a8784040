"""`build_index`: bring ARCHIVE/index.db up to date from the WARC files alone.

Only WARC files not yet indexed (or grown since) are read; documents whose `extractor_version` is
older than the extractor's are re-extracted from their records; extraction runs on every core
(`extraction.py`), rows are written by `store.py`, progress reported through `progress.py`.
Deleting index.db and rerunning gives the same rows (ids aside).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import sqlite_utils

from archive.index.extraction import ExtractionPool, ExtractJob
from archive.index.figures import parse_job, update_figures
from archive.index.groups import update_report_groups
from archive.index.progress import IndexProgress, ProgressSink, log_sink
from archive.index.rollups import update_names
from archive.index.store import IndexStore, document_row
from archive.index.versions import update_changes
from archive.lock import live_lock_holder
from archive.warc.cdxj import write_cdxj
from archive.warc.reader import CaptureRecord, decode_body, iter_captures, warc_files
from extract.document import EXTRACTOR_VERSION, Document

__all__ = ["IndexReport", "build_index", "update_derived"]

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
    errors: list[str] = field(default_factory=list)


def _extractable(capture: CaptureRecord) -> bool:
    if capture.record_type != "response" or capture.status != 200 or not capture.payload:
        return False
    if capture.url.endswith("/robots.txt"):
        return False
    ctype = capture.header("Content-Type").lower()
    return not ctype or any(t in ctype for t in _EXTRACTABLE_TYPES)


def _job_of(capture: CaptureRecord) -> ExtractJob:
    """The extraction job of a capture; an attachment's link text is its title until the file says otherwise."""
    prov = capture.provenance
    decoded = decode_body(capture)  # bounded: a decompression bomb is cut, not inflated
    return ExtractJob(decoded.body, capture.headers, capture.url, prov.get("agency", ""),
                      prov.get("link_text", "") if prov.get("role") == "attachment" else "", decoded.error)


@dataclass
class _Batch:
    """Captures read together and stored in one transaction, with the documents of those `_extractable`
    (in order, as the workers finish them)."""

    captures: list[CaptureRecord]
    upto: int  # the file is indexed up to this byte once the batch is stored
    nbytes: int
    documents: Iterator[Document]


class _Indexer:
    def __init__(self, archive: Path, workers: int) -> None:
        self.archive = archive
        self.store = IndexStore(archive / "index.db")
        self.pool = ExtractionPool(workers)
        self.report = IndexReport()
        self.meter = IndexProgress(None, 0)

    def close(self) -> None:
        self.pool.close()
        self.store.close()

    def load_runs(self) -> None:
        for path in sorted((self.archive / "runs").glob("*.json")):
            try:
                run = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as exc:
                self.report.errors.append(f"{path}: unreadable run record ({exc})")
                continue
            self.store.upsert_run(run)

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
            known = self.store.indexed(name)
            total += size - known[0] if known and known[0] <= size else size
        return total

    def index_file(self, path: Path, upto: int | None = None) -> None:
        """Index the records of `path` not yet indexed, up to byte `upto` (default: the whole file).

        WARC files only grow by whole records, so a file indexed up to N bytes is read on from N; a file
        that shrank (cut back by `nianbao verify --repair`) is indexed again, whole.
        """
        name = path.name.removesuffix(".open")
        size = path.stat().st_size if upto is None else min(upto, path.stat().st_size)
        known = self.store.indexed(name)
        start, count = 0, 0
        if known and known[0] == size:
            self.report.files_skipped += 1
            return
        if known and known[0] < size:
            start, count = known
        elif known:
            self.store.delete_captures(self.store.captures_of(name))
        errors: list[str] = []
        batch: list[CaptureRecord] = []
        position = start
        pending: _Batch | None = None  # being extracted by the workers while this process stores the one before
        for capture in iter_captures(path, errors, start=start, end=size):
            if len(batch) >= BATCH:  # stored with the file's progress up to this capture, in one transaction
                started = self._start_batch(batch, capture.offset, capture.offset - position)
                if pending is not None:
                    count += self._store_batch(pending, name, count)
                position, batch, pending = capture.offset, [], started
            batch.append(capture)
        last = self._start_batch(batch, size, size - position)
        for done in (pending, last):
            if done is not None:
                count += self._store_batch(done, name, count)
        self.report.errors.extend(errors)
        self.report.files_indexed += 1

    def _start_batch(self, batch: list[CaptureRecord], upto: int, nbytes: int) -> _Batch:
        """Hand the extractable captures of `batch` to the workers; their documents come as they are done."""
        return _Batch(batch, upto, nbytes, self.pool.map([_job_of(c) for c in batch if _extractable(c)]))

    def _store_batch(self, batch: _Batch, name: str, stored: int) -> int:
        """Store `batch` and record file `name` as indexed up to its end: an interrupted index resumes
        exactly after what it committed, never storing a capture twice."""
        documents = self.report.documents
        capture_ids = [self.store.insert_capture(capture) for capture in batch.captures]
        self._store_documents([(c, cid, None) for c, cid in zip(batch.captures, capture_ids, strict=True)
                               if _extractable(c)], batch.documents)
        self.report.captures += len(batch.captures)
        self.store.mark_indexed(name, batch.upto, stored + len(batch.captures))
        self.store.commit()
        self.meter.advance(batch.nbytes, self.report.documents - documents, name)
        return len(batch.captures)

    def _store_documents(self, todo: list[tuple[CaptureRecord, int, int | None]],
                         docs: Iterator[Document] | None = None) -> None:
        """Store the documents of (capture, capture id, document id to keep or None), extracted here unless
        `docs` brings them: the one path of first extraction and re-extraction, so both give the same rows."""
        if docs is None:
            docs = self.pool.map([_job_of(c) for c, _, _ in todo])
        for (capture, capture_id, doc_id), doc in zip(todo, docs, strict=True):
            prov = capture.provenance
            agency_id = self.store.agency_id(prov.get("agency", ""), prov.get("province", ""), prov.get("city", ""),
                                             prov.get("county", ""), prov.get("seed", ""))
            if doc_id is not None:
                self.store.delete_document(doc_id)
            self.store.insert_document(document_row(doc, capture_id, agency_id, prov.get("province", "")), doc_id)
        self.report.documents += len(todo)

    def reextract_stale(self) -> None:
        """Re-extract documents made by an older extractor, each read by its record's offset."""
        # ids only (8 bytes each), in file order: after an extractor upgrade every document is stale
        stale = array("q", (row[0] for row in self.store.conn.execute(
            "select d.id from documents d join captures c on c.id = d.capture_id where d.extractor_version < ? "
            "order by c.warc_file, c.warc_offset", (EXTRACTOR_VERSION,))))
        if not stale:
            return
        logger.info("re-extracting %d documents made by an older extractor", len(stale))
        files = {p.name.removesuffix(".open"): p for p in warc_files(self.archive)}
        todo: list[tuple[CaptureRecord, int, int | None]] = []
        for doc_id, capture_id, warc_file, offset in self._locations(stale):
            path = files.get(warc_file)
            capture = _read_at(path, offset) if path is not None else None
            if capture is None:
                self.report.errors.append(f"{warc_file}@{offset}: record of document {doc_id} not found; "
                                          "it keeps its old extraction")
                continue
            todo.append((capture, capture_id, doc_id))
            if len(todo) >= BATCH:
                self._reextract(todo)
                todo = []
        self._reextract(todo)

    def _locations(self, ids: array[int]) -> Iterator[tuple[int, int, str, int]]:
        """(document id, capture id, WARC file, offset) of documents `ids`, in their order, read BATCH at a time."""
        for start in range(0, len(ids), BATCH):
            chunk = list(ids[start:start + BATCH])
            rows = {row[0]: row for row in self.store.conn.execute(
                "select d.id, d.capture_id, c.warc_file, c.warc_offset from documents d join captures c "
                f"on c.id = d.capture_id where d.id in ({', '.join('?' * len(chunk))})", chunk)}
            yield from (rows[doc_id] for doc_id in chunk if doc_id in rows)

    def _reextract(self, todo: list[tuple[CaptureRecord, int, int | None]]) -> None:
        documents = self.report.documents
        self._store_documents(todo)
        self.report.documents = documents  # re-extracted, not new
        self.report.reextracted += len(todo)
        self.store.commit()


def _read_at(path: Path, offset: int) -> CaptureRecord | None:
    """The capture whose response record starts at `offset` (with its provenance), read from there on."""
    for capture in iter_captures(path, start=offset):
        return capture if capture.offset == offset else None
    return None


def _files_to_index(archive: Path, limits: Mapping[str, int]) -> list[Path]:
    """WARC files to read: all of them, but the `.open` files of a crawl that is still running only
    when that crawl says how far they are committed (`limits`)."""
    holder = live_lock_holder(archive)
    crawl_running = holder is not None and holder.get("pid") != os.getpid()
    return [p for p in warc_files(archive)
            if not (p.name.endswith(".open") and crawl_running and p.name.removesuffix(".open") not in limits)]


def build_index(archive: Path, progress: bool | ProgressSink = True, workers: int | None = None,
                committed: Mapping[str, int] | None = None, progress_every: float = 10.0,
                rebuild: bool = False) -> IndexReport:
    """Index every WARC record of `archive` not yet indexed; returns what was done.

    While a crawl holds the archive its open (`.open`) files are still growing: they are left alone,
    except those named in `committed` (final file name → bytes its writer has committed), which the
    crawl's own live updates read up to that point. One indexer at a time: a second waits.
    `progress`: True logs a line every `progress_every` seconds, a callable receives the lines.
    `rebuild`: start from an empty index (under the lock, so no other indexer is writing it).
    """
    archive = Path(archive)
    sink = log_sink if progress is True else progress or None
    with _index_lock(archive):
        if rebuild:
            for name in ("index.db", "index.db-wal", "index.db-shm", "index.cdxj"):
                (archive / name).unlink(missing_ok=True)
        indexer = _Indexer(archive, workers or os.cpu_count() or 1)
        try:
            indexer.load_runs()
            limits = dict(committed or {})
            todo = _files_to_index(archive, limits)
            indexer.meter = IndexProgress(sink, indexer.bytes_to_index(todo, limits), progress_every)
            for path in todo:
                name = path.name.removesuffix(".open")
                if not path.exists():  # closed (renamed) by the crawl since it was listed
                    path = path.with_name(name)
                indexer.index_file(path, limits.get(name) if path.name.endswith(".open") else None)
            indexer.meter.finish()
            if indexer.report.files_indexed or not (archive / "index.cdxj").exists():
                write_cdxj(archive)
            indexer.reextract_stale()
            indexer.store.link_parents()
            update_derived(indexer.store.db, indexer.pool)
            return indexer.report
        finally:
            indexer.close()


def update_derived(db: sqlite_utils.Database, pool: ExtractionPool | None = None) -> None:
    """The update's last steps, from the documents as stored: report figures (parsed on `pool`'s workers when
    given), report groups, versions and withdrawals, and the simplified spelling of names added since."""
    update_figures(db, partial(pool.run, parse_job) if pool is not None else None)
    update_report_groups(db.conn)
    update_changes(db.conn)
    update_names(db.conn)


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
