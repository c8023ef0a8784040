"""ARCHIVE/index.cdxj at any size: closed files' lines sorted once into ARCHIVE/cdxj/, then merged.

The index must equal what sorting every record's line in memory gives (what cdxj.py did before, and what
replay tools expect), whatever the number of files, runs and merge passes; a closed file is read once; a
file cut back by a repair, moved out or still being written is handled.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from archive.warc import cdxj, external_sort
from archive.warc.cdxj import file_lines, write_cdxj
from archive.warc.external_sort import merged_lines, sort_into
from archive.warc.reader import iter_captures, warc_files
from archive.warc.writer import Exchange, WarcWriter
from tests.archive.test_verify import NIANBAO_WARCINFO


def _exchange(host: int, i: int) -> Exchange:
    body = f"<html><title>{2016 + i % 9}年政府信息公开工作年度报告</title><body>第{i}号</body></html>".encode()
    path = f"/zwgk/ndbg/{random.Random(i).randrange(10**6)}_{i}.html"  # pages of a site in no sorted order
    return Exchange(url=f"http://127.0.{host}.1:8000{path}", method="GET", request_target=path,
                    request_headers=[("Host", f"127.0.{host}.1:8000")], request_body=b"", status=200, reason="OK",
                    protocol="HTTP/1.1", response_headers=[("Content-Type", "text/html; charset=utf-8"),
                                                           ("Content-Length", str(len(body)))],
                    body=body, ip_address=f"127.0.{host}.1")


def _write_file(archive: Path, host: int, count: int, close: bool = True) -> Path:
    """One WARC file of `count` exchanges with host 127.0.`host`.1 (left .open unless `close`)."""
    before = set(warc_files(archive))
    writer = WarcWriter(archive / "warc", worker=f"w{host}", warcinfo=NIANBAO_WARCINFO)
    for i in range(count):
        writer.write(writer.exchange_records(_exchange(host, i), {"seed": "", "role": "report"}))
    if close:
        writer.close()
    else:
        assert writer._file is not None
        writer._file.close()
    [path] = set(warc_files(archive)) - before
    return path


def _in_memory(archive: Path) -> list[str]:
    """The reference: every file's lines, sorted in memory."""
    return sorted(line for path in warc_files(archive) for line in file_lines(path))


def _index(archive: Path) -> list[str]:
    return (archive / "index.cdxj").read_text(encoding="utf-8").splitlines()


def test_index_equals_the_in_memory_sort_across_runs_and_merge_passes(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(external_sort, "RUN_LINES", 7)  # each file sorted in several runs
    monkeypatch.setattr(external_sort, "FAN_IN", 3)  # and the files merged in two passes
    archive = tmp_path / "archive"
    for host in range(8):
        _write_file(archive, host, 10 + host * 3)
    write_cdxj(archive)
    lines = _index(archive)
    assert lines == _in_memory(archive)
    assert len(lines) == sum(10 + host * 3 for host in range(8))
    assert lines[0].startswith("1,0,0,127:8000)/zwgk/ndbg/")  # SURT keys, not URLs
    assert sorted(p.name for p in (archive / "cdxj").iterdir()) == sorted(f"{p.name}.cdxj" for p in warc_files(archive))


def test_a_closed_file_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "archive"
    first = _write_file(archive, 1, 20)
    write_cdxj(archive)
    read: list[str] = []
    real = cdxj.iter_captures

    def counting(path: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        read.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(cdxj, "iter_captures", counting)
    second = _write_file(archive, 2, 15)
    write_cdxj(archive)
    assert read == [second.name]  # the first file's lines came from its cache
    assert _index(archive) == _in_memory(archive) and len(_index(archive)) == 35
    assert first.name != second.name


def test_a_file_cut_back_by_a_repair_is_read_again(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    path = _write_file(archive, 1, 12)
    write_cdxj(archive)
    captures = list(iter_captures(path))
    cut = captures[6].offset  # the records from the 7th on are dropped (what `verify --repair` does to a torn tail)
    with path.open("r+b") as handle:
        handle.truncate(cut)
    write_cdxj(archive)
    assert _index(archive) == _in_memory(archive)
    assert len(_index(archive)) == len([c for c in captures if c.offset < cut]) == 6


def test_a_file_moved_out_leaves_the_index_and_the_cache(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    kept = _write_file(archive, 1, 5)
    gone = _write_file(archive, 2, 5)
    write_cdxj(archive)
    gone.rename(tmp_path / gone.name)
    write_cdxj(archive)
    assert [p.name for p in (archive / "cdxj").iterdir()] == [f"{kept.name}.cdxj"]
    assert len(_index(archive)) == 5 and all(f'"filename": "{kept.name}"' in line for line in _index(archive))


def test_an_open_file_is_indexed_and_not_cached(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    closed = _write_file(archive, 1, 5)
    growing = _write_file(archive, 2, 4, close=False)
    assert growing.name.endswith(".open")
    write_cdxj(archive)
    assert _index(archive) == _in_memory(archive) and len(_index(archive)) == 9
    assert [p.name for p in (archive / "cdxj").iterdir()] == [f"{closed.name}.cdxj"]  # no temporary left


def test_sort_into_and_merged_lines_hold_no_more_than_a_run(tmp_path: Path) -> None:
    rng = random.Random(3)
    lines = [f"{rng.random():.12f} {'年报' * rng.randrange(3)}" for _ in range(1000)]
    out = tmp_path / "sorted.txt"
    sort_into(iter(lines), out, header="!header", run_lines=64)
    written = out.read_text(encoding="utf-8").splitlines()
    assert written[0] == "!header" and written[1:] == sorted(lines)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sorted.txt"]  # runs removed
    parts = []
    for n in range(7):
        part = tmp_path / f"part{n}.txt"
        sort_into(lines[n::7], part, header="!skip me")
        parts.append(part)
    assert list(merged_lines(parts, fan_in=2)) == sorted(lines)
    assert not list(tmp_path.glob(".sort-*"))  # merge passes' files removed
