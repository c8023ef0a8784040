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
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from isal import isal_zlib
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archive.atomic import write_atomic
from archive.warc.warcio_adapter import ArcWarcRecord, new_builder, record_bytes, warc_record

__all__ = ["REVISIT_PROFILE", "Exchange", "WarcWriter", "sha1_digest", "warc_date", "write_manifest"]

logger = logging.getLogger(__name__)

REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
_HTTP_RESPONSE = "application/http; msgtype=response"
_HTTP_REQUEST = "application/http; msgtype=request"
_WARC_FIELDS = "application/warc-fields"
_ONE_LINE = str.maketrans("\r\n", "  ")  # a metadata field value must stay on its line


def sha1_digest(data: bytes) -> str:
    """`sha1:<base32>`, the digest form WARC tools expect."""
    return _b32_sha1(hashlib.sha1(data).digest())


_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_B32_PAIRS = [a + b for a in _B32 for b in _B32]  # 10 bits → two characters


def _b32_sha1(digest: bytes) -> str:
    """`sha1:` + RFC 4648 base32 of a 20-byte digest (no padding needed); base64.b32encode is pure
    Python and was the slowest step of writing a record."""
    n, pairs = int.from_bytes(digest, "big"), _B32_PAIRS
    return (f"sha1:{pairs[n >> 150]}{pairs[n >> 140 & 1023]}{pairs[n >> 130 & 1023]}{pairs[n >> 120 & 1023]}"
            f"{pairs[n >> 110 & 1023]}{pairs[n >> 100 & 1023]}{pairs[n >> 90 & 1023]}{pairs[n >> 80 & 1023]}"
            f"{pairs[n >> 70 & 1023]}{pairs[n >> 60 & 1023]}{pairs[n >> 50 & 1023]}{pairs[n >> 40 & 1023]}"
            f"{pairs[n >> 30 & 1023]}{pairs[n >> 20 & 1023]}{pairs[n >> 10 & 1023]}{pairs[n & 1023]}")


_EMPTY_DIGEST = sha1_digest(b"")


def warc_date(when: dt.datetime | None = None) -> str:
    """WARC/1.1 date with microseconds, UTC: `2026-11-27T17:34:32.396062Z`."""
    when = when or dt.datetime.now(dt.UTC)
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")[:26] + "Z"  # isoformat: 2x strftime's speed


class _RandomPool:
    """Random bytes from os.urandom, fetched 4 KB at a time: one getrandom() call per 256 record ids
    instead of one per id (a system call per record was ~8% of archiving's cost in a crawl)."""

    def __init__(self) -> None:
        self._bytes = b""
        self._at = 0
        self._lock = threading.Lock()
        os.register_at_fork(after_in_child=self.reset)  # a forked child must not repeat its parent's ids

    def reset(self) -> None:
        self._bytes, self._at = b"", 0

    def take16(self) -> bytes:
        with self._lock:
            if self._at >= len(self._bytes):
                self._bytes, self._at = os.urandom(4096), 0
            self._at += 16
            return self._bytes[self._at - 16:self._at]


_random = _RandomPool()


def _record_id() -> str:
    """A random (version 4) UUID URN, as uuid.uuid4() makes it, without building a UUID object."""
    h = _random.take16().hex()
    return f"<urn:uuid:{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}>"


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
    wire_protocol: str = ""  # as spoken on the connection (ALPN id: "http/1.1", "h2"), for WARC-Protocol


