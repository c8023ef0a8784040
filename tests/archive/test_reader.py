"""Reading stored captures back: bounded Content-Encoding decoding, and other tools' WARC and ARC files.

The foreign files in tests/fixtures/warcs/ are other tools' public test data (SOURCES.md names each one's
origin), a few of them altered the way other tools' output differs from nianbao's.
"""

from __future__ import annotations

import gzip
import json
import shutil
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import brotli
import pytest

from archive.db import connect
from archive.warc.inflate import RATIO_FLOOR, dechunk, inflate
from archive.warc.reader import CaptureRecord, decode_body, iter_captures, read_record, warc_files
from archive.warc.writer import Exchange, WarcWriter

FIXTURES = Path(__file__).parent.parent / "fixtures" / "warcs"
ROOT = Path(__file__).parent.parent.parent
GIB = 1 << 30

REPORT = ("<html><head><meta charset='gbk'><title>2023年政府信息公开工作年度报告</title></head><body>"
          "<div class='TRS_Editor'>" + "<p>本机关认真贯彻落实《中华人民共和国政府信息公开条例》。</p>" * 200
          + "<table><tr><td>收到申请数</td><td>12</td></tr></table></div></body></html>").encode("gbk")
# A statistics table as agencies publish it: numbers vary, so it compresses like real pages do (about 5:1).
TABLE = "".join(f"<tr><td>第{i}项</td><td>{i * 7919 % 10007}</td></tr>" for i in range(60000)).encode("gbk")


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _record(payload: bytes, *headers: tuple[str, str]) -> CaptureRecord:
    return CaptureRecord(url="http://127.0.0.1:8000/zwgk/ndbg/2023.html", record_type="response",
                         record_id="", date="2026-11-25T04:00:00Z", status=200,
                         headers=[("Content-Type", "text/html; charset=gbk"), *headers], payload=payload,
                         warc_file="test.warc.gz", offset=0, length=0, payload_digest="")


# --- Content-Encoding -------------------------------------------------------------------------------------


@pytest.mark.parametrize("headers, payload", [
    ([("Content-Encoding", "gzip")], _gzip(REPORT)),
    ([("Content-Encoding", "gzip, gzip")], _gzip(_gzip(REPORT))),
    ([("Content-Encoding", "gzip"), ("Content-Encoding", "gzip")], _gzip(_gzip(REPORT))),  # two header lines
    ([("Content-Encoding", "deflate, gzip")], _gzip(zlib.compress(REPORT))),  # gzip undone first
    ([("Content-Encoding", "deflate")], zlib.compress(REPORT)),  # zlib-wrapped, as RFC 9110 says
    ([("Content-Encoding", "deflate")], zlib.compress(REPORT, wbits=-15)),  # raw, as IIS and others send it
    ([("Content-Encoding", "br")], brotli.compress(REPORT)),
    ([("Content-Encoding", "GZIP ,br")], brotli.compress(_gzip(REPORT))),
    ([("Content-Encoding", "identity")], REPORT),
    ([("Content-Encoding", "x-gzip")], _gzip(REPORT[:100]) + _gzip(REPORT[100:])),  # two gzip members
])
def test_stacked_and_variant_encodings_are_undone_in_order(headers: list[tuple[str, str]],
                                                           payload: bytes) -> None:
    decoded = decode_body(_record(payload, *headers))
    assert decoded.error == "" and decoded.body == REPORT


