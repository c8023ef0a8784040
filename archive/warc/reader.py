"""Read captures back from WARC files: response/revisit records joined with their metadata (provenance).

Torn files (a crawl killed mid-record) are read up to the last complete record; the damage is
reported, never raised.
"""

from __future__ import annotations

import io
import logging
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader

__all__ = ["CaptureRecord", "decode_payload", "iter_captures", "read_record", "warc_files", "warcinfo"]

logger = logging.getLogger(__name__)


@dataclass
class CaptureRecord:
    """A response or revisit record with what the index needs."""

    url: str
    record_type: str  # response | revisit
    record_id: str
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

    def header(self, name: str) -> str:
        """First value of an HTTP response header ('' if absent)."""
        lower = name.lower()
        return next((v for k, v in self.headers if k.lower() == lower), "")


def read_record(path: Path, offset: int, length: int = 0) -> tuple[str, list[tuple[str, str]], bytes]:
    """(target URI, HTTP headers, payload as received) of the record at `offset`.

    With its `length` (the index keeps it), one bounded read of the record's gzip member; without it, the
    member is read from `offset` on, block by block."""
    with path.open("rb") as stream:
        stream.seek(offset)
        source = io.BytesIO(stream.read(length)) if length > 0 else stream
        record = next(iter(ArchiveIterator(source)))
        headers = list(record.http_headers.headers) if record.http_headers else []
        return record.rec_headers.get_header("WARC-Target-URI") or "", headers, record.raw_stream.read()


def warcinfo(path: Path) -> dict[str, str]:
    """The fields of the file's warcinfo record (its first); {} when it has none or cannot be read."""
    try:
        with path.open("rb") as stream:
            record = next(iter(ArchiveIterator(stream)), None)
            if record is None or record.rec_type != "warcinfo":
                return {}
            return _warc_fields(record.content_stream().read())
    except (ArchiveLoadFailed, EOFError, zlib.error, OSError, ValueError):
        return {}


def warc_files(archive: Path) -> list[Path]:
    """WARC files of an archive folder, closed and still-open, oldest first."""
    folder = Path(archive) / "warc"
    if not folder.exists():
        return []
    return sorted([*folder.glob("*.warc.gz"), *folder.glob("*.warc.gz.open")], key=lambda p: p.name)


def decode_payload(record: CaptureRecord) -> bytes:
    """The payload with its Content-Encoding (gzip, deflate, br) removed; as-is when it cannot be."""
    encoding = record.header("Content-Encoding").lower().strip()
    data = record.payload
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(data, 47)
        if encoding == "deflate":
            try:
                return zlib.decompress(data)
            except zlib.error:
                return zlib.decompress(data, -15)
        if encoding == "br":
            import brotli

            return bytes(brotli.decompress(data))
    except Exception as exc:  # a corrupt body must not stop indexing
        logger.warning("%s: could not undo Content-Encoding %s: %s", record.url, encoding, exc)
    return data


def iter_captures(path: Path, errors: list[str] | None = None, start: int = 0,
                  end: int | None = None) -> Iterator[CaptureRecord]:
    """Captures of one WARC file, each with the provenance of its metadata record.

    `start` and `end` bound the bytes read (record boundaries): a live crawl's open file is read up to
    the last exchange its writer has committed, and a later pass goes on from there.
    """
    pending: dict[str, CaptureRecord] = {}
    name = path.name.removesuffix(".open")
    try:
        with path.open("rb") as raw:
            raw.seek(start)
            stream = raw if end is None else LimitReader(raw, max(0, end - start))
            iterator = ArchiveIterator(stream, check_digests=False)
            unsized: CaptureRecord | None = None
            for record in iterator:
                if unsized is not None:  # the record after a response starts where the response ends
                    unsized.length = start + iterator.get_record_offset() - unsized.offset
                    unsized = None
                rtype = record.rec_type
                headers = record.rec_headers
                if rtype in ("response", "revisit"):
                    http = record.http_headers
                    payload = record.raw_stream.read()  # as received: content_stream() would decode gzip
                    capture = CaptureRecord(
                        url=headers.get_header("WARC-Target-URI") or "", record_type=rtype,
                        record_id=headers.get_header("WARC-Record-ID") or "",
                        date=headers.get_header("WARC-Date") or "",
                        status=int(http.get_statuscode() or 0) if http else 0,
                        headers=list(http.headers) if http else [], payload=payload, warc_file=name,
                        offset=start + iterator.get_record_offset(), length=0,
                        payload_digest=headers.get_header("WARC-Payload-Digest") or "",
                        ip_address=headers.get_header("WARC-IP-Address") or "",
                        refers_to_uri=headers.get_header("WARC-Refers-To-Target-URI") or "",
                        refers_to_date=headers.get_header("WARC-Refers-To-Date") or "")
                    pending[capture.record_id] = capture
                    unsized = capture
                elif rtype == "metadata":
                    target = headers.get_header("WARC-Concurrent-To") or ""
                    fields = _warc_fields(record.content_stream().read())
                    described = pending.pop(target, None)
                    if described is not None:
                        described.provenance = fields
                        yield described
                else:
                    record.content_stream().read()
    except (ArchiveLoadFailed, EOFError, zlib.error, OSError, ValueError) as exc:
        message = f"{path}: unreadable after offset {_last_offset(pending)}: {exc}"
        logger.warning(message)
        if errors is not None:
            errors.append(message)
    for capture in pending.values():  # a response whose metadata record never made it (killed crawl)
        yield capture


def _last_offset(pending: dict[str, CaptureRecord]) -> int:
    return max((c.offset for c in pending.values()), default=0)


def _warc_fields(data: bytes) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in data.decode("utf-8", "replace").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep and name:
            fields[name.strip()] = value.strip()
    return fields
