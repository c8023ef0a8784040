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

__all__ = ["WarcCheck", "verify_warc", "repair_warc"]


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


def verify_warc(path: Path) -> WarcCheck:
    """Check every record's digests and that the file ends on a record boundary."""
    check = WarcCheck(path)
    size = path.stat().st_size
    try:
        with path.open("rb") as stream:
            iterator = ArchiveIterator(stream, check_digests=True)
            for record in iterator:
                offset = iterator.get_record_offset()
                stream_ = record.content_stream()
                while stream_.read(1 << 20):
                    pass
                if record.digest_checker.passed is False:
                    check.problems.append(f"{path.name} offset {offset}: " + "; ".join(record.digest_checker.problems))
                check.records += 1
                iterator.read_to_end(record)
                check.good_end = iterator.offset if hasattr(iterator, "offset") else stream.tell()
    except (ArchiveLoadFailed, EOFError, zlib.error, OSError, ValueError) as exc:
        check.torn = True
        check.problems.append(f"{path.name}: torn after offset {check.good_end} of {size} bytes ({exc})")
        return check
    if check.good_end < size:
        check.torn = True
        check.problems.append(f"{path.name}: {size - check.good_end} bytes after the last complete record")
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
    return final