def test_an_encoding_that_cannot_be_undone_is_an_error_never_an_empty_body() -> None:
    corrupt = bytearray(_gzip(REPORT))
    corrupt[40:60] = b"\0" * 20
    for payload, headers, expected in [
        (bytes(corrupt), [("Content-Encoding", "gzip")], "bad-encoding: gzip"),
        (REPORT, [("Content-Encoding", "gzip")], "bad-encoding: gzip"),  # declared, never applied
        (_gzip(REPORT), [("Content-Encoding", "gzip, compress")],
         "bad-encoding: unknown content coding 'compress'"),
        (_gzip(REPORT)[:-200], [("Content-Encoding", "gzip")], "bad-encoding: gzip stream ends early"),
        (brotli.compress(REPORT)[:-5], [("Content-Encoding", "br")], "bad-encoding: br stream ends early"),
        (b"\xff" * 64, [("Content-Encoding", "br")], "bad-encoding: br"),
    ]:
        decoded = decode_body(_record(payload, *headers))
        assert decoded.error.startswith(expected), (headers, decoded.error)
        assert decoded.body and not decoded.too_large
    cut = decode_body(_record(_gzip(TABLE)[:100_000], ("Content-Encoding", "gzip")))
    assert cut.error.startswith("bad-encoding: gzip stream ends early")
    assert TABLE.startswith(cut.body) and len(cut.body) > 300_000  # a cut stream keeps what arrived


def test_the_size_cap_keeps_the_prefix_and_says_so() -> None:
    text = TABLE
    for payload, coding in [(_gzip(text), "gzip"), (brotli.compress(text, quality=5), "br"),
                            (zlib.compress(text), "deflate")]:
        decoded = inflate(payload, [coding], max_bytes=100_000)
        assert decoded.too_large and decoded.error.startswith("too-large")
        assert decoded.body == text[:100_000]
    assert inflate(_gzip(text), ["gzip"], max_bytes=len(text)).body == text  # exactly at the cap: whole


def _zstd(data: bytes) -> bytes:
    try:
        from compression import zstd  # type: ignore[import-not-found]  # Python 3.14+
    except ImportError:
        from backports import zstd  # type: ignore[import-not-found,no-redef]  # a dependency of Scrapy
    return bytes(zstd.compress(data))


@pytest.mark.parametrize("coding, compress", [
    ("gzip", _gzip), ("x-gzip", _gzip), ("deflate", zlib.compress),
    ("br", lambda d: brotli.compress(d, quality=1)), ("zstd", _zstd)])
def test_the_ratio_cap_stops_a_small_bomb_early(coding: str, compress: Callable[[bytes], bytes]) -> None:
    zeros = bytes(64 << 20)
    bomb = compress(zeros)  # at most 64 KiB that inflate to 64 MiB, under the size cap
    decoded = inflate(bomb, [coding])
    assert decoded.too_large and f"{coding} body inflates over 100 times its size" in decoded.error
    assert RATIO_FLOOR < len(decoded.body) <= 2 * RATIO_FLOOR and not decoded.body.strip(b"\0")
    assert inflate(bomb, [coding], max_ratio=100_000).body == zeros  # the limit is an argument


def test_stored_chunked_bodies_are_dechunked() -> None:
    assert dechunk(b"5\r\n<html\r\n3;ext=1\r\n><p\r\n0\r\n\r\n") == b"<html><p"
    assert dechunk(b"<html>not chunked</html>") == b"<html>not chunked</html>"
    assert dechunk(b"1234") == b"1234"
    path = FIXTURES / "warcio-example-iana.org-chunked.warc"  # warcio's test data stores the chunks as sent
    [capture] = iter_captures(path)
    assert capture.header("Transfer-Encoding") == "chunked"
    decoded = decode_body(capture)
    assert decoded.error == "" and decoded.body.startswith(b"<!doctype html>")
    assert b"\r\n0\r\n" not in decoded.body


