"""Read captures back from WARC and ARC files: response/revisit records joined with their metadata
(provenance).

nianbao's own files (.warc.gz) and other tools' (uncompressed .warc, .arc, .arc.gz) are read alike; the
format is told by the bytes, not by the name. Every capture carries its position (file, offset): records of
other tools may lack a WARC-Record-ID, and ARC records have none. A record that cannot be read is reported
with its file and offset and skipped, and reading goes on with the next gzip member (the next record of an
uncompressed WARC). Torn files (a crawl killed mid-record) are read up to the last complete record. Damage is
reported, never raised.
"""

from __future__ import annotations

import io
import logging
import mmap
import os
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParserException

from archive.warc.inflate import MAX_DECODED_BYTES, MAX_RATIO, Decoded, dechunk, inflate, parse_codings

__all__ = ["WARC_SUFFIXES", "CaptureRecord", "Decoded", "decode_body", "decode_payload", "iter_captures",
           "next_record_start", "read_record", "record_iterator", "warc_files", "warcinfo",
           "written_by_nianbao"]

logger = logging.getLogger(__name__)

# What `warc_files` reads: nianbao's closed and open files, and other tools' uncompressed WARC and ARC files.
WARC_SUFFIXES = (".warc.gz", ".warc.gz.open", ".warc", ".arc", ".arc.gz")


@dataclass
class CaptureRecord:
    """A response or revisit record with what the index needs; (warc_file, offset) identifies it."""

    url: str
    record_type: str  # response | revisit
    record_id: str  # '' when the record has none (ARC files, some tools' WARCs): key by position instead
    date: str
    status: int
    headers: list[tuple[str, str]]
    payload: bytes  # as received (Content-Encoding still applied)
    warc_file: str
    offset: int
    length: int
    payload_digest: str
    ip_address: str = ""
    refers_to_uri: str = ""
    refers_to_date: str = ""
    provenance: dict[str, str] = field(default_factory=dict)

    @property
    def position(self) -> tuple[str, int]:
        """(file name, offset): unique within an archive, whatever the record's id."""
        return self.warc_file, self.offset

    def header(self, name: str) -> str:
        """First value of an HTTP response header ('' if absent)."""
        lower = name.lower()
        return next((v for k, v in self.headers if k.lower() == lower), "")


class _Loader(ArcWarcRecordLoader):  # type: ignore[misc]
    """warcio's record loader, except that a record whose HTTP headers cannot be read is still returned,
    without them, with the reason in `http_error` (warcio raises AttributeError on an HTTP record without
    WARC-Target-URI, and a parser error on a malformed status line, and its iterator dies with it)."""

    http_error = ""

    def load_http_headers(self, rec_type: str, uri: str | None, stream: Any, length: Any) -> Any:
        self.http_error = ""
        if uri is None:
            if rec_type in self.HTTP_RECORDS:
                self.http_error = f"{rec_type} record without WARC-Target-URI"
            return None
        try:
            return super().load_http_headers(rec_type, uri, stream, length)
        except (StatusAndHeadersParserException, EOFError, ValueError) as exc:
            self.http_error = f"unreadable HTTP headers ({exc})"
            return None


def record_iterator(stream: Any, check_digests: bool = False) -> ArchiveIterator:
    """warcio's ArchiveIterator over `stream` (WARC or ARC, gzipped or not), tolerant of unreadable HTTP
    headers; `iterator.offset` is the offset of the record it last returned, relative to the stream's
    start."""
    iterator = ArchiveIterator(stream, check_digests=check_digests)
    iterator.loader = _Loader(verify_http=False, arc2warc=False)
    return iterator


def read_record(path: Path, offset: int, length: int = 0) -> tuple[str, list[tuple[str, str]], bytes]:
    """(target URI, HTTP headers, payload as received) of the record at `offset`.

    With its `length` (the index keeps it), one bounded read of the record's gzip member; without it, the
    member is read from `offset` on, block by block."""
    with path.open("rb") as stream:
        stream.seek(offset)
        source = io.BytesIO(stream.read(length)) if length > 0 else stream
        record = next(iter(record_iterator(source)))
        headers = list(record.http_headers.headers) if record.http_headers else []
        return _target(record), headers, record.raw_stream.read()


def warcinfo(path: Path) -> dict[str, str]:
    """The fields of the file's warcinfo record (its first); {} when it has none or cannot be read."""
    try:
        with path.open("rb") as stream:
            record = next(iter(record_iterator(stream)), None)
            if record is None or record.rec_type != "warcinfo":
                return {}
            return _warc_fields(record.content_stream().read(1 << 20))
    except Exception:  # any file at all may sit in the folder: no warcinfo, then
        return {}


