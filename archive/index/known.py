"""What the archive already holds, for a crawl's start: each URL's latest payload, validators and copy.

The index is a cache here, never the authority: it answers for the bytes of each WARC file it has
indexed, and the WARC files are read for the rest (files or tails not indexed yet, files the index does
not know, files cut back by `nianbao verify --repair`). Without an index, every file is read. A nightly
crawl of a large archive so reads only what was written since the last index, not the whole archive.

The index is asked one URL at a time, when the crawl meets the URL (an indexed lookup, ~20 µs), rather
than loaded into dicts at the start: an archive's history only grows, and a dict of every URL it ever
answered costs ~400 bytes a URL in every crawler process (1.2 GB at the whole country's 3 million).
Only what the index does not cover is held in memory.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from archive.warc.reader import iter_captures, warc_files

__all__ = ["IndexedLatest", "KnownReports", "LatestPayloads", "latest_payloads"]

logger = logging.getLogger(__name__)


def _open(db: Path) -> sqlite3.Connection | None:
    """A read-only connection to `db` kept for the crawl (its reactor thread asks it), or None."""
    if not db.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30, check_same_thread=False)
        conn.execute("select 1 from captures limit 1")
    except sqlite3.Error as exc:
        logger.warning("%s: cannot be read (%s); reading every WARC file instead", db, exc)
        return None
    return conn


class _OnIndex:
    """A lookup holding a read-only connection to the index for the crawl's life."""

    def __init__(self, db: Path) -> None:
        self._conn = _open(Path(db))

    def close(self) -> None:
        """Close the index connection (at the crawl's end); lookups then answer from memory only."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class IndexedLatest(_OnIndex, Mapping[str, tuple[Any, ...]]):
    """url → `convert`(columns) of the URL's latest capture matching `where` in the index (latest by
    fetched_at, then by the order indexed), asked one URL at a time; empty without an index."""

    def __init__(self, db: Path, columns: str, where: str, convert: Callable[[tuple[Any, ...]], tuple[Any, ...]],
                 what: str) -> None:
        super().__init__(db)
        self._one = (f"select {columns} from captures where url = ? and {where} "
                     "order by fetched_at desc, id desc limit 1")
        self._urls = f"select distinct url from captures where {where}"
        self._convert = convert
        self._what = what

    def __getitem__(self, url: str) -> tuple[Any, ...]:
        row = next(iter(self._query(self._one, (url,))), None)
        if row is None:
            raise KeyError(url)
        return self._convert(row)

    def __iter__(self) -> Iterator[str]:
        return (url for (url,) in self._query(self._urls, ()))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def _query(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor | Iterator[Any]:
        if self._conn is None:
            return iter(())
        try:
            return self._conn.execute(sql, args)
        except sqlite3.Error as exc:  # the index replaced or damaged under a running crawl
            logger.warning("index no longer readable for %s (%s): the crawl goes on without it", self._what, exc)
            self._conn = None
            return iter(())


class LatestPayloads(_OnIndex, Mapping[str, tuple[str, str]]):
    """url → (payload digest, WARC-Date) of its latest 200 `response` record in the archive: the index for
    the bytes it covers, asked per URL; the WARC files for the rest, read now and held."""

    def __init__(self, archive: Path) -> None:
        files = {path.name.removesuffix(".open"): path for path in warc_files(archive)}
        super().__init__(Path(archive) / "index.db")
        self._covered = self._coverage(files) if self._conn is not None else {}
        self._tail: dict[str, tuple[str, str]] = {}
        for name, path in files.items():
            for capture in iter_captures(path, start=self._covered.get(name, 0)):
                if capture.status == 200 and capture.record_type == "response":
                    known = self._tail.get(capture.url)
                    if known is None or capture.date >= known[1]:
                        self._tail[capture.url] = (capture.payload_digest, capture.date)

    def _coverage(self, files: dict[str, Path]) -> dict[str, int]:
        """File name → bytes the index holds, for files still at least that long (a shrunk file is read again,
        whole)."""
        assert self._conn is not None
        covered = {}
        for name, size in self._conn.execute("select name, size from warc_files"):
            path = files.get(name)
            if path is not None and size and path.stat().st_size >= size:
                covered[name] = int(size)
        return covered

    def _indexed(self, url: str) -> tuple[str, str] | None:
        if self._conn is None:
            return None
        try:
            rows = self._conn.execute("select payload_digest, fetched_at, warc_file from captures where url = ? "
                                      "and status = 200 and record_type = 'response' order by fetched_at desc, id desc",
                                      (url,))
            return next(((digest, date) for digest, date, name in rows if name in self._covered), None)
        except sqlite3.Error as exc:
            logger.warning("index no longer readable (%s): payloads are deduplicated against this run's only", exc)
            self._conn = None
            return None

    def __getitem__(self, url: str) -> tuple[str, str]:
        indexed, tail = self._indexed(url), self._tail.get(url)
        best = tail if indexed is None or (tail is not None and tail[1] >= indexed[1]) else indexed
        if best is None:
            raise KeyError(url)
        return best

    def __iter__(self) -> Iterator[str]:
        if self._conn is not None:
            rows = self._conn.execute("select url, warc_file from captures where status = 200 "
                                      "and record_type = 'response' order by url")
            previous = None
            for url, name in rows:
                if url != previous and name in self._covered:
                    previous = url
                    yield url
        yield from (url for url in self._tail if self._indexed(url) is None)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def latest_payloads(archive: Path) -> LatestPayloads:
    """url → (payload digest, WARC-Date) of its latest 200 `response` record in the archive."""
    return LatestPayloads(archive)


class KnownReports(_OnIndex, Mapping[str, tuple[str, str, str, str]]):
    """url → (when it was last asked, its seed, agency, province) of every report document of the index
    (pages and files; the identity of its latest capture), asked per URL or streamed in URL order; empty
    without an index."""

    _ROWS = ("select d.url, (select max(k.fetched_at) from captures k where k.url = d.url), c.seed, d.agency, "
             "d.province from documents d join captures c on c.id = d.capture_id where d.is_report = 1 {where} "
             "order by d.url, c.fetched_at, c.id")

    def _rows(self, where: str = "", args: tuple[Any, ...] = ()) -> Iterator[tuple[str, tuple[str, str, str, str]]]:
        """(url, value) per URL in URL order: the last of its rows, the latest capture."""
        if self._conn is None:
            return
        previous: tuple[str, tuple[str, str, str, str]] | None = None
        for url, last, seed, agency, province in self._conn.execute(self._ROWS.format(where=where), args):
            if previous is not None and previous[0] != url:
                yield previous
            previous = (url, (last or "", seed or "", agency or "", province or ""))
        if previous is not None:
            yield previous

    def __getitem__(self, url: str) -> tuple[str, str, str, str]:
        for _url, value in self._rows("and d.url = ?", (url,)):
            return value
        raise KeyError(url)

    def __iter__(self) -> Iterator[str]:
        return (url for url, _value in self._rows())

    def __len__(self) -> int:
        if self._conn is None:
            return 0
        return int(self._conn.execute("select count(distinct url) from documents where is_report = 1").fetchone()[0])

    def items(self) -> Iterator[tuple[str, tuple[str, str, str, str]]]:  # type: ignore[override]
        """Every known report, streamed in one query (a recheck walks them all)."""
        return self._rows()
