"""`nianbao verify` on damaged archives: --repair mends what a killed crawl leaves and nothing else.

A torn tail (the writer killed mid-record, or a power loss that left zeros) is cut off and the file
closed; damage with complete records after it, a payload changed under a valid gzip member, or a closed
file that differs from its manifest are reported and never touched.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from archive.warc.reader import iter_captures, warc_files
from archive.warc.verify import complete_members_end, repairable, verify_warc
from archive.warc.writer import Exchange, WarcWriter

EXCHANGES = 8
# What a crawl writes into each file's warcinfo (crawler/capture.py): how verify knows nianbao wrote the file.
NIANBAO_WARCINFO = {"software": "nianbao/0.1.0 (Scrapy, warcio)", "format": "WARC File Format 1.1",
                    "isPartOf": "20261125T040000123456Z-3f2a",
                    "nianbao-run-id": "20261125T040000123456Z-3f2a"}


def _exchange(i: int) -> Exchange:
    body = (f"<html><title>{2016 + i}年政府信息公开工作年度报告</title><body>" + "本机关认真贯彻落实条例。" * 40
            + "</body></html>").encode()
    return Exchange(url=f"http://127.0.0.1:8000/zwgk/ndbg/{i}.html", method="GET",
                    request_target=f"/zwgk/ndbg/{i}.html", request_headers=[("Host", "127.0.0.1:8000")],
                    request_body=b"", status=200, reason="OK", protocol="HTTP/1.1",
                    response_headers=[("Content-Type", "text/html; charset=utf-8"),
                                      ("Content-Length", str(len(body)))], body=body, ip_address="127.0.0.1")


def _archive(root: Path, close: bool = True) -> Path:
    """An archive folder with one WARC file of EXCHANGES exchanges (closed, or left .open as a kill leaves it)."""
    writer = WarcWriter(root / "warc", worker="test", warcinfo=NIANBAO_WARCINFO)
    for i in range(EXCHANGES):
        writer.write(writer.exchange_records(_exchange(i), {"seed": "http://127.0.0.1:8000/", "role": "report"}))
    if close:
        writer.close()
    else:  # what a SIGKILL leaves: the descriptor closed by the kernel, the file still .open
        assert writer._file is not None
        writer._file.close()
    [path] = warc_files(root)
    return path


def _members(path: Path) -> list[tuple[int, int]]:
    """(offset, length) of each gzip member."""
    data, out, at = path.read_bytes(), [], 0
    while at < len(data):
        decompressor = zlib.decompressobj(31)
        decompressor.decompress(data[at:])
        length = len(data) - at - len(decompressor.unused_data)
        out.append((at, length))
        at += length
    return out


def _verify(root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler.cli", "verify", "--archive", str(root), *extra],
                          capture_output=True, text=True, timeout=120, check=False)


def _state(path: Path) -> tuple[bytes, str]:
    manifest = path.with_name(path.name + ".manifest.json")
    return hashlib.sha256(path.read_bytes()).digest(), manifest.read_text(encoding="utf-8")


def test_intact_archive_passes(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    done = _verify(tmp_path)
    assert done.returncode == 0 and "archive intact" in done.stdout
    assert json.loads(path.with_name(path.name + ".manifest.json").read_text())["records"] == 1 + 3 * EXCHANGES


def test_torn_tail_of_an_open_file_is_cut_and_the_file_closed(tmp_path: Path) -> None:
    path = _archive(tmp_path, close=False)
    assert path.name.endswith(".open")
    members = _members(path)
    cut_at = members[-3][0] + members[-3][1] // 2  # mid-way through the response of the last exchange
    data = path.read_bytes()
    path.write_bytes(data[:cut_at])
    before = {c.record_id: c.payload_digest for c in iter_captures(path)}
    done = _verify(tmp_path)
    assert done.returncode == 1 and f"offset {members[-3][0]}" in done.stderr and "--repair" in done.stderr
    done = _verify(tmp_path, "--repair")
    assert done.returncode == 0, done.stderr
    [closed] = warc_files(tmp_path)
    assert not closed.name.endswith(".open")
    assert closed.read_bytes() == data[:members[-3][0]]  # every complete record kept byte for byte
    assert closed.with_name(closed.name + ".torn").read_bytes() == data[members[-3][0]:cut_at]
    after = {c.record_id: c.payload_digest for c in iter_captures(closed)}
    assert after.items() <= before.items() and len(after) == EXCHANGES - 1
    assert _verify(tmp_path).returncode == 0


def test_zero_filled_tail_after_a_power_loss_is_a_torn_tail(tmp_path: Path) -> None:
    path = _archive(tmp_path, close=False)
    size = path.stat().st_size
    with path.open("ab") as handle:
        handle.write(b"\0" * 4096)
    done = _verify(tmp_path, "--repair")
    assert done.returncode == 0, done.stderr
    [closed] = warc_files(tmp_path)
    assert closed.stat().st_size == size and _verify(tmp_path).returncode == 0


def test_damage_inside_a_file_is_reported_never_cut(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    members = _members(path)
    offset, length = members[4]
    data = bytearray(path.read_bytes())
    data[offset + length // 2] ^= 0xFF  # a flipped byte in the deflate data of one record
    path.write_bytes(bytes(data))
    before = _state(path)
    for args in ((), ("--repair",)):
        done = _verify(tmp_path, *args)
        assert done.returncode == 1
        assert f"damaged record at offset {offset}" in done.stderr and "restore the file from a copy" in done.stderr
        assert f"the next at offset {members[5][0]}" in done.stderr
    assert _state(path) == before  # neither cut nor re-manifested
    assert not path.with_name(path.name + ".torn").exists()
    assert complete_members_end(path)[1] == offset


def test_changed_payload_under_valid_gzip_is_a_digest_problem(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    members = _members(path)
    offset, length = members[1]  # the first response record
    data = path.read_bytes()
    record = zlib.decompress(data[offset:offset + length], 31)
    assert record.startswith(b"WARC/1.1\r\nWARC-Type: response")
    changed = record.replace("本机关".encode(), "本单位".encode(), 1)
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    member = compressor.compress(changed) + compressor.flush()
    path.write_bytes(data[:offset] + member + data[offset + length:])
    before = _state(path)
    for args in ((), ("--repair",)):
        done = _verify(tmp_path, *args)
        assert done.returncode == 1
        assert f"offset {offset}:" in done.stderr and "digest" in done.stderr.lower()
        assert "differs from" in done.stderr  # the manifest written at close no longer matches
    assert _state(path) == before


def test_closed_file_without_its_manifest_gets_one(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    manifest = path.with_name(path.name + ".manifest.json")
    written = json.loads(manifest.read_text())
    manifest.unlink()
    done = _verify(tmp_path)
    assert done.returncode == 1 and f"no {manifest.name}" in done.stderr
    assert _verify(tmp_path, "--repair").returncode == 0
    assert json.loads(manifest.read_text()) == written and _verify(tmp_path).returncode == 0


FIXTURES = Path(__file__).parent.parent / "fixtures" / "warcs"
# Other tools' intact files (tests/fixtures/warcs/SOURCES.md): WARC and ARC, gzipped or not, one with a record
# warcio cannot parse (a revisit without WARC-Target-URI), one without record ids.
INTACT_FOREIGN = ["arc-renamed.warc.gz", "lonely-revisit.warc.gz", "no-record-id.warc",
                  "pywb-example-wget-1-14.warc.gz", "pywb-example-url-agnostic-revisit.warc.gz",
                  "pywb-example-wpull.warc.gz", "warcio-example.arc", "warcio-example.arc.gz",
                  "warcio-example.warc", "warcio-example.warc.gz"]


def _foreign(root: Path, *names: str) -> list[Path]:
    (root / "warc").mkdir(parents=True, exist_ok=True)
    return [Path(shutil.copy(FIXTURES / name, root / "warc" / name)) for name in names]


def test_other_tools_files_are_checked_and_pass_without_a_manifest(tmp_path: Path) -> None:
    nianbao_file = _archive(tmp_path)  # beside a file nianbao wrote, which keeps its manifest check
    paths = _foreign(tmp_path, *INTACT_FOREIGN)
    for path in paths:
        check = verify_warc(path)
        assert check.ok and check.records >= 2 and not check.manifest_missing, check.problems
        assert check.notes == [f"{path.name}: not written by nianbao; records checked"]
        assert not repairable(check)
    assert verify_warc(nianbao_file).notes == []
    before = {p.name: p.read_bytes() for p in paths}
    for args in ((), ("--repair",)):
        done = _verify(tmp_path, *args)
        assert done.returncode == 0 and "archive intact" in done.stdout, done.stderr
        assert f"{len(paths) + 1} WARC files" in done.stdout and "manifest" not in done.stderr
    assert {p.name: p.read_bytes() for p in paths} == before  # never repaired, never given a manifest
    manifests = sorted(p.name for p in (tmp_path / "warc").glob("*.manifest.json"))
    assert manifests == [nianbao_file.name + ".manifest.json"]


def test_a_broken_record_of_another_tool_is_reported_with_its_offset(tmp_path: Path) -> None:
    [broken, good] = _foreign(tmp_path, "warcio-example-wrong-chunks.warc.gz", "warcio-example.warc.gz")
    check = verify_warc(broken)
    assert check.damaged
    assert any(f"{broken.name}: unreadable record at offset 516" in p for p in check.problems)
    assert check.records == 2  # the warcinfo and the response before it, and nothing raised
    done = _verify(tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "unreadable record at offset 516" in done.stderr and good.name not in done.stderr


def test_no_manifest_is_still_a_problem_for_a_file_nianbao_wrote(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    path.with_name(path.name + ".manifest.json").unlink()
    check = verify_warc(path)
    assert check.manifest_missing and not check.ok and check.notes == [] and repairable(check)


@pytest.mark.parametrize("content", [b"", b'{"file": "nianbao-2026', b"\0" * 4096, b"[1, 2]"])
def test_an_empty_or_cut_manifest_is_a_bad_manifest_that_repair_writes_again(tmp_path: Path,
                                                                             content: bytes) -> None:
    path = _archive(tmp_path)
    manifest = path.with_name(path.name + ".manifest.json")
    written = json.loads(manifest.read_text())
    manifest.write_bytes(content)  # what a full disk while closing the file leaves, or worse
    check = verify_warc(path)
    assert check.manifest_bad and not check.damaged and repairable(check)
    done = _verify(tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"bad manifest {manifest.name}" in done.stderr and "--repair" in done.stderr
    done = _verify(tmp_path, "--repair")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert json.loads(manifest.read_text()) == written and _verify(tmp_path).returncode == 0


def test_a_bad_manifest_beside_a_changed_file_is_never_rewritten(tmp_path: Path) -> None:
    path = _archive(tmp_path)
    members = _members(path)
    data = bytearray(path.read_bytes())
    data[members[4][0] + members[4][1] // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    manifest = path.with_name(path.name + ".manifest.json")
    manifest.write_bytes(b"")
    done = _verify(tmp_path, "--repair")
    assert done.returncode == 1 and "Traceback" not in done.stderr and "damaged record" in done.stderr
    assert manifest.read_bytes() == b""
