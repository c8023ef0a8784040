"""Integrity of an archive's WARC files: digests, torn records (a crawl killed mid-write), and repair.

`verify_warc` reads every record with digest checking; a file that ends inside a record is torn.
`repair_warc` truncates a torn file after its last complete record, keeps the cut tail beside it as
`<name>.torn` (nothing is deleted) and closes the file (`.open` renamed away).
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

__all__ = ["WarcCheck", "verify_warc", "repair_warc", "complete_members_end"]


@dataclass
class WarcCheck:
    """What verifying one file found."""

    path: Path
    records: int = 0
    good_end: int = 0  # offset just after the last complete, valid record
    torn: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.torn and not self.problems


def complete_members_end(path: Path) -> tuple[int, int, str]:
    """(members, offset after the last complete gzip member, error) — a killed writer leaves a partial one."""
    members = good_end = 0
    error = ""
    with path.open("rb") as stream:
        position = 0
        decompressor = zlib.decompressobj(31)
        pending = b""
        while True:
            chunk = pending or stream.read(1 << 20)
            pending = b""
            if not chunk:
                break
            try:
                decompressor.decompress(chunk)
            except zlib.error as exc:
                error = f"corrupt gzip data after offset {good_end}: {exc}"
                break
            if decompressor.eof:
                unused = decompressor.unused_data
                position += len(chunk) - len(unused)
                members += 1
                good_end = position
                decompressor = zlib.decompressobj(31)
                pending = unused
            else:
                position += len(chunk)
    return members, good_end, error


def verify_warc(path: Path) -> WarcCheck:
    """Check that the file ends on a record boundary and every complete record's digests."""
    check = WarcCheck(path)
    size = path.stat().st_size
    _members, check.good_end, error = complete_members_end(path)
    if error:
        check.problems.append(f"{path.name}: {error}")
    try:
        with path.open("rb") as stream:
            iterator = ArchiveIterator(stream, check_digests=True)
            for record in iterator:
                offset = iterator.get_record_offset()
                if offset >= check.good_end:
                    break  # the partial record a killed writer left
                content = record.content_stream()
                while content.read(1 << 20):
                    pass
                if record.digest_checker.passed is False:
                    check.problems.append(f"{path.name} offset {offset}: " + "; ".join(record.digest_checker.problems))
                check.records += 1
    except (ArchiveLoadFailed, EOFError, zlib.error, OSError, ValueError) as exc:
        check.problems.append(f"{path.name}: unreadable record before offset {check.good_end} ({exc})")
    manifest = path.with_name(path.name + ".manifest.json")
    if manifest.exists():
        import hashlib
        import json

        expected = json.loads(manifest.read_text(encoding="utf-8"))
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if expected.get("bytes") == size else ""
        if expected.get("records") != check.records or digest != expected.get("sha256"):
            check.problems.append(f"{path.name}: differs from {manifest.name} (records {check.records} vs "
                                  f"{expected.get('records')}, size {size} vs {expected.get('bytes')})")
    if check.good_end < size:
        check.torn = True
        check.problems.append(f"{path.name}: torn: {size - check.good_end} bytes after the last complete record "
                              f"(offset {check.good_end}); `nianbao verify --repair` cuts them off")
    return check


def repair_warc(path: Path) -> Path:
    """Cut a torn file after its last complete record; returns the repaired (closed) file's path."""
    check = verify_warc(path)
    final = path.with_name(path.name.removesuffix(".open"))
    if check.torn:
        with path.open("rb+") as handle:
            handle.seek(check.good_end)
            tail = handle.read()
            handle.truncate(check.good_end)
            handle.flush()
            os.fsync(handle.fileno())
        if tail:
            final.with_name(final.name + ".torn").write_bytes(tail)
    if path != final:
        os.replace(path, final)
    from archive.warc.writer import write_manifest

    write_manifest(final, check.records)
    return final
