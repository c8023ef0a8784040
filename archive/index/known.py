"""What the archive already holds, for deduplication at the start of a crawl: each URL's latest payload.

The index is a cache here, never the authority: it answers for the bytes of each WARC file it has
indexed, and the WARC files are read for the rest (files or tails not indexed yet, files the index does
not know, files cut back by `nianbao verify --repair`). Without an index, every file is read. A nightly
crawl of a large archive so reads only what was written since the last index, not the whole archive.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from archive.warc.reader import iter_captures, warc_files

__all__ = ["latest_payloads"]

logger = logging.getLogger(__name__)


def latest_payloads(archive: Path) -> dict[str, tuple[str, str]]:
    """url → (payload digest, WARC-Date) of its latest 200 `response` record in the archive."""
    files = {path.name.removesuffix(".open"): path for path in warc_files(archive)}
    covered, rows = _from_index(archive, files)
    latest: dict[str, tuple[str, str]] = {}

    def keep(url: str, digest: str, date: str) -> None:
        if url not in latest or date >= latest[url][1]:
            latest[url] = (digest, date)

    for url, digest, date, name in rows:
        if name in covered:
            keep(url, digest, date)
    for name, path in files.items():
        for capture in iter_captures(path, start=covered.get(name, 0)):
            if capture.status == 200 and capture.record_type == "response":
                keep(capture.url, capture.payload_digest, capture.date)
    return latest


def _from_index(archive: Path, files: dict[str, Path]) -> tuple[dict[str, int], list[tuple[str, str, str, str]]]:
    """(file name → bytes the index holds, for files still at least that long; the index's 200 responses)."""
    db = archive / "index.db"
    if not db.exists():
        return {}, []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            indexed = dict(conn.execute("select name, size from warc_files"))
            rows = conn.execute("select url, payload_digest, fetched_at, warc_file from captures "
                                "where status = 200 and record_type = 'response'").fetchall()
    except sqlite3.Error as exc:
        logger.warning("%s: cannot be read (%s); reading every WARC file instead", db, exc)
        return {}, []
    covered = {}
    for name, size in indexed.items():
        path = files.get(name)
        if path is not None and size and path.stat().st_size >= size:  # a shrunk file is read again, whole
            covered[name] = int(size)
    return covered, rows
