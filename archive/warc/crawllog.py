"""Heritrix-style crawl log: one line per fetch, flushed at least once a second (the WARC files, flushed
per exchange, are the record of what was fetched; a killed crawl loses at most a second of log lines).

Columns: time, status, size, URL, hop path, via, content type, duration (ms), digest, annotations.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

__all__ = ["CrawlLog"]


class CrawlLog:
    """Append-only crawl log file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self._flushed = time.monotonic()

    def write(self, *, status: int, size: int, url: str, hop_path: str, via: str, content_type: str,
              duration_ms: int, digest: str, annotations: str = "", when: str = "") -> None:
        """One line; '-' for empty fields, as Heritrix writes them. `when`: the fetch's WARC-Date, if known."""
        now = (when or dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"))[:23] + "Z"
        fields = [now, f"{status:>5}", f"{size:>10}", url, hop_path or "-", via or "-",
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
