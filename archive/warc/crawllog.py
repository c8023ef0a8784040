"""Heritrix-style crawl log: one line per fetch, flushed at least once a second (the WARC files, flushed
per exchange, are the record of what was fetched; a killed crawl loses at most a second of log lines).

Columns: time, status, size, URL, hop path, via, content type, duration (ms), digest, annotations.
A fetch that got no HTTP answer is logged with Heritrix's negative fetch-status codes (below) and an
`err=<exception>` annotation; `attempt=N` marks a retry.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

__all__ = [
    "CONNECTION_LOST",
    "CONNECT_FAILED",
    "DNS_FAILED",
    "ROBOTS_PRECLUDED",
    "RUNTIME_ERROR",
    "TIMEOUT",
    "CrawlLog",
]

# Heritrix's fetch-status codes for fetches without an HTTP status (org.archive.crawler.datamodel.FetchStatusCodes).
DNS_FAILED = -1
CONNECT_FAILED = -2
CONNECTION_LOST = -3
TIMEOUT = -4
RUNTIME_ERROR = -5
ROBOTS_PRECLUDED = -9998


class CrawlLog:
    """Append-only crawl log file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self._flushed = time.monotonic()

    def write(self, *, status: int, size: int | None, url: str, hop_path: str, via: str, content_type: str,
              duration_ms: int, digest: str, annotations: str = "", when: str = "") -> None:
        """One line; '-' for empty fields (and the size of a fetch without an answer), as Heritrix writes them.
        `when`: the fetch's WARC-Date, if known."""
        now = (when or dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"))[:23] + "Z"
        fields = [now, f"{status:>5}", f"{'-' if size is None else size:>10}", url, hop_path or "-", via or "-",
                  (content_type or "-").split(";")[0], f"{duration_ms}ms", digest or "-", annotations or "-"]
        with self._lock:
            self._file.write(" ".join(fields) + "\n")
            if time.monotonic() - self._flushed >= 1.0:
                self._file.flush()
                self._flushed = time.monotonic()

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self._file.close()
