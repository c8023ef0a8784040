"""Integrity of an archive's WARC files: digests, torn records (a crawl killed mid-write), and repair.

`verify_warc` reads every record with digest checking; a file that ends inside a record is torn. Damage
with complete records after it (a flipped byte, a bad sector) is not a torn tail: it is reported, and
nothing cuts it off; an unreadable record is reported with its offset and the records after it are still
checked. Files other tools wrote (WARC or ARC, gzipped or not) are checked record by record; they have
no manifest by design, and nothing repairs them. `repair_warc` mends only what a killed crawl leaves: it
truncates a still-open file after its last complete record, keeps the cut tail beside it as `<name>.torn`
(nothing is deleted) and closes the file (`.open` renamed away, manifest written); a closed file that lost
its manifest, or whose manifest is unreadable (empty after a full disk), gets one. Closed files are
otherwise never changed: their manifest is the evidence of what they held.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.limitreader import LimitReader

from archive.warc.reader import next_record_start, record_iterator, written_by_nianbao

__all__ = ["WarcCheck", "complete_members_end", "repair_warc", "repairable", "verify_warc"]


@dataclass
class WarcCheck:
    """What verifying one file found."""

    path: Path
    records: int = 0
    good_end: int = 0  # offset just after the last complete, valid record
    torn: bool = False
    damaged: bool = False  # records damaged inside the file (not a torn tail): never cut, never re-manifested
    manifest_missing: bool = False
    manifest_bad: bool = False  # empty (a full disk while closing), cut or not JSON: written again by repair
    foreign: bool = False  # written by another tool: no manifest by design, never repaired
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a reader should know that is not a problem

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


def _record_follows(path: Path, offset: int) -> int:
    """Offset of the first complete WARC record (gzip member) that starts after `offset`, or -1."""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        at = data.find(b"\x1f\x8b\x08", offset + 1)
        while at != -1:
            if _complete_record_at(data, at):
                return at
            at = data.find(b"\x1f\x8b\x08", at + 1)
    return -1


def _complete_record_at(data: mmap.mmap, at: int) -> bool:
    """True when a whole gzip member holding a WARC record starts at `at`."""
    decompressor = zlib.decompressobj(31)
    position = at
    try:
        head = decompressor.decompress(data[position:position + 4096], 8)
        if not head.startswith(b"WARC/"):
            return False
        decompressor = zlib.decompressobj(31)
        while not decompressor.eof and position < len(data):
            decompressor.decompress(data[position:position + (1 << 20)])
            position += 1 << 20
    except zlib.error:
        return False
    return decompressor.eof


def verify_warc(path: Path) -> WarcCheck:
    """Check that the file ends on a record boundary, every complete record's digests, and its manifest.

    Never raises: what cannot be checked is a problem of this file, and the other files are checked."""
    check = WarcCheck(path)
    try:
        size = path.stat().st_size
        gzipped = _is_gzip(path)
        if gzipped:
            _check_members(check)
        else:  # another tool's uncompressed WARC or ARC: checked record by record, never cut
            check.good_end = size
        position: int | None = 0
        while position is not None:
            position = _check_records(check, position)
        _check_manifest(check, size)
        if check.good_end < size and not check.damaged:
            check.torn = True
            check.problems.append(f"{path.name}: torn: {size - check.good_end} bytes after the last "
                                  f"complete record (offset {check.good_end}); `nianbao verify --repair` "
                                  "cuts them off")
    except Exception as exc:  # a file nobody expected (unreadable, vanished, not a WARC at all)
        check.damaged = True
        check.problems.append(f"{path.name}: could not be checked ({type(exc).__name__}: {exc})")
    return check


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _check_members(check: WarcCheck) -> None:
    """Find the end of the last complete gzip member; damage with complete records after it is not a
    torn tail."""
    path = check.path
    _members, check.good_end, error = complete_members_end(path)
    if not error:
        return
    following = _record_follows(path, check.good_end)
    if following != -1:  # damage inside the file: cutting there would drop complete records
        check.damaged = True
        check.problems.append(
            f"{path.name}: damaged record at offset {check.good_end} ({error}); complete records follow it "
            f"(the next at offset {following}), so this is not a torn tail and `--repair` leaves it: "
            "restore the file from a copy")
    else:
        check.problems.append(f"{path.name}: {error}")


def _check_records(check: WarcCheck, start: int) -> int | None:
    """Read the complete records from `start` with digest checking; returns where to go on after an
    unreadable record (None when done)."""
    path = check.path
    with path.open("rb") as stream:
        stream.seek(start)
        # Only the complete records: the iterator must not try to parse a torn tail.
        iterator = record_iterator(LimitReader(stream, max(0, check.good_end - start)), check_digests=True)
        try:
            for record in iterator:
                offset = start + iterator.offset
                while record.raw_stream.read(1 << 20):  # the stored bytes: digests are over them, not decoded
                    pass
                if record.digest_checker.passed is False:
                    check.damaged = True
                    problems = "; ".join(record.digest_checker.problems)
                    check.problems.append(f"{path.name} offset {offset}: {problems}")
                check.records += 1
        except Exception as exc:  # warcio raises many kinds on a broken record
            failed = start + max(iterator.offset, 0)
            following = next_record_start(path, failed, check.good_end)
            check.damaged = True
            check.problems.append(f"{path.name}: unreadable record at offset {failed}, before offset "
                                  f"{check.good_end} ({' '.join(str(exc).split())[:300]})")
            return following
    return None


def _check_manifest(check: WarcCheck, size: int) -> None:
    """Compare a closed file with its manifest; a file nianbao did not write has none by design."""
    path = check.path
    manifest = path.with_name(path.name + ".manifest.json")
    if path.name.endswith(".open"):
        return
    if not manifest.exists():
        if not written_by_nianbao(path):
            check.foreign = True
            check.notes.append(f"{path.name}: not written by nianbao; records checked")
            return
        check.manifest_missing = True
        check.problems.append(f"{path.name}: no {manifest.name} (the crawl stopped while closing the file?); "
                              "`nianbao verify --repair` writes it when the file is otherwise intact")
        return
    expected, why = _read_manifest(manifest)
    if expected is None:
        check.manifest_bad = True
        check.problems.append(f"{path.name}: bad manifest {manifest.name} ({why}); `nianbao verify --repair` "
                              "writes it again when the file is otherwise intact")
        return
    digest = ""
    if expected.get("bytes") == size:
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    if expected.get("records") != check.records or digest != expected.get("sha256"):
        check.damaged = True
        check.problems.append(f"{path.name}: differs from {manifest.name} (records {check.records} vs "
                              f"{expected.get('records')}, size {size} vs {expected.get('bytes')})")


def _read_manifest(manifest: Path) -> tuple[dict[str, Any] | None, str]:
    """(the manifest's fields, '') or (None, why it is unusable): empty after a full disk, cut, not JSON."""
    try:
        data = manifest.read_bytes()
    except OSError as exc:
        return None, f"unreadable: {exc.strerror or exc}"
    if not data.strip():
        return None, f"{len(data)} bytes, empty"
    try:
        fields = json.loads(data.decode("utf-8"))
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        return None, f"not JSON: {exc}"
    if not isinstance(fields, dict) or not {"records", "bytes", "sha256"} <= fields.keys():
        return None, "not a manifest: records, bytes and sha256 expected"
    return fields, ""


def repairable(check: WarcCheck) -> bool:
    """True when `repair_warc` can mend the file: a still-open file with no damage before its torn tail,
    or a closed, intact file that lacks only its manifest."""
    if check.damaged or check.foreign:
        return False
    if check.path.name.endswith(".open"):
        return True
    return (check.manifest_missing or check.manifest_bad) and not check.torn


def repair_warc(path: Path) -> Path:
    """Mend what a killed crawl leaves (see `repairable`); returns the closed file's path.

    Raises ValueError, naming the problems, for anything else: damaged records are never cut off, and a
    closed file's manifest is never rewritten over a difference."""
    check = verify_warc(path)
    if not repairable(check):
        raise ValueError("; ".join(check.problems) or f"{path.name}: nothing to repair")
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
