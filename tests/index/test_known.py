"""What a new crawl dedupes against: each URL's latest payload, from the index where it is current and
from the WARC files for everything it has not indexed (an unindexed tail, a new file, a file cut back)."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.index import known
from archive.index.build import build_index
from archive.warc.reader import iter_captures, warc_files
from archive.warc.writer import Exchange, WarcWriter


def _exchange(number: int, version: int, date: str) -> Exchange:
    body = (f"<html><title>第{number}局2023年政府信息公开工作年度报告</title><body>"
            + f"第{version}版。本机关认真贯彻落实条例。" * 30 + "</body></html>").encode()
    return Exchange(url=f"http://127.0.0.1:8000/zwgk/ndbg/{number}.html", method="GET",
                    request_target=f"/zwgk/ndbg/{number}.html", request_headers=[("Host", "127.0.0.1:8000")],
                    request_body=b"", status=200, reason="OK", protocol="HTTP/1.1",
                    response_headers=[("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
                    body=body, fetched_at=date)


def _write(writer: WarcWriter, numbers: range, version: int, date: str) -> None:
    for number in numbers:
        writer.write(writer.exchange_records(_exchange(number, version, date), {"role": "report", "run_id": "t"}))


def _from_warcs_alone(archive: Path) -> dict[str, tuple[str, str]]:
    latest: dict[str, tuple[str, str]] = {}
    for path in warc_files(archive):
        for capture in iter_captures(path):
            newer = capture.url not in latest or capture.date >= latest[capture.url][1]
            if capture.status == 200 and capture.record_type == "response" and newer:
                latest[capture.url] = (capture.payload_digest, capture.date)
    return latest


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """(file, first byte read) of each WARC file latest_payloads reads; the real reader still reads it."""
    seen: list[tuple[str, int]] = []
    real = known.iter_captures

    def recording(path: Path, errors: list[str] | None = None, start: int = 0, end: int | None = None):  # type: ignore[no-untyped-def]
        seen.append((path.name, start))
        return real(path, errors, start=start, end=end)

    monkeypatch.setattr(known, "iter_captures", recording)
    return seen


def test_index_answers_for_what_it_holds_warcs_for_the_rest(tmp_path: Path, reads: list[tuple[str, int]]) -> None:
    first = WarcWriter(tmp_path / "warc", worker="a")
    _write(first, range(10), 1, "2026-01-01T00:00:00.000000Z")
    first.close()
    build_index(tmp_path, progress=False, workers=1)
    second = WarcWriter(tmp_path / "warc", worker="b")
    _write(second, range(3), 2, "2026-06-01T00:00:00.000000Z")
    second.close()
    build_index(tmp_path, progress=False, workers=1)  # both files indexed whole
    third = WarcWriter(tmp_path / "warc", worker="c")
    _write(third, range(2, 5), 3, "2026-09-01T00:00:00.000000Z")  # not indexed: a crawl since the last index
    third.close()
    latest = known.latest_payloads(tmp_path)
    assert latest == _from_warcs_alone(tmp_path) and len(latest) == 10
    versions = {url.rsplit("/", 1)[1]: date[:7] for url, (_digest, date) in latest.items()}
    assert versions["0.html"] == "2026-06" and versions["2.html"] == "2026-09" and versions["9.html"] == "2026-01"
    sizes = {p.name: p.stat().st_size for p in warc_files(tmp_path)}
    indexed = {name for name, start in reads if start == sizes[name]}
    assert indexed == {first.files[0].name, second.files[0].name}  # read from their end: nothing
    assert (third.files[0].name, 0) in reads


def test_a_file_cut_back_after_indexing_is_read_whole(tmp_path: Path, reads: list[tuple[str, int]]) -> None:
    writer = WarcWriter(tmp_path / "warc", worker="a")
    _write(writer, range(6), 1, "2026-01-01T00:00:00.000000Z")
    writer.close()
    build_index(tmp_path, progress=False, workers=1)
    [path] = warc_files(tmp_path)
    captures = list(iter_captures(path))
    with path.open("r+b") as handle:  # as `verify --repair` leaves a file: whole records, fewer of them
        handle.truncate(captures[3].offset)
    latest = known.latest_payloads(tmp_path)
    assert latest == _from_warcs_alone(tmp_path) and len(latest) == 3
    assert reads == [(path.name, 0)]


def test_without_an_index_every_file_is_read(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path / "warc", worker="a")
    _write(writer, range(4), 1, "2026-01-01T00:00:00.000000Z")
    writer.close()
    assert known.latest_payloads(tmp_path) == _from_warcs_alone(tmp_path) and len(_from_warcs_alone(tmp_path)) == 4
