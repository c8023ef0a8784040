"""Indexing progress by bytes of WARC read, reported as lines to a sink the caller chooses.

The library only formats: `nianbao index` draws the lines as a bar on a terminal; elsewhere
(the crawl's live updates, logs) they go to the log every 10 s.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

__all__ = ["IndexProgress", "ProgressSink", "human_size", "log_sink"]

logger = logging.getLogger(__name__)

# (line, share done 0..1, final) → None
ProgressSink = Callable[[str, float, bool], None]


def log_sink(line: str, share: float, final: bool) -> None:
    """Progress as log lines (INFO)."""
    logger.info("indexing: %s", line)


class IndexProgress:
    """Counts bytes read and documents stored; shows a line every `every` seconds through `sink`."""

    def __init__(self, sink: ProgressSink | None, total_bytes: int, every: float = 10.0) -> None:
        self.sink = sink if total_bytes > 0 else None
        self.total = max(total_bytes, 1)
        self.every = every
        self.done = 0
        self.documents = 0
        self.started = self._shown = time.monotonic()

    def advance(self, nbytes: int, documents: int, name: str) -> None:
        """`nbytes` more bytes read and `documents` more documents stored, in file `name`."""
        self.done += nbytes
        self.documents += documents
        now = time.monotonic()
        if self.sink is not None and now - self._shown >= self.every:
            self._shown = now
            self.sink(self.line(name), self.share, False)

    def finish(self) -> None:
        """Show the last line."""
        if self.sink is not None:
            self.sink(self.line("done"), self.share, True)

    @property
    def share(self) -> float:
        return min(self.done / self.total, 1.0)

    def line(self, name: str) -> str:
        """`40% · 1.0 MB of 2.5 MB · 120 documents (55/s) · <file>`."""
        rate = self.documents / max(time.monotonic() - self.started, 1e-6)
        return (f"{100 * self.share:3.0f}% · {human_size(self.done)} of {human_size(self.total)} · "
                f"{self.documents:,} documents ({rate:,.0f}/s) · {name[:60]}")


def human_size(nbytes: int) -> str:
    """`1.0 MB`, `25 MB`, `512 B`."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:,.1f} {unit}" if nbytes < 10 * scale else f"{nbytes / scale:,.0f} {unit}"
    return f"{nbytes} B"
