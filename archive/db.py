"""Opening index.db outside the indexer: connections that are closed when the block ends.

`with sqlite3.connect(...) as conn` commits or rolls back but leaves the connection open (Python 3.13
warns about it as a ResourceWarning); these helpers close it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

__all__ = ["connect", "read_only"]


@contextlib.contextmanager
def read_only(path: Path, timeout: float = 5.0) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the SQLite file at `path`, closed at the end of the block."""
    conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, timeout=timeout)
    try:
        yield conn
    finally:
        conn.close()


@contextlib.contextmanager
def connect(path: Path, timeout: float = 60.0) -> Iterator[sqlite3.Connection]:
    """A read-write connection, committed when the block succeeds, rolled back otherwise, always closed."""
    conn = sqlite3.connect(str(path), timeout=timeout)
    try:
        with conn:
            yield conn
    finally:
        conn.close()
