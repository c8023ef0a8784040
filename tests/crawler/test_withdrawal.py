"""Withdrawn reports: a report that no list links any more is still asked on nightly runs (at most every
NIANBAO_RECHECK_DAYS), so its 404 is archived and, two nights in a row, the index marks it withdrawn."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.conftest import ROOT

AGENCY = "测试县应急管理局"
KEPT, GONE = "/ndbg/t2023.html", "/ndbg/t2022.html"


def _page(title: str, body: str) -> bytes:
    return f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>{body}</body></html>'.encode()


def _report(year: int) -> bytes:
    text = "".join(f"<p>一、总体情况 {year}年，{AGENCY}主动公开政府信息{n}条。</p>" for n in range(12))
    return _page(f"{AGENCY}{year}年政府信息公开工作年度报告", text)


class _Portal(ThreadingHTTPServer):
    night = 0
    asked: list[str]


class _Handler(BaseHTTPRequestHandler):
    server: _Portal

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.asked.append(self.path)
        links = [f'<a href="{KEPT}">{AGENCY}2023年政府信息公开工作年度报告</a>']
        if self.server.night == 0:
            links.append(f'<a href="{GONE}">{AGENCY}2022年政府信息公开工作年度报告</a>')
        pages = {"/": _page(AGENCY, '<a href="/ndbg/">政府信息公开年报</a>'),
                 "/ndbg/": _page("政府信息公开年报", "".join(links)), KEPT: _report(2023)}
        if self.server.night == 0:
            pages[GONE] = _report(2022)
        body = pages.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")


def _crawl(seeds: Path, archive: Path, *extra: str) -> None:
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--seeds", str(seeds), "--archive",
                           str(archive), "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                           "-s", "NIANBAO_INDEX_INTERVAL=0", *extra], cwd=ROOT, capture_output=True, text=True,
                          timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


def test_a_report_gone_from_its_list_is_asked_and_marked_withdrawn_after_two_nights(tmp_path: Path) -> None:
    portal = _Portal(("127.0.0.2", 0), _Handler)
    portal.asked = []
    threading.Thread(target=portal.serve_forever, daemon=True).start()
    try:
        seeds = tmp_path / "seeds.csv"
        seeds.write_text(f"agency,province,city,county,url\n{AGENCY},测试省,,测试县,"
                         f"http://127.0.0.2:{portal.server_address[1]}/\n", encoding="utf-8")
        archive = tmp_path / "archive"
        _crawl(seeds, archive)
        portal.night = 1
        portal.asked.clear()
        _crawl(seeds, archive, "--incremental")  # asked less than NIANBAO_RECHECK_DAYS (7) ago: not asked
        assert GONE not in portal.asked and KEPT in portal.asked
        for _night in (1, 2):
            portal.asked.clear()
            _crawl(seeds, archive, "--incremental", "-s", "NIANBAO_RECHECK_DAYS=0")
            assert portal.asked.count(GONE) == 1
    finally:
        portal.shutdown()
        portal.server_close()
    changes = subprocess.run([sys.executable, "-m", "crawler.cli", "changes", "--archive", str(archive), "--json"],
                             cwd=ROOT, capture_output=True, text=True, timeout=120, check=True).stdout
    withdrawn = [c for c in json.loads(changes) if c["change"] == "withdrawn"]
    assert [c["url"].endswith(GONE) for c in withdrawn] == [True]
    from archive.warc.reader import iter_captures, warc_files

    asked = [c for path in warc_files(archive) for c in iter_captures(path) if c.url.endswith(GONE)]
    assert [c.status for c in asked] == [200, 404, 404]  # archived, then the two nights' answers
    assert all(c.provenance["reason"].startswith("withdrawal check: no page linked it") for c in asked[1:])
