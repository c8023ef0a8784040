"""Sorting lines of text that may not fit in memory: sorted runs written to files, then merged.

What CDXJ needs for an archive of millions of records (archive/warc/cdxj.py): memory bounded by one run
(`RUN_LINES` lines) and by the files merged at once (`FAN_IN`, under the usual limit of 1,024 open files).
"""

from __future__ import annotations

import contextlib
import heapq
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

__all__ = ["FAN_IN", "RUN_LINES", "merged_lines", "sort_into"]

RUN_LINES = 100_000
FAN_IN = 200


def sort_into(lines: Iterable[str], out: Path, header: str = "", run_lines: int | None = None) -> None:
    """Write `lines` (without newlines) sorted into `out`, atomically, after an optional `header` line;
    at most `run_lines` lines are held in memory, the rest in sorted runs beside `out`."""
    run_lines = run_lines or RUN_LINES
    runs: list[Path] = []
    chunk: list[str] = []
    try:
        for line in lines:
            chunk.append(line)
            if len(chunk) >= run_lines:
                runs.append(_write_run(sorted(chunk), out.parent))
                chunk.clear()
        chunk.sort()
        if runs and chunk:
            runs.append(_write_run(chunk, out.parent))
            chunk = []
        with _atomic(out) as handle:
            if header:
                handle.write(header + "\n")
            handle.writelines(line + "\n" for line in (merged_lines(runs) if runs else chunk))
    finally:
        for run in runs:
            run.unlink(missing_ok=True)


def merged_lines(paths: list[Path], skip_prefix: str = "!", fan_in: int | None = None) -> Iterator[str]:
    """The lines (without newlines) of files each sorted, in sorted order; lines starting with `skip_prefix`
    (headers) are left out. More than `fan_in` files are first merged in groups into temporary files."""
    fan_in = fan_in or FAN_IN
    if len(paths) <= fan_in:
        yield from _merge_open(paths, skip_prefix)
        return
    groups: list[Path] = []
    try:
        for start in range(0, len(paths), fan_in):
            groups.append(_write_run(_merge_open(paths[start:start + fan_in], skip_prefix), paths[0].parent))
        yield from merged_lines(groups, skip_prefix, fan_in)
    finally:
        for group in groups:
            group.unlink(missing_ok=True)


def _merge_open(paths: list[Path], skip_prefix: str) -> Iterator[str]:
    with contextlib.ExitStack() as stack:
        handles = [stack.enter_context(path.open(encoding="utf-8")) for path in paths]
        streams = [(line.rstrip("\n") for line in handle if not (skip_prefix and line.startswith(skip_prefix)))
                   for handle in handles]
        yield from heapq.merge(*streams)


def _write_run(lines: Iterable[str], folder: Path) -> Path:
    handle, name = tempfile.mkstemp(prefix=".sort-", suffix=".run", dir=folder)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.writelines(line + "\n" for line in lines)
    return Path(name)


@contextlib.contextmanager
def _atomic(path: Path) -> Iterator[TextIO]:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            yield handle
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