def written_by_nianbao(path: Path) -> bool:
    """True when the file's warcinfo says nianbao wrote it (nianbao closes its files with a manifest)."""
    info = warcinfo(path)
    software = info.get("software", "").lower()
    return software.startswith("nianbao") or any(k.startswith("nianbao-") for k in info)


def warc_files(archive: Path) -> list[Path]:
    """WARC and ARC files of an archive folder (see WARC_SUFFIXES), closed and still-open, oldest first."""
    folder = Path(archive) / "warc"
    if not folder.exists():
        return []
    return sorted((p for p in folder.iterdir() if p.name.endswith(WARC_SUFFIXES) and p.is_file()),
                  key=lambda p: p.name)


def decode_body(record: CaptureRecord, max_bytes: int = MAX_DECODED_BYTES,
                max_ratio: float = MAX_RATIO) -> Decoded:
    """The payload de-chunked (if stored chunked) and with its Content-Encoding undone, in bounded memory.

    `error` says what was cut ('too-large: ...', `body` then holds the decoded prefix) or what could not be
    undone ('bad-encoding: ...'); see `archive.warc.inflate`."""
    data = record.payload
    if "chunked" in record.header("Transfer-Encoding").lower():  # other tools store chunked bodies as sent
        data = dechunk(data)
    codings = parse_codings(v for k, v in record.headers if k.lower() == "content-encoding")
    decoded = inflate(data, codings, max_bytes, max_ratio)
    if decoded.error:
        logger.warning("%s (%s@%d): %s", record.url, record.warc_file, record.offset, decoded.error)
    return decoded


def decode_payload(record: CaptureRecord, max_bytes: int = MAX_DECODED_BYTES,
                   max_ratio: float = MAX_RATIO) -> bytes:
    """The body of `decode_body` (a prefix when too large, the undecodable bytes on a bad encoding)."""
    return decode_body(record, max_bytes, max_ratio).body


def iter_captures(path: Path, errors: list[str] | None = None, start: int = 0,
                  end: int | None = None) -> Iterator[CaptureRecord]:
    """Captures of one WARC or ARC file, each with the provenance of its metadata record.

    `start` and `end` bound the bytes read (record boundaries): a live crawl's open file is read up to
    the last exchange its writer has committed, and a later pass goes on from there. What cannot be read
    is appended to `errors` (file and offset) and skipped.
    """
    reader = _CaptureReader(path, errors)
    position: int | None = start
    while position is not None:
        position = yield from reader.read_from(position, end)
    yield from reader.flush()  # responses whose metadata record never made it (a killed crawl)


