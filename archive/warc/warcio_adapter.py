"""The two warcio internals the writer uses, in one place.

Why not warcio's public API: `WARCWriter.write_record` writes to its own output and, with `gzip=True`,
compresses through zlib at a fixed level; we compress each record ourselves (ISA-L, one member per
record) and write an exchange's records with one system call, so we need the uncompressed bytes of a
record: `_write_warc_record(out, record)` gives them. And `create_warc_record` re-checks the digests
we have already computed and, for a record without HTTP headers, builds a record loader to look for
some (measured: more than the rest of building a record), so records are made as `ArcWarcRecord`s
directly. `tests/archive/test_warcio_adapter.py` fails when a warcio release changes either; the
fallback is the public path, byte for byte the same.
"""

from __future__ import annotations

import io

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

__all__ = ["ArcWarcRecord", "new_builder", "record_bytes", "warc_record"]


def new_builder() -> WARCWriter:
    """A warcio writer used only to build and serialise records (it writes nowhere itself)."""
    return WARCWriter(io.BytesIO(), gzip=False, warc_version="WARC/1.1")


def warc_record(record_type: str, warc_headers: StatusAndHeaders, payload: bytes,
                http_headers: StatusAndHeaders | None, content_type: str) -> ArcWarcRecord:
    """A record whose headers and digests are already complete."""
    record = ArcWarcRecord("warc", record_type, warc_headers, io.BytesIO(payload), http_headers, content_type,
                           len(payload))
    record.payload_length = len(payload)
    return record


def record_bytes(builder: WARCWriter, record: ArcWarcRecord) -> bytes:
    """The record serialised, uncompressed."""
    buffer = io.BytesIO()
    builder._write_warc_record(buffer, record)
    return buffer.getvalue()
