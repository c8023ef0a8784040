"""The WARC writer on its own: both compressors give valid, identical records; ids, dates and digests."""

from __future__ import annotations

import gc
import gzip
import re
import shutil
import subprocess
import uuid
import zlib
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from archive.warc.writer import Exchange, WarcWriter, sha1_digest
from crawler.gc_freeze import FreezeStartupHeap

BODY = ("<html><head><meta charset='gbk'><title>2024年政府信息公开工作年度报告</title></head><body>"
        + "行政许可 867 件。" * 200 + "</body></html>").encode("gbk")


def _exchange(i: int) -> Exchange:
    return Exchange(
        url=f"http://127.0.0.1:8000/zwgk/t{i}.html?from=list&page=2", method="GET",
        request_target=f"/zwgk/t{i}.html?from=list&page=2",
        request_headers=[("Host", "127.0.0.1:8000"), ("User-Agent", "nianbao"), ("Accept-Encoding", "gzip")],
        request_body=b"", status=200, reason="OK", protocol="HTTP/1.1",
        response_headers=[("Content-Type", "text/html; charset=gbk"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
                          ("Content-Length", str(len(BODY)))],
        body=BODY, ip_address="127.0.0.1", fetched_at="2026-11-27T10:00:00.123456Z")


def _write(directory: Path, level: int, exchanges: int = 5) -> Path:
    writer = WarcWriter(directory, worker="test", gzip_level=level, warcinfo={"software": "test"})
    for i in range(exchanges):
        writer.write(writer.exchange_records(_exchange(i), {"seed": "http://127.0.0.1:8000/", "role": "report"}))
    writer.close()
    (path,) = writer.files
    return path


def _members(path: Path) -> list[bytes]:
    """Each gzip member inflated on its own (one record per member)."""
    data, members = path.read_bytes(), []
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        members.append(inflater.decompress(data))
        assert inflater.eof, f"{path}: a gzip member is cut short"
        data = inflater.unused_data
    return members


_VOLATILE = re.compile(rb"(WARC-Record-ID|WARC-Concurrent-To|WARC-Date|WARC-Filename): [^\r]*")


@pytest.mark.parametrize("level", [0, 1, 3, 6, 9])
def test_each_level_writes_one_valid_member_per_record(tmp_path: Path, level: int) -> None:
    path = _write(tmp_path, level)
    members = _members(path)
    assert len(members) == 1 + 5 * 3  # warcinfo, then response, request, metadata per exchange
    assert b"".join(members) == gzip.decompress(path.read_bytes())
    if shutil.which("gzip"):
        subprocess.run(["gzip", "-t", str(path)], check=True)
    with path.open("rb") as stream:
        records = list(ArchiveIterator(stream, check_digests="raise"))
    assert [r.rec_type for r in records[:4]] == ["warcinfo", "response", "request", "metadata"]
    assert [v for n, v in records[1].http_headers.headers if n == "Set-Cookie"] == ["a=1", "b=2"]


def test_isal_and_zlib_store_the_same_records(tmp_path: Path) -> None:
    fast = _members(_write(tmp_path / "isal", 1))
    zlib_written = _members(_write(tmp_path / "zlib", 6))
    assert [_VOLATILE.sub(b"", m) for m in fast] == [_VOLATILE.sub(b"", m) for m in zlib_written]


def test_record_ids_dates_and_digests(tmp_path: Path) -> None:
    path = _write(tmp_path, 1, exchanges=50)
    ids: list[str] = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            record_id = record.rec_headers.get_header("WARC-Record-ID")
            parsed = uuid.UUID(record_id.removeprefix("<urn:uuid:").removesuffix(">"))
            assert parsed.version == 4 and parsed.variant == uuid.RFC_4122, record_id
            ids.append(record_id)
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", record.rec_headers.get_header("WARC-Date"))
            if record.rec_type == "response":
                assert record.rec_headers.get_header("WARC-Payload-Digest") == sha1_digest(BODY)
                assert record.content_stream().read() == BODY
            if record.rec_type in ("request", "metadata"):
                assert record.rec_headers.get_header("WARC-Concurrent-To") in ids
    assert len(ids) == len(set(ids)) == 1 + 50 * 3


def test_request_line_keeps_the_query_string(tmp_path: Path) -> None:
    with _write(tmp_path, 1).open("rb") as stream:
        request = next(r for r in ArchiveIterator(stream) if r.rec_type == "request")
    assert request.http_headers.protocol == "GET"
    assert request.http_headers.statusline == "/zwgk/t0.html?from=list&page=2 HTTP/1.1"


def test_gc_freeze_extension_freezes_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import crawler.gc_freeze

    monkeypatch.setattr(crawler.gc_freeze, "_frozen_in_this_process", False)
    extension = FreezeStartupHeap.from_crawler(get_crawler(settings_dict={"NIANBAO_GC_FREEZE": True}))
    gc.unfreeze()
    try:
        extension.engine_started()
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the modules imported by this test run alone
        leftovers = [[i] for i in range(1000)]  # a later crawl's objects must stay collectable
        FreezeStartupHeap.from_crawler(get_crawler(settings_dict={"NIANBAO_GC_FREEZE": True})).engine_started()
        assert gc.get_freeze_count() == frozen and leftovers
    finally:
        gc.unfreeze()
    with pytest.raises(NotConfigured):
        FreezeStartupHeap.from_crawler(get_crawler(settings_dict={"NIANBAO_GC_FREEZE": False}))


def test_a_forked_child_makes_its_own_record_ids(tmp_path: Path) -> None:
    import os

    from archive.warc.writer import _record_id

    _record_id()  # the pool now holds bytes the child must not reuse
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        os.write(write_end, "".join(_record_id() for _ in range(3)).encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(child, 0)
    from_child = os.read(read_end, 4096).decode()
    os.close(read_end)
    from_parent = "".join(_record_id() for _ in range(3))
    assert len(from_child) == len(from_parent) == 3 * 47 and from_child != from_parent


def test_non_ascii_header_bytes_are_stored_as_sent(tmp_path: Path) -> None:
    """Header text is the received bytes read as Latin-1; the record holds those bytes again."""
    exchange = _exchange(1)
    utf8_name = 'attachment; filename="2024年报.pdf"'.encode()
    gbk_name = 'attachment; filename="2024年报.doc"'.encode("gbk")
    exchange.response_headers = [*exchange.response_headers, ("Content-Disposition", utf8_name.decode("latin-1")),
                                 ("X-Caf\u00e9", gbk_name.decode("latin-1"))]
    writer = WarcWriter(tmp_path, worker="test")
    writer.write(writer.exchange_records(exchange, {}))
    writer.close()
    flat = gzip.decompress(writer.files[0].read_bytes())
    assert b"Content-Disposition: " + utf8_name + b"\r\n" in flat
    assert b"X-Caf\xe9: " + gbk_name + b"\r\n" in flat
    with writer.files[0].open("rb") as stream:
        response = next(r for r in ArchiveIterator(stream, check_digests="raise") if r.rec_type == "response")
    assert response.http_headers.get_header("Content-Disposition") == utf8_name.decode()


def _worker_writes(directory: str, start: object, exchanges: int, max_size: int) -> None:
    """One crawl worker process: waits for the others, then writes `exchanges` exchanges."""
    start.wait(30)  # type: ignore[attr-defined]
    writer = WarcWriter(Path(directory), max_size=max_size, warcinfo={"software": "test"})  # worker: host-pid
    for i in range(exchanges):
        exchange = _exchange(i)
        exchange.url += f"&worker={writer.worker}"
        writer.write(writer.exchange_records(exchange, {"seed": "http://127.0.0.1:8000/", "role": "report"}))
    writer.close()


def test_worker_processes_share_one_archive_without_clashing(tmp_path: Path) -> None:
    import multiprocessing

    from archive.warc.reader import iter_captures
    from archive.warc.verify import verify_warc

    context = multiprocessing.get_context("spawn")
    start = context.Event()
    exchanges, max_size = 60, 12_000
    workers = [context.Process(target=_worker_writes, args=(str(tmp_path), start, exchanges, max_size))
               for _ in range(3)]
    for process in workers:
        process.start()
    start.set()  # all three write at once, into the same folder
    for process in workers:
        process.join(60)
        assert process.exitcode == 0
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert not list(tmp_path.glob("*.open"))
    names = [re.fullmatch(r"nianbao-(\d{17})-(\d{5})-(.+-(\d+))\.warc\.gz", f.name) for f in files]
    assert all(names), [f.name for f in files]
    by_worker: dict[str, list[tuple[int, Path]]] = {}
    for match, path in zip(names, files, strict=True):
        assert match is not None
        by_worker.setdefault(match.group(3), []).append((int(match.group(2)), path))
    assert {int(w.rsplit("-", 1)[1]) for w in by_worker} == {p.pid for p in workers}
    for worker, serials in by_worker.items():
        serials.sort()
        assert [s for s, _ in serials] == list(range(1, len(serials) + 1)) and len(serials) >= 3, worker  # rotated
        for _serial, path in serials[:-1]:
            assert path.stat().st_size >= max_size  # closed only once past the limit, at an exchange boundary
        urls = set()
        for _serial, path in serials:
            check = verify_warc(path)
            assert check.ok, check.problems  # manifest, digests, whole members
            with path.open("rb") as stream:
                first = next(iter(ArchiveIterator(stream)))
                assert first.rec_type == "warcinfo" and first.rec_headers.get_header("WARC-Filename") == path.name
            urls |= {c.url for c in iter_captures(path)}
        assert len(urls) == exchanges and all(url.endswith(f"worker={worker}") for url in urls)
