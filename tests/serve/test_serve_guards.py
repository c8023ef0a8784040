"""`nianbao serve` stays bounded and cleans up: value sizes capped on Datasette's connections, pages built
off the event loop, security headers on nianbao's pages, a warning for non-loopback hosts, and SIGTERM
reaching the Datasette child."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from click.testing import CliRunner

from archive.db import connect
from crawler.cli import main
from tests.serve.conftest import Served, start_serve, stop_serve

pytestmark = [pytest.mark.e2e]

PAGES = ["/", "/-/search?q=" + quote("复议"), "/-/reports", "/-/coverage", "/-/figures", "/-/report/1", "/-/raw/1"]


def _get(url: str, timeout: float = 30) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_sql_cannot_build_huge_values(served: Served) -> None:
    # 100 MB is enough to show the cap (a gigabyte would take the test machine's memory before the fix)
    sql = quote("select length(randomblob(100000000)) as n")
    start = time.monotonic()
    status, _headers, body = _get(f"{served.base}/index.json?sql={sql}&_shape=array")
    assert time.monotonic() - start < 5
    assert status >= 400, body[:300]
    assert b"too big" in body
    status, _headers, body = _get(f"{served.base}/index.json?sql={quote('select length(randomblob(1000)) as n')}"
                                  "&_shape=array")
    assert status == 200 and json.loads(body) == [{"n": 1000}]  # ordinary values still work


@pytest.mark.parametrize("path", PAGES)
def test_nianbao_pages_send_security_headers(served: Served, path: str) -> None:
    status, headers, _body = _get(served.base + path)
    assert status == 200
    assert "script-src" in headers["content-security-policy"] or "default-src 'none'" in \
        headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_non_loopback_host_warns(tmp_path: Path) -> None:
    from crawler.cli.serve import is_loopback

    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost") and is_loopback("127.0.0.2")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("example.org")
    result = CliRunner().invoke(main, ["serve", "--archive", str(tmp_path), "--host", "0.0.0.0"])
    assert "warning: --host 0.0.0.0 is not a loopback address" in result.output
    quiet = CliRunner().invoke(main, ["serve", "--archive", str(tmp_path), "--host", "127.0.0.1"])
    assert "warning" not in quiet.output


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_sigterm_reaches_datasette_and_removes_the_temp_folder(demo_archive: Path) -> None:
    server = start_serve(demo_archive)
    [child] = _children(server.process.pid)
    command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
    metadata = Path(command[command.index(b"--metadata") + 1].decode())
    assert metadata.exists()
    try:
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=15)
        deadline = time.monotonic() + 5
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child), "the Datasette child outlived `nianbao serve`"
        assert not metadata.parent.exists()
    finally:
        if _alive(child):
            os.kill(child, signal.SIGKILL)
        if server.process.stderr:
            server.process.stderr.close()


def test_a_page_waiting_on_sqlite_does_not_stall_the_server(demo_archive: Path, tmp_path: Path) -> None:
    """A page blocked on a locked index (another writer) must not hold up other requests."""
    archive = tmp_path / "archive"
    shutil.copytree(demo_archive, archive, ignore=shutil.ignore_patterns("*.lock"))
    with connect(archive / "index.db") as conn:
        conn.execute("pragma journal_mode = delete")
    server = start_serve(archive)
    writer = sqlite3.connect(archive / "index.db", isolation_level=None)
    try:
        writer.execute("begin exclusive")
        slow = threading.Thread(target=_get, args=(server.base + "/-/coverage",))
        slow.start()
        time.sleep(0.5)  # the coverage page is now waiting for the lock
        start = time.monotonic()
        status, _headers, _body = _get(server.base + "/-/versions.json", timeout=10)
        waited = time.monotonic() - start
        writer.execute("rollback")
        slow.join(timeout=15)
        assert status == 200
        assert waited < 1.0, f"another request waited {waited:.1f} s for the blocked page"
    finally:
        writer.close()
        stop_serve(server)


def _served_name(archive: Path, warc_file: str, offset: int, length: int) -> str:
    """The name the portal gave the file: its Content-Disposition filename (UTF-8 or GBK), else the URL's last
    segment."""
    from email.message import Message

    from archive.warc.reader import read_record

    url, headers, _payload = read_record(archive / "warc" / warc_file, offset, length)
    disposition = next((v for k, v in headers if k.lower() == "content-disposition"), "")
    if disposition:
        message = Message()
        message["content-disposition"] = disposition
        name = message.get_filename()
        if name and name.isascii():
            return name
        if name:  # raw GBK bytes, which the WARC reader hands over read as Latin-1 (the demo's DOCX has them)
            try:
                return name.encode("latin-1").decode("gb18030")
            except UnicodeError:
                return name
    return unquote(url.rsplit("/", 1)[1])


def test_download_keeps_the_original_file_name(served: Served) -> None:
    with connect(served.archive / "index.db") as conn:
        captures = conn.execute(
            "select c.id, c.warc_file, c.warc_offset, c.warc_length from documents d join captures c "
            "on c.id = d.capture_id where d.kind in ('pdf', 'docx')").fetchall()
    assert captures
    for capture_id, warc_file, offset, length in captures:
        status, headers, body = _get(f"{served.base}/-/download/{capture_id}")
        assert status == 200 and body[:4] in (b"%PDF", b"PK\x03\x04")
        disposition = headers["content-disposition"]
        assert disposition.startswith("attachment")
        name = unquote(disposition.split("filename*=UTF-8''", 1)[1])
        assert name == _served_name(served.archive, warc_file, offset, length)
        assert name.endswith((".pdf", ".docx"))
        assert headers["content-security-policy"] == "sandbox"
