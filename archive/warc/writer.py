"""WARC/1.1 writer: one gzip member per record, flushed per record, rotated by size, `.open` until closed.

File names: `<prefix>-<UTC timestamp>-<serial>-<worker>.warc.gz`; the worker part (host and pid by
default) keeps several processes of one run from clashing in one archive folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import os
import socket
import threading
import uuid
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import BufferWARCWriter

__all__ = ["WarcWriter", "Exchange", "sha1_digest", "warc_date", "write_manifest", "REVISIT_PROFILE"]

logger = logging.getLogger(__name__)

REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


def sha1_digest(data: bytes) -> str:
    """`sha1:<base32>`, the digest form WARC tools expect."""
    return _b32_sha1(hashlib.sha1(data).digest())


_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_B32_PAIRS = [a + b for a in _B32 for b in _B32]  # 10 bits → two characters


def _b32_sha1(digest: bytes) -> str:
    """`sha1:` + RFC 4648 base32 of a 20-byte digest (no padding needed); base64.b32encode is pure
    Python and was the slowest step of writing a record."""
    number = int.from_bytes(digest, "big")
    return "sha1:" + "".join(_B32_PAIRS[(number >> shift) & 0x3FF] for shift in range(150, -1, -10))


def warc_date(when: dt.datetime | None = None) -> str:
    """WARC/1.1 date with microseconds."""
    when = when or dt.datetime.now(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Exchange:
    """One HTTP exchange as sent and received, ready to archive."""

    url: str
    method: str
    request_target: str  # path + query as in the request line
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int
    reason: str
    protocol: str  # e.g. HTTP/1.1
    response_headers: list[tuple[str, str]]
    body: bytes  # as received: still Content-Encoded, de-chunked by the transport
    ip_address: str = ""
    fetched_at: str = ""  # WARC date


class WarcWriter:
    """Append records to rotating WARC files in `directory`; thread-safe; every record flushed."""

    def __init__(self, directory: Path, prefix: str = "nianbao", worker: str = "", max_size: int = 1_000_000_000,
                 gzip_level: int = 6, warcinfo: Mapping[str, str] | None = None, fsync: bool = False,
                 fault_after_bytes: int = 0) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.worker = worker or f"{socket.gethostname().split('.')[0]}-{os.getpid()}"
        self.max_size = max_size
        self.gzip_level = gzip_level
        self.warcinfo_fields = dict(warcinfo or {})
        self.fsync = fsync
        self.fault_after_bytes = fault_after_bytes  # test hook: die mid-record after this many bytes
        self._lock = threading.Lock()
        self._serial = 0
        self._file: io.BufferedWriter | None = None
        self._path: Path | None = None
        self._written = 0
        self._total = 0
        self._records = 0
        self.files: list[Path] = []
        self._warcio: BufferWARCWriter | None = None

    # --- files ---

    @property
    def current_name(self) -> str:
        """Final name (without .open) of the file being written."""
        assert self._path is not None
        return self._path.name.removesuffix(".open")

    def _open(self) -> None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        self._serial += 1
        name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self.worker}.warc.gz"
        self._path = self.directory / (name + ".open")
        self._file = open(self._path, "xb")  # noqa: SIM115  (kept open across records)
        self._written = 0
        self._records = 0
        self._append([self._serialise(self._warcinfo_record(name))])

    def _close_file(self) -> None:
        if self._file is None or self._path is None:
            return
        self._file.close()
        final = self._path.with_name(self._path.name.removesuffix(".open"))
        os.replace(self._path, final)
        write_manifest(final, self._records)
        self.files.append(final)
        self._file, self._path = None, None

    def committed(self) -> dict[str, int]:
        """{final name of the open file: bytes of whole exchanges written to it}; readers stop there."""
        with self._lock:
            return {self.current_name: self._written} if self._path is not None else {}

    def close(self) -> None:
        """Close the current file and rename it from .open to its final name."""
        with self._lock:
            self._close_file()

    # --- records ---

    def _builder(self) -> BufferWARCWriter:
        # One warcio writer for the life of this object: its record factories keep no state, and
        # making a new one per record cost more than the gzip compression.
        if self._warcio is None:
            self._warcio = BufferWARCWriter(gzip=False, warc_version="WARC/1.1")
        return self._warcio

    def _serialise(self, record: ArcWarcRecord) -> bytes:
        buffer = io.BytesIO()
        self._builder()._write_warc_record(buffer, record)
        raw = buffer.getvalue()
        # A window no larger than the record (and memLevel to match): zlib's default state for a 32 KB
        # window costs ~40 µs to set up, more than compressing a request or metadata record; the output
        # is the same size and any gzip reader inflates it.
        bits = min(15, max(9, (len(raw) - 1).bit_length()))
        compressor = zlib.compressobj(self.gzip_level, zlib.DEFLATED, 16 + bits, min(8, max(1, bits - 7)))
        return compressor.compress(raw) + compressor.flush()

    def _append(self, members: list[bytes]) -> list[tuple[int, int]]:
        """Append gzip members (the records of one exchange) with one write and one flush; their positions."""
        assert self._file is not None
        data = b"".join(members)
        if self.fault_after_bytes and self._total + len(data) > self.fault_after_bytes:
            cut = max(0, self.fault_after_bytes - self._total)
            self._file.write(data[:cut])
            self._file.flush()
            os.fsync(self._file.fileno())
            os.kill(os.getpid(), 9)  # fault injection: a SIGKILL landing mid-record
        self._file.write(data)
        self._file.flush()  # a killed crawl loses at most the exchange being written
        if self.fsync:
            os.fsync(self._file.fileno())
        positions = []
        offset = self._written
        for member in members:
            positions.append((offset, len(member)))
            offset += len(member)
        self._written = offset
        self._total += len(data)
        self._records += len(members)
        return positions

    def _warcinfo_record(self, filename: str) -> ArcWarcRecord:
        body = "".join(f"{k}: {v}\r\n" for k, v in self.warcinfo_fields.items()).encode("utf-8")
        return self._builder().create_warc_record(
            "", "warcinfo", payload=io.BytesIO(body), length=len(body),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Filename": filename, "WARC-Date": warc_date()})

    def write(self, records: list[ArcWarcRecord]) -> list[tuple[str, int, int]]:
        """Write records together in one file; returns (file name, offset, length) for each."""
        with self._lock:
            if self._file is None or self._written >= self.max_size:
                self._close_file()
                self._open()
            name = self.current_name
            return [(name, offset, length) for offset, length in self._append([self._serialise(r) for r in records])]

    def exchange_records(self, exchange: Exchange, metadata: Mapping[str, str],
                         revisit_of: tuple[str, str] | None = None, body_digest: str = "") -> list[ArcWarcRecord]:
        """Request, response (or revisit) and metadata records of one exchange, linked by WARC-Concurrent-To.

        Digests are computed here in one pass each (`body_digest`, the payload's, may be passed in when the
        caller has it): warcio then finds them set and skips its own streaming digesters."""
        builder = self._builder()
        date = exchange.fetched_at or warc_date()
        response_headers = StatusAndHeaders(f"{exchange.status} {exchange.reason}".strip(),
                                            list(exchange.response_headers), protocol=exchange.protocol)
        common = {"WARC-Date": date}
        if exchange.ip_address:
            common["WARC-IP-Address"] = exchange.ip_address
        payload_digest = body_digest or sha1_digest(exchange.body)
        if revisit_of:
            target_uri, target_date = revisit_of
            response = builder.create_revisit_record(
                exchange.url, digest=payload_digest, refers_to_uri=target_uri,
                refers_to_date=target_date, http_headers=response_headers,
                warc_headers_dict={**common, "WARC-Profile": REVISIT_PROFILE,
                                   "WARC-Block-Digest": _block_digest(response_headers, b"")})
        else:
            response = builder.create_warc_record(
                exchange.url, "response", payload=io.BytesIO(exchange.body), length=len(exchange.body),
                http_headers=response_headers,
                warc_headers=_warc_headers("response", exchange.url, [
                    *common.items(), ("WARC-Payload-Digest", payload_digest),
                    ("WARC-Block-Digest", _block_digest(response_headers, exchange.body))]))
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        request_headers = StatusAndHeaders(f"{exchange.method} {exchange.request_target} {exchange.protocol}",
                                           list(exchange.request_headers), is_http_request=True)
        request = builder.create_warc_record(
            exchange.url, "request", payload=io.BytesIO(exchange.request_body), length=len(exchange.request_body),
            http_headers=request_headers,
            warc_headers=_warc_headers("request", exchange.url, [
                *common.items(), ("WARC-Concurrent-To", response_id),
                ("WARC-Payload-Digest", sha1_digest(exchange.request_body)),
                ("WARC-Block-Digest", _block_digest(request_headers, exchange.request_body))]))
        fields = "".join(f"{k}: {_field(v)}\r\n" for k, v in metadata.items() if v not in (None, "")).encode("utf-8")
        fields_digest = sha1_digest(fields)
        meta = builder.create_warc_record(
            exchange.url, "metadata", payload=io.BytesIO(fields), length=len(fields),
            warc_content_type="application/warc-fields",
            warc_headers=_warc_headers("metadata", exchange.url, [
                ("WARC-Date", date), ("WARC-Concurrent-To", response_id),
                ("WARC-Payload-Digest", fields_digest), ("WARC-Block-Digest", fields_digest)]))
        return [response, request, meta]


def write_manifest(path: Path, records: int) -> Path:
    """`<file>.manifest.json` beside a closed WARC file: its record count, size and SHA-256."""
    import json

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    manifest = path.with_name(path.name + ".manifest.json")
    manifest.write_text(json.dumps({"file": path.name, "records": records, "bytes": path.stat().st_size,
                                    "sha256": digest.hexdigest()}, indent=1) + "\n", encoding="utf-8")
    return manifest


def _warc_headers(record_type: str, uri: str, fields: list[tuple[str, str]]) -> StatusAndHeaders:
    """A record's WARC headers built in one go (warcio's own path rescans the list once per header)."""
    return StatusAndHeaders("", [("WARC-Type", record_type), ("WARC-Record-ID", f"<urn:uuid:{uuid.uuid4()}>"),
                                 ("WARC-Target-URI", uri), *fields], protocol="WARC/1.1")


def _block_digest(http_headers: StatusAndHeaders, payload: bytes) -> str:
    """WARC-Block-Digest of a record with HTTP headers: the header block as warcio writes it, then the payload."""
    http_headers.compute_headers_buffer()
    digest = hashlib.sha1(http_headers.headers_buff)
    digest.update(payload)
    return _b32_sha1(digest.digest())


def _field(value: object) -> str:
    return str(value).replace("\r", " ").replace("\n", " ")
