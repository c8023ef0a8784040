"""CDXJ, the index replay tools read (pywb, ReplayWeb.page): one line per response or revisit record.

Written beside the archive as ARCHIVE/index.cdxj by every index update that read new records, and
into a WACZ by `nianbao pack`; both come from `cdxj_lines`.

A closed WARC file never changes, so its lines are sorted once into ARCHIVE/cdxj/NAME.cdxj (a cache:
derived, deleted at will; a file cut back by `nianbao verify --repair` is read again, its size being
recorded in the cache's first line). The archive's index is those files merged: an update reads only the
WARC files new since the last one, and memory stays bounded however large the archive grows.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

from archive.warc.external_sort import merged_lines, sort_into
from archive.warc.reader import iter_captures, warc_files

__all__ = ["CACHE_DIR", "cdxj_lines", "file_lines", "surt", "write_cdxj"]

CACHE_DIR = "cdxj"
_HEADER = "!nianbao-cdxj "
_FORMAT = 1  # raised when a line's content changes: every cache file is then made again


def surt(url: str) -> str:
    """Sort-friendly URL key: `cn,gov,example)/path?query`."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    key = ",".join(reversed(host.split(".")))
    if parts.port and parts.port not in (80, 443):
        key += f":{parts.port}"
    path = (parts.path or "/").lower()
    return f"{key}){path}" + (f"?{parts.query.lower()}" if parts.query else "")


def _timestamp(warc_date: str) -> str:
    return "".join(ch for ch in warc_date if ch.isdigit())[:14]


def file_lines(path: Path) -> Iterator[str]:
    """One CDXJ line per response/revisit record of one WARC file, in file order."""
    for capture in iter_captures(path):
        fields = {"url": capture.url, "mime": capture.header("Content-Type").split(";")[0].strip() or "unk",
                  "status": str(capture.status), "digest": capture.payload_digest, "length": str(capture.length),
                  "offset": str(capture.offset), "filename": capture.warc_file}
        if capture.record_type == "revisit":
            fields["mime"] = "warc/revisit"
        yield f"{surt(capture.url)} {_timestamp(capture.date)} {json.dumps(fields, ensure_ascii=False)}"


def cdxj_lines(archive: Path) -> Iterator[str]:
    """One CDXJ line per response/revisit record of the archive, sorted as replay tools expect; streamed."""
    with _cache_dir(Path(archive)) as cache:
        sorted_files = [_sorted_file(path, cache) for path in warc_files(archive)]
        _drop_stale(cache, {path.name for path in sorted_files})
        try:
            yield from merged_lines(sorted_files)
        finally:
            for path in sorted_files:
                if path.name.startswith(".open-"):
                    path.unlink(missing_ok=True)


@contextlib.contextmanager
def _cache_dir(archive: Path) -> Iterator[Path]:
    """ARCHIVE/cdxj, or a temporary folder when the archive cannot be written (a read-only copy)."""
    cache = archive / CACHE_DIR
    try:
        cache.mkdir(exist_ok=True)
        writable = os.access(cache, os.W_OK)
    except OSError:
        writable = False
    if writable:
        yield cache
        return
    with tempfile.TemporaryDirectory(prefix="nianbao-cdxj-") as tmp:
        yield Path(tmp)


def _sorted_file(warc: Path, cache: Path) -> Path:
    """The cache file of closed WARC file `warc`, made when missing or made for another size; for a file
    still being written (`.open`), a temporary one."""
    size = warc.stat().st_size
    if warc.name.endswith(".open"):
        out = cache / f".open-{os.getpid()}-{warc.name}.cdxj"
        sort_into(file_lines(warc), out)
        return out
    out = cache / f"{warc.name}.cdxj"
    header = _HEADER + json.dumps({"warc": warc.name, "bytes": size, "format": _FORMAT})
    try:
        with out.open(encoding="utf-8") as handle:
            if handle.readline().rstrip("\n") == header:
                return out
    except OSError:
        pass
    sort_into(file_lines(warc), out, header)
    return out


def _drop_stale(cache: Path, current: set[str]) -> None:
    """Remove cache files of WARC files no longer in the archive (moved out, or renamed)."""
    for path in cache.glob("*.cdxj"):
        if path.name not in current and not path.name.startswith("."):  # dot files: another process's
            path.unlink(missing_ok=True)


def write_cdxj(archive: Path) -> None:
    """ARCHIVE/index.cdxj, written atomically (nothing when the archive holds no capture)."""
    archive = Path(archive)
    tmp = archive / f".index.cdxj.{os.getpid()}.tmp"
    try:
        with tmp.open("w", encoding="utf-8") as out:
            written = 0
            for line in cdxj_lines(archive):
                out.write(line + "\n")
                written += 1
        if written:
            os.replace(tmp, archive / "index.cdxj")
    finally:
        tmp.unlink(missing_ok=True)