class WarcWriter:
    """Append records to rotating WARC files in `directory`; thread-safe; each exchange written through at once."""

    def __init__(self, directory: Path, prefix: str = "nianbao", worker: str = "", max_size: int = 1_000_000_000,
                 gzip_level: int = 1, warcinfo: Mapping[str, str] | None = None, fsync: bool = False,
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
        self._file: io.FileIO | None = None
        self._path: Path | None = None
        self._written = 0
        self._total = 0
        self._records = 0
        self.files: list[Path] = []
        self._warcio: WARCWriter | None = None
        self.failed: OSError | None = None  # a write failed (disk full): the open file keeps its .open name

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
        # Unbuffered: each exchange is one write() system call, so nothing waits in a user-space buffer.
        self._file = open(self._path, "xb", buffering=0)  # noqa: SIM115  (kept open across records)
        self._written = 0
        self._records = 0
        self._append([self._serialise(self._warcinfo_record(name))])

    def _close_file(self) -> None:
        if self._file is None or self._path is None:
            return
        self._file.close()
        if self.failed is not None:  # a torn tail: `nianbao verify --repair` cuts it and closes the file
            self._file, self._path = None, None
            return
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

    def _builder(self) -> WARCWriter:
        # One warcio writer for the life of this object: its record factories keep no state, and
        # making a new one per record cost more than the gzip compression.
        if self._warcio is None:
            self._warcio = new_builder()
        return self._warcio

    def _serialise(self, record: ArcWarcRecord) -> bytes:
        return _gzip_member(record_bytes(self._builder(), record), self.gzip_level)

    def _append(self, members: list[bytes]) -> list[tuple[int, int]]:
        """Append gzip members (the records of one exchange) with one write() call; their positions."""
        assert self._file is not None
        data = b"".join(members)
        if self.fault_after_bytes and self._total + len(data) > self.fault_after_bytes:
            cut = max(0, self.fault_after_bytes - self._total)
            self._write_all(data[:cut])
            os.fsync(self._file.fileno())
            os.kill(os.getpid(), 9)  # fault injection: a SIGKILL landing mid-record
        self._write_all(data)  # a killed crawl loses at most the exchange being written
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

    def _write_all(self, data: bytes) -> None:
        assert self._file is not None
        view = memoryview(data)
        while view:  # a regular file takes it all at once; a full disk raises OSError
            written = self._file.write(view)
            if not written:
                raise OSError(f"could not write to {self._path}")
            view = view[written:]

    def _warcinfo_record(self, filename: str) -> ArcWarcRecord:
        body = "".join(f"{k}: {v}\r\n" for k, v in self.warcinfo_fields.items()).encode("utf-8")
        return self._builder().create_warc_record(
            "", "warcinfo", payload=io.BytesIO(body), length=len(body),
            warc_content_type="application/warc-fields",
            warc_headers_dict={"WARC-Filename": filename, "WARC-Date": warc_date()})

    def write(self, records: list[ArcWarcRecord]) -> list[tuple[str, int, int]]:
        """Write records together in one file; returns (file name, offset, length) for each."""
        with self._lock:
            if self.failed is not None:
                raise OSError(self.failed.errno, f"WARC writing stopped after an earlier failure: {self.failed}")
            try:
                if self._file is None or self._written >= self.max_size:
                    self._close_file()
                    self._open()
                name = self.current_name
                positions = self._append([self._serialise(r) for r in records])
            except OSError as exc:
                self.failed = exc
                raise
            return [(name, offset, length) for offset, length in positions]

    def exchange_records(self, exchange: Exchange, metadata: Mapping[str, str],
                         revisit_of: tuple[str, str] | None = None, body_digest: str = "") -> list[ArcWarcRecord]:
        """Request, response (or revisit) and metadata records of one exchange, linked by WARC-Concurrent-To.

        Digests are computed here in one pass each (`body_digest`, the payload's, may be passed in when the
        caller has it): warcio's writer then finds them set and skips its own streaming digesters."""
        date = exchange.fetched_at or warc_date()
        response_headers = _http_headers(f"{exchange.protocol} {exchange.status} {exchange.reason}".strip(),
                                         exchange.response_headers)
        address = [("WARC-IP-Address", exchange.ip_address)] if exchange.ip_address else []
        if exchange.wire_protocol:
            address.append(("WARC-Protocol", exchange.wire_protocol))
        payload_digest = body_digest or sha1_digest(exchange.body)
        response_id = _record_id()
        if revisit_of:
            target_uri, target_date = revisit_of
            response = self._builder().create_revisit_record(
                exchange.url, digest=payload_digest, refers_to_uri=target_uri,
                refers_to_date=target_date, http_headers=response_headers,
                warc_headers_dict={"WARC-Record-ID": response_id, "WARC-Date": date, **dict(address),
                                   "WARC-Profile": REVISIT_PROFILE,
                                   "WARC-Block-Digest": _block_digest(response_headers, b"")})
        else:
            response = _record("response", _warc_headers(
                "response", response_id, exchange.url, date, payload_digest,
                _block_digest(response_headers, exchange.body), address,
                _HTTP_RESPONSE, len(response_headers.headers_buff) + len(exchange.body)),
                exchange.body, response_headers, _HTTP_RESPONSE)
        request_headers = _http_headers(f"{exchange.method} {exchange.request_target} {exchange.protocol}",
                                        exchange.request_headers)
        request = _record("request", _warc_headers(
            "request", _record_id(), exchange.url, date,
            sha1_digest(exchange.request_body) if exchange.request_body else _EMPTY_DIGEST,
            _block_digest(request_headers, exchange.request_body),
            [*address, ("WARC-Concurrent-To", response_id)],
            _HTTP_REQUEST, len(request_headers.headers_buff) + len(exchange.request_body)),
            exchange.request_body, request_headers, _HTTP_REQUEST)
        fields = "".join([_field_line(k, v) for k, v in metadata.items() if v is not None and v != ""]).encode()
        fields_digest = sha1_digest(fields)
        meta = _record("metadata", _warc_headers(
            "metadata", _record_id(), exchange.url, date, fields_digest, fields_digest,
            [("WARC-Concurrent-To", response_id)], _WARC_FIELDS, len(fields)), fields, None, _WARC_FIELDS)
        return [response, request, meta]


def write_manifest(path: Path, records: int) -> Path:
    """`<file>.manifest.json` beside a closed WARC file: its record count, size and SHA-256 (written atomically:
    a full disk leaves no manifest rather than an empty one)."""
    import json

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    manifest = path.with_name(path.name + ".manifest.json")
    write_atomic(manifest, (json.dumps({"file": path.name, "records": records, "bytes": path.stat().st_size,
                                        "sha256": digest.hexdigest()}, indent=1) + "\n").encode("utf-8"))
    return manifest


def _record(record_type: str, warc_headers: StatusAndHeaders, payload: bytes,
            http_headers: StatusAndHeaders | None, content_type: str) -> ArcWarcRecord:
    """A warcio record with its headers and digests already complete, ready for warcio's writer."""
    return warc_record(record_type, warc_headers, payload, http_headers, content_type)


def _field_line(name: str, value: object) -> str:
    """One `name: value` line of an application/warc-fields block; a value must stay on its line."""
    text = value if isinstance(value, str) else str(value)
    if "\r" in text or "\n" in text:
        text = text.translate(_ONE_LINE)
    return f"{name}: {text}\r\n"


def _warc_headers(record_type: str, record_id: str, uri: str, date: str, payload_digest: str, block_digest: str,
                  more: list[tuple[str, str]], content_type: str, length: int) -> StatusAndHeaders:
    """A record's WARC headers built in one go (warcio's own path rescans the list once per header).

    The digests come early and Content-Type and Content-Length last, where warcio's writer, which looks
    them up again (digests from the start, the other two from the end), finds them first."""
    return _status_and_headers("", [
        ("WARC-Type", record_type), ("WARC-Record-ID", record_id), ("WARC-Target-URI", uri), ("WARC-Date", date),
        ("WARC-Payload-Digest", payload_digest), ("WARC-Block-Digest", block_digest), *more,
        ("Content-Type", content_type), ("Content-Length", str(length))], protocol="WARC/1.1")


class _HttpHeaders(StatusAndHeaders):  # type: ignore[misc]
    """HTTP headers of a record, written as the bytes they came in as, and serialised once.

    Our header text is the received bytes read as Latin-1, so encoding it back gives those bytes: a raw
    UTF-8 or GBK filename in Content-Disposition (common on Chinese portals) is kept as sent. warcio's own
    serialisation is ASCII-only: it would percent-encode the UTF-8 of the Latin-1 reading (double-encoded,
    undeclared) and fails outright on a non-ASCII header name. Serialising once also spares warcio's writer
    a second pass after the block digest has needed the bytes."""

    headers_buff: bytes | None

    def compute_headers_buffer(self, header_filter: object = None) -> None:
        if header_filter is None and self.headers_buff is not None:
            return
        try:
            self.headers_buff = self.to_str(header_filter).encode("latin-1") + b"\r\n"
        except UnicodeEncodeError:  # text that never was bytes on the wire: warcio's percent-encoding
            super().compute_headers_buffer(header_filter)


def _http_headers(first_line: str, pairs: list[tuple[str, str]]) -> StatusAndHeaders:
    """HTTP request or response headers (already str pairs) with their first line, as warcio models them."""
    # warcio keeps the first word apart: "HTTP/1.1" | "200 OK", or "GET" | "/path?q HTTP/1.1".
    protocol, rest = first_line.split(" ", 1)
    return _status_and_headers(rest, pairs, protocol=protocol, kind=_HttpHeaders)


def _status_and_headers(statusline: str, pairs: list[tuple[str, str]], protocol: str,
                        kind: type[StatusAndHeaders] = StatusAndHeaders) -> StatusAndHeaders:
    # StatusAndHeaders() re-converts every pair to str with type checks; ours are str already.
    headers = kind(statusline, [], protocol=protocol)
    headers.headers = list(pairs)
    return headers


def _block_digest(http_headers: StatusAndHeaders, payload: bytes) -> str:
    """WARC-Block-Digest of a record with HTTP headers: the header block as warcio writes it, then the payload."""
    http_headers.compute_headers_buffer()
    digest = hashlib.sha1(http_headers.headers_buff)
    digest.update(payload)
    return _b32_sha1(digest.digest())


def _gzip_member(raw: bytes, level: int) -> bytes:
    """One gzip member holding `raw`: ISA-L at levels 0-3, zlib at 4-9.

    WARC records are one small member each (1-3 KB on a typical crawl), where zlib spends ~20 µs a member
    at any level; ISA-L's level 1 takes ~8 µs for output within 1% of zlib's level 6 (bench/README.md).
    """
    if level <= 3:
        return isal_zlib.compress(raw, max(0, level), 16 + 15)
    # A window no larger than the record (and memLevel to match): zlib's default state for a 32 KB
    # window costs ~40 µs to set up, more than compressing a request or metadata record.
    bits = min(15, max(9, (len(raw) - 1).bit_length()))
    compressor = zlib.compressobj(min(level, 9), zlib.DEFLATED, 16 + bits, min(8, max(1, bits - 7)))
    return compressor.compress(raw) + compressor.flush()
