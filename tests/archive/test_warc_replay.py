"""Real web-archive tools on a real crawl: pywb replays what the server sent; wacz validates our pack."""

from __future__ import annotations

import email.utils
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from archive.warc.reader import iter_captures, warc_files
from crawler.demo.server import DemoPortals
from tests.conftest import require_program

pytestmark = [pytest.mark.e2e, pytest.mark.tools]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes], dict[str, str]]:
    archive = tmp_path_factory.mktemp("replay") / "archive"
    with DemoPortals() as portals:
        seeds = portals.seeds_csv(archive.parent / "seeds.csv")
        for _run in range(2):  # crawled twice: the second run stores unchanged pages as revisit records
            subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--seeds", str(seeds), "--archive",
                            str(archive), "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                            "-s", "NIANBAO_MAX_LIST_PAGES=5"], check=True, capture_output=True, timeout=300)
        docs = portals.manifest()["documents"]
        report = next(d for d in docs if d["site"] == "trs" and d["role"] == "report" and d["kind"] == "html"
                      and not d["robots_disallowed"])
        pdf = next(d for d in docs if d["kind"] == "pdf")
        served = {report["url"]: portals.file_bytes(report), pdf["url"]: portals.file_bytes(pdf)}
        types = {report["url"]: report["content_type"], pdf["url"]: pdf["content_type"]}
    return archive, served, types


def test_pywb_replays_what_the_server_sent(
    crawl: tuple[Path, dict[str, bytes], dict[str, str]], tmp_path: Path
) -> None:
    archive, served, _types = crawl
    wb_manager = require_program("wb-manager", "make tools")
    wayback = require_program("wayback", "make tools")
    subprocess.run([wb_manager, "init", "demo"], cwd=tmp_path, check=True, capture_output=True)
    subprocess.run([wb_manager, "add", "demo", *map(str, warc_files(archive))], cwd=tmp_path, check=True,
                   capture_output=True)
    port = _free_port()
    server = subprocess.Popen([wayback, "-p", str(port), "-b", "127.0.0.1"], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ})
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        for url, body in served.items():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/demo/2026id_/{url}", timeout=20) as answer:
                assert answer.read() == body, url  # identity mode: the archived bytes exactly
        report_url = next(u for u in served if u.endswith(".html"))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/demo/2026mp_/{report_url}", timeout=20) as answer:
            page = answer.read()
            assert answer.status == 200 and "政府信息公开工作年度报告".encode("gbk") in page
        # The second run's revisit records replay as the payload they refer to.
        revisits = [c for path in warc_files(archive) for c in iter_captures(path)
                    if c.record_type == "revisit" and c.url in served]
        assert {c.url for c in revisits} == set(served)
        for capture in revisits:
            stamp = "".join(ch for ch in capture.date if ch.isdigit())[:14]
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/demo/{stamp}id_/{capture.url}", timeout=20) as answer:
                assert answer.read() == served[capture.url], capture.url
                replayed = email.utils.parsedate_to_datetime(answer.headers["Memento-Datetime"])
                assert replayed.strftime("%Y%m%d%H%M%S") == stamp  # the revisit itself, not the first capture
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_pack_gives_a_valid_wacz(crawl: tuple[Path, dict[str, bytes], dict[str, str]], tmp_path: Path) -> None:
    archive, served, _types = crawl
    wacz = require_program("wacz", "make tools")
    target = tmp_path / "demo.wacz"
    subprocess.run([sys.executable, "-m", "crawler.cli", "pack", "--archive", str(archive), "-o", str(target)],
                   check=True, capture_output=True)
    done = subprocess.run([wacz, "validate", "-f", str(target)], capture_output=True, text=True)
    assert done.returncode == 0 and "valid" in done.stdout, done.stdout + done.stderr
    urls = {c.url for path in warc_files(archive) for c in iter_captures(path)}
    assert set(served) <= urls
    import json
    import zipfile

    with zipfile.ZipFile(target) as package:
        header, *pages = [json.loads(line) for line in package.read("pages/pages.jsonl").decode().splitlines()]
        names = set(package.namelist())
    assert header["format"] == "json-pages-1.0" and {f"archive/{p.name}" for p in warc_files(archive)} <= names
    listed = {page["url"] for page in pages}
    assert set(served) <= listed  # the report and its attachment are entry points in ReplayWeb.page
    assert all(page["ts"] and page["id"] for page in pages)
