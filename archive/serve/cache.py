"""Results of whole-index queries kept while the index stays as it is.

The coverage map counts every agency of the index (tens of milliseconds at 10,000 agencies, read from
`report_years`); that and the other whole-index answers are kept per index state — the sizes and times of
`index.db` and its WAL, which change with every write, a live crawl's included — so only the first page
after a change pays.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["index_state", "memo"]

T = TypeVar("T")
_KEPT = 16
_cache: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
_lock = threading.Lock()


def index_state(db: Path) -> tuple[int, ...]:
    """A value that changes whenever the index file or its write-ahead log does."""
    state: list[int] = []
    for path in (db, db.with_name(db.name + "-wal")):
        try:
            stat = path.stat()
            state += [stat.st_size, stat.st_mtime_ns, stat.st_ino]
        except OSError:
            state += [0, 0, 0]
    return tuple(state)


def memo(db: Path, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """`compute()`'s answer for `key` on the index as it is now, computed once per index state."""
    full = (str(db), index_state(db), *key)
    with _lock:
        if full in _cache:
            _cache.move_to_end(full)
            return _cache[full]  # type: ignore[no-any-return]
    value = compute()
    with _lock:
        _cache[full] = value
        while len(_cache) > _KEPT:
            _cache.popitem(last=False)
    return value
