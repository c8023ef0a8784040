"""warcio internals the writer relies on: these fail loudly when a warcio release changes them."""

from __future__ import annotations

import io

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders

from archive.warc.warcio_adapter import new_builder, record_bytes, warc_record
from archive.warc.writer import sha1_digest


def _http_headers() -> StatusAndHeaders:
    return StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=gbk"), ("Content-Length", "4")],
                            protocol="HTTP/1.1")


def test_warcio_still_has_the_private_writer_method() -> None:
    builder = new_builder()
    assert callable(getattr(builder, "_write_warc_record", None)), "warcio removed WARCWriter._write_warc_record"


def test_adapter_record_bytes_equal_warcios_public_path() -> None:
    body = "年度报告".encode("gbk")
    builder = new_builder()
    public = builder.create_warc_record("http://127.0.0.2/a.html", "response", payload=io.BytesIO(body),
                                        length=len(body), http_headers=_http_headers(),
                                        warc_headers_dict={"WARC-Date": "2026-11-29T00:00:00.000000Z",
                                                           "WARC-Record-ID": "<urn:uuid:1>"})
    out = io.BytesIO()
    writer = new_builder()
    writer.out = out
    writer.write_record(public)
    ours = warc_record("response", public.rec_headers, body, _http_headers(), public.content_type)
    assert record_bytes(builder, ours) == out.getvalue()


def test_adapter_records_read_back_with_digests_checked() -> None:
    body = b"fields: x\r\n"
    headers = StatusAndHeaders("", [("WARC-Type", "metadata"), ("WARC-Record-ID", "<urn:uuid:2>"),
                                    ("WARC-Target-URI", "http://127.0.0.2/"), ("WARC-Date", "2026-11-29T00:00:00Z"),
                                    ("WARC-Block-Digest", sha1_digest(body)),
                                    ("Content-Type", "application/warc-fields"),
                                    ("Content-Length", str(len(body)))], protocol="WARC/1.1")
    data = record_bytes(new_builder(), warc_record("metadata", headers, body, None, "application/warc-fields"))
    read = [(record.rec_type, record.content_stream().read())
            for record in ArchiveIterator(io.BytesIO(data), check_digests="raise")]
    assert read == [("metadata", body)]