class _CaptureReader:
    """One pass over a file: captures wait for their metadata record until the next capture starts."""

    def __init__(self, path: Path, errors: list[str] | None) -> None:
        self.path = path
        self.name = path.name.removesuffix(".open")
        self.errors = errors
        self.pending: dict[int, CaptureRecord] = {}  # by offset: ids may be missing or repeated
        self.by_id: dict[str, int] = {}

    def report(self, offset: int, what: str) -> None:
        message = f"{self.path} offset {offset}: {what}"
        logger.warning("%s", message)
        if self.errors is not None:
            self.errors.append(message)

    def flush(self) -> Iterator[CaptureRecord]:
        yield from self.pending.values()
        self.pending.clear()
        self.by_id.clear()

    def read_from(self, start: int, end: int | None) -> Generator[CaptureRecord, None, int | None]:
        """Captures from byte `start` on; returns where to go on after an unreadable record (None: done)."""
        with self.path.open("rb") as raw:
            limit = (os.fstat(raw.fileno()).st_size if end is None else end) - start
            raw.seek(start)
            iterator = record_iterator(LimitReader(raw, max(0, limit)))
            try:
                for record in iterator:
                    yield from self.take(record, iterator, start)
            except Exception as exc:  # anything a foreign or damaged file makes warcio raise: report, go on
                failed = start + max(iterator.offset, 0)  # within a one-member gzip file, offsets mean little
                following = next_record_start(self.path, failed, end)
                self.report(failed, f"unreadable record ({_short(exc)}); "
                            + ("skipped" if following is not None else "the rest of the file is not read"))
                return following
        return None

    def take(self, record: ArcWarcRecord, iterator: ArchiveIterator, base: int) -> Iterator[CaptureRecord]:
        """Handle one record: a capture waits for its metadata, a metadata record completes one."""
        offset = base + iterator.offset  # the iterator is at the record it returned until read to its end
        if record.rec_type in ("response", "revisit"):
            yield from self.flush()  # a capture's metadata follows it before the next capture
            capture = self.capture(record, iterator.loader.http_error, offset)
            iterator.read_to_end()
            if capture is not None:
                capture.length = iterator.get_record_length()
                self.pending[offset] = capture
                if capture.record_id:
                    self.by_id[capture.record_id] = offset
        elif record.rec_type == "metadata":
            described = self.by_id.pop(record.rec_headers.get_header("WARC-Concurrent-To") or "", None)
            if described is not None:
                capture = self.pending.pop(described)
                capture.provenance = _warc_fields(record.content_stream().read(1 << 20))
                yield capture

    def capture(self, record: ArcWarcRecord, http_error: str, offset: int) -> CaptureRecord | None:
        """The record as a capture; None (reported) when it has no URL or unreadable HTTP headers."""
        url = _target(record)
        if not url:
            self.report(offset, f"{http_error or record.rec_type + ' record without a target URI'}; skipped")
            return None
        if http_error:
            self.report(offset, f"{record.rec_type} record of {url}: {http_error}; skipped")
            return None
        headers, http = record.rec_headers, record.http_headers
        is_arc = record.format == "arc"
        date = (_arc_date(headers.get_header("archive-date") or "") if is_arc
                else headers.get_header("WARC-Date"))
        return CaptureRecord(
            url=url, record_type=record.rec_type, record_id=headers.get_header("WARC-Record-ID") or "",
            date=date or "",
            status=_status(http), headers=list(http.headers) if http else [],
            payload=record.raw_stream.read(),  # as received: content_stream() would decode gzip
            warc_file=self.name, offset=offset, length=0,
            payload_digest=headers.get_header("WARC-Payload-Digest") or "",
            ip_address=headers.get_header("ip-address" if is_arc else "WARC-IP-Address") or "",
            refers_to_uri=headers.get_header("WARC-Refers-To-Target-URI") or "",
            refers_to_date=headers.get_header("WARC-Refers-To-Date") or "")


def _target(record: ArcWarcRecord) -> str:
    name = "uri" if record.format == "arc" else "WARC-Target-URI"
    return str(record.rec_headers.get_header(name) or "")


def _status(http: Any) -> int:
    try:
        return int(http.get_statuscode() or 0) if http else 0
    except ValueError:  # a status line such as "HTTP/1.1 OK"
        return 0


def _arc_date(value: str) -> str:
    """An ARC archive-date (YYYYMMDDhhmmss) as a WARC-Date."""
    if len(value) < 14 or not value[:14].isdigit():
        return value
    v = value
    return f"{v[:4]}-{v[4:6]}-{v[6:8]}T{v[8:10]}:{v[10:12]}:{v[12:14]}Z"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}"


def next_record_start(path: Path, failed: int, end: int | None) -> int | None:
    """Where reading can go on after the unreadable record at `failed`: the end of its gzip member (the
    next gzip header if the member is corrupt), or the next `WARC/` line of an uncompressed file."""
    with path.open("rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        limit = size if end is None else min(end, size)
        if failed >= limit:
            return None
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[failed:failed + 2] == b"\x1f\x8b":
                following = _member_end(data, failed, limit)
                if following is None:
                    following = data.find(b"\x1f\x8b\x08", failed + 1, limit)
            else:
                at = data.find(b"\nWARC/1.", failed + 1, limit)
                following = at + 1 if at != -1 else None
    return following if following is not None and failed < following < limit else None


def _member_end(data: mmap.mmap, at: int, limit: int) -> int | None:
    """Offset just after the gzip member at `at`; None when it is corrupt or incomplete."""
    decompressor = zlib.decompressobj(31)
    position = at
    try:
        while not decompressor.eof and position < limit:
            step = data[position:min(position + (1 << 16), limit)]
            decompressor.decompress(step, 1 << 16)
            while decompressor.unconsumed_tail and not decompressor.eof:  # output thrown away: bounded memory
                decompressor.decompress(decompressor.unconsumed_tail, 1 << 16)
            position += len(step)
    except zlib.error:
        return None
    return position - len(decompressor.unused_data) if decompressor.eof else None


def _warc_fields(data: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep and name:
            fields[name.strip()] = value.strip()
    return fields