def _gzip_bomb(path: Path, size: int) -> None:
    """A gzip stream of `size` zero bytes, written as zlib makes it: never held whole in memory.

    After a full flush zlib's state is reset, so every MiB of zeros compresses to the same bytes: zlib
    compresses one MiB and those bytes are written for each one."""
    chunk = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH) == block
    crc = 0
    with path.open("wb") as out:
        out.write(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff")  # gzip header: deflate, no name, no mtime
        for _ in range(size // len(chunk)):
            out.write(block)
            crc = zlib.crc32(chunk, crc)
        out.write(compressor.flush() + struct.pack("<II", crc, size & 0xFFFFFFFF))


def _inflated_size(path: Path) -> int:
    """How many bytes the gzip file inflates to, counted in bounded steps."""
    decompressor, total = zlib.decompressobj(31), 0
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            data = block
            while data:
                total += len(decompressor.decompress(data, 1 << 24))
                data = decompressor.unconsumed_tail
    assert decompressor.eof
    return total


_MEASURE = """
import json, resource, sys
from pathlib import Path
from archive.warc.reader import decode_body, decode_payload, iter_captures, warc_files

# A regression that inflates the whole bomb fails with MemoryError here instead of eating the machine.
vm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmSize:")) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + (768 << 20), vm + (768 << 20)))
[capture] = [c for path in warc_files(Path(sys.argv[1])) for c in iter_captures(path)]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
decoded = decode_body(capture)
decode_payload(capture)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"extra_kib": after - before, "payload": len(capture.payload), "body": len(decoded.body),
                  "error": decoded.error, "zeros": not decoded.body.strip(b"\\0")}))
"""


def test_a_gzip_bomb_of_one_gib_is_cut_in_bounded_memory(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.gz"
    _gzip_bomb(bomb, GIB)
    assert bomb.stat().st_size < 2 << 20 and _inflated_size(bomb) == GIB
    body = bomb.read_bytes()
    writer = WarcWriter(tmp_path / "archive" / "warc", worker="test")
    writer.write(writer.exchange_records(Exchange(
        url="http://127.0.0.1:8000/zwgk/ndbg/bomb.html", method="GET", request_target="/zwgk/ndbg/bomb.html",
        request_headers=[("Host", "127.0.0.1:8000")], request_body=b"", status=200, reason="OK",
        protocol="HTTP/1.1", body=body, ip_address="127.0.0.1",
        response_headers=[("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip"),
                          ("Content-Length", str(len(body)))]), {"role": "report"}))
    writer.close()
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(tmp_path / "archive")], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout)
    assert measured["payload"] == len(body) and measured["zeros"]
    assert measured["error"].startswith("too-large: gzip body inflates over 100 times its size")
    assert RATIO_FLOOR < measured["body"] <= 2 * RATIO_FLOOR
    assert measured["extra_kib"] < 16 * 1024, measured  # far below the 100 MB a bomb may add to a process


# --- other tools' files -----------------------------------------------------------------------------------


def _archive(tmp_path: Path, *names: str) -> Path:
    (tmp_path / "warc").mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(FIXTURES / name, tmp_path / "warc" / name)
    return tmp_path


FOREIGN = sorted(p.name for p in FIXTURES.iterdir() if p.name != "SOURCES.md")


def test_every_fixture_is_documented_and_small() -> None:
    sources = (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in sources for name in FOREIGN)
    assert sum((FIXTURES / name).stat().st_size for name in FOREIGN) < 1 << 20


def test_warc_files_finds_uncompressed_warc_and_arc_files(tmp_path: Path) -> None:
    archive = _archive(tmp_path, *FOREIGN)
    (archive / "warc" / "notes.txt").write_text("not an archive")
    (archive / "warc" / "x.warc.gz.manifest.json").write_text("{}")
    assert [p.name for p in warc_files(archive)] == FOREIGN


@pytest.mark.parametrize("name", FOREIGN)
def test_foreign_files_read_without_raising_each_capture_with_a_url_and_its_own_position(name: str) -> None:
    path = FIXTURES / name
    errors: list[str] = []
    captures = list(iter_captures(path, errors))
    assert captures or errors
    assert all(c.url.startswith("http") for c in captures)
    assert len({c.position for c in captures}) == len(captures)
    for capture in captures:  # the position is enough to read the record back (what serve does)
        url, headers, payload = read_record(path, capture.offset, capture.length)
        assert (url, headers, payload) == (capture.url, capture.headers, capture.payload)


def test_a_record_warcio_cannot_parse_is_reported_and_the_rest_read() -> None:
    path = FIXTURES / "lonely-revisit.warc.gz"  # a revisit without WARC-Target-URI between two responses
    errors: list[str] = []
    captures = list(iter_captures(path, errors))
    assert [(c.url, c.record_type, c.status) for c in captures] == [
        ("http://example.com/", "response", 200), ("http://example.iana.org/", "response", 200)]
    [error] = errors
    assert f"{path} offset " in error and "revisit record without WARC-Target-URI" in error
    offset = int(error.split(" offset ")[1].split(":")[0])
    with path.open("rb") as handle:
        handle.seek(offset)
        assert b"WARC-Type: revisit" in zlib.decompressobj(31).decompress(handle.read(4096))


def test_a_broken_record_mid_file_is_skipped_and_reading_goes_on() -> None:
    path = FIXTURES / "warcio-example-wrong-chunks.warc.gz"  # a response whose Content-Length is wrong
    errors: list[str] = []
    captures = list(iter_captures(path, errors))
    assert [c.url for c in captures] == ["http://example.com/"]
    assert len(errors) == 1 and f"{path} offset " in errors[0] and "skipped" in errors[0]


def test_records_without_record_id_stay_apart() -> None:
    path = FIXTURES / "no-record-id.warc"
    assert b"WARC-Record-ID" not in path.read_bytes()
    captures = list(iter_captures(path))
    assert [(c.url, c.record_type) for c in captures] == [
        ("http://example.com?example=1", "response"), ("http://example.com?example=1", "revisit"),
        ("http://www.iana.org/domains/example", "response")]
    assert len({c.offset for c in captures}) == 3 and all(c.record_id == "" for c in captures)


@pytest.mark.parametrize("name", ["warcio-example.arc", "warcio-example.arc.gz", "arc-renamed.warc.gz"])
def test_arc_files_are_read_whatever_their_name(name: str) -> None:
    [capture] = iter_captures(FIXTURES / name)
    assert (capture.url, capture.status, capture.date, capture.ip_address) == (
        "http://example.com/", 200, "2014-02-16T05:02:21Z", "93.184.216.119")
    assert capture.header("Content-Type").startswith("text/html") and b"Example Domain" in capture.payload


def test_a_file_that_is_not_an_archive_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "report.warc.gz"
    path.write_bytes(_gzip(REPORT))
    errors: list[str] = []
    assert list(iter_captures(path, errors)) == []
    assert len(errors) == 1 and f"{path} offset 0" in errors[0]


def test_index_reads_everything_else_beside_a_file_warcio_cannot_parse(tmp_path: Path) -> None:

    from archive.index.build import build_index

    archive = _archive(tmp_path, "lonely-revisit.warc.gz", "warcio-example.warc.gz",
                       "pywb-example-wpull.warc.gz")
    report = build_index(archive, progress=False)
    with connect(archive / "index.db") as conn:
        rows = conn.execute("select warc_file, url from captures order by warc_file, warc_offset").fetchall()
    assert rows == [("lonely-revisit.warc.gz", "http://example.com/"),
                    ("lonely-revisit.warc.gz", "http://example.iana.org/"),
                    ("pywb-example-wpull.warc.gz", "http://example.com/"),
                    ("warcio-example.warc.gz", "http://example.com/"), ("warcio-example.warc.gz", "http://example.com/")]
    assert any("lonely-revisit.warc.gz offset" in e for e in report.errors or [])


def test_a_bomb_under_a_second_gzip_layer_is_cut_and_its_prefix_decoded(tmp_path: Path) -> None:
    _gzip_bomb(tmp_path / "bomb.gz", GIB)
    twice = _gzip((tmp_path / "bomb.gz").read_bytes())  # gzip, gzip: the outer layer is small and harmless
    decoded = decode_body(_record(twice, ("Content-Encoding", "gzip, gzip")))
    assert decoded.too_large and decoded.error.startswith("too-large: gzip body inflates over")
    assert RATIO_FLOOR // 2 < len(decoded.body) <= 2 * RATIO_FLOOR and not decoded.body.strip(b"\0")
