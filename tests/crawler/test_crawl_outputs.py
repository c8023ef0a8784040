"""What a real crawl leaves besides the records themselves: the crawl log and the WARC files' framing.

A loopback portal whose report column holds a report that answers, one that hangs past the download
timeout, one whose connection drops mid-body, one robots.txt forbids and one reached through a 301; a
second seed points at a closed port. Every WARC response has its crawl-log line (status, size, digest,
time); every fetch without an answer has a line with Heritrix's negative fetch-status code. The crawl
runs with a small NIANBAO_WARC_MAX_SIZE, an operator and a contact: files rotate, each opens with a
warcinfo record that says who crawled, with what and how.
"""

from __future__ import annotations

import csv
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from archive.db import connect
from archive.warc.reader import iter_captures, warc_files

pytestmark = pytest.mark.e2e

HANG_SECONDS = 4
MAX_SIZE = 2500
OPERATOR = "某大学政府透明度研究中心"
ETAG = '"5f1e-2023"'


def _page(title: str, body: str) -> bytes:
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body>{body}</body></html>").encode()


REPORT_BODY = (
    "<div class='article'><h1>{year}年政府信息公开工作年度报告</h1>"
    + "<p>本报告由本机关根据《中华人民共和国政府信息公开条例》编制，全文包括总体情况、主动公开政府信息情况。</p>" * 8
    + "</div>"
)

LIST = "".join(f'<li><a href="{href}">{year}年政府信息公开工作年度报告</a><span>{year + 1}-01-20</span></li>'
               for year, href in [(2023, "/zwgk/ndbg/2023.html"), (2022, "/zwgk/ndbg/2022.html"),
                                  (2021, "/zwgk/ndbg/2021.html"), (2020, "/zwgk/ndbg/2020.html"),
                                  (2019, "/old/2019.html")])


HOME = _page("某县人民政府", '<a href="/zwgk/">政府信息公开</a>')
COLUMN = _page("政府信息公开", '<a href="/zwgk/ndbg/">政府信息公开年报</a>')


class Portal(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8",
              extra: tuple[tuple[str, str], ...] = ()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        try:
            self._answer(self.path)
        except ConnectionError:  # the crawler gave up on a hung page: expected here
            self.close_connection = True

    def _answer(self, path: str) -> None:
        if path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /zwgk/ndbg/2021.html\n", "text/plain")
        elif path == "/":  # as nginx answers
            self._send(200, HOME, extra=(("Connection", "keep-alive"), ("Keep-Alive", "timeout=5, max=100")))
        elif path == "/zwgk/":  # an old server: no length, the body ends when the connection closes
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(COLUMN)
            self.close_connection = True
        elif path == "/zwgk/ndbg/":  # chunked
            body = _page("政府信息公开年报", f"<ul>{LIST}</ul>")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 300):
                piece = body[start:start + 300]
                self.wfile.write(f"{len(piece):X}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/old/2019.html":
            self._send(301, b"", extra=(("Location", "/zwgk/ndbg/2019.html"),))
        elif path == "/zwgk/ndbg/2022.html":
            time.sleep(HANG_SECONDS)  # past the crawl's DOWNLOAD_TIMEOUT
            self._send(200, _page("2022", REPORT_BODY.format(year=2022)))
        elif path == "/zwgk/ndbg/2020.html":
            body = _page("2020", REPORT_BODY.format(year=2020))
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:200])  # then the connection drops
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
        elif path == "/zwgk/ndbg/2023.html":  # answers a conditional request with 304
            if self.headers.get("If-None-Match") == ETAG:
                self.send_response(304)
                self.send_header("ETag", ETAG)
                self.end_headers()
            else:
                self._send(200, _page("2023年政府信息公开工作年度报告", REPORT_BODY.format(year=2023)),
                           extra=(("ETag", ETAG),))
        elif path in ("/zwgk/ndbg/2021.html", "/zwgk/ndbg/2019.html"):
            year = int(path.rsplit("/", 1)[1][:4])
            self._send(200, _page(f"{year}年政府信息公开工作年度报告", REPORT_BODY.format(year=year)))
        else:
            self._send(404, _page("404", "页面不存在"))


@pytest.fixture(scope="module")
def portal() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # nothing listens once the probe is closed


@pytest.fixture(scope="module")
def crawl(portal: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    root = tmp_path_factory.mktemp("crawllog")
    dead = f"http://127.0.0.1:{_closed_port()}/"
    seeds = root / "seeds.csv"
    with seeds.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["agency", "province", "city", "county", "url", "kind"])
        writer.writerow(["某县人民政府", "某省", "某市", "某县", portal + "/", ""])
        writer.writerow(["某县应急管理局", "某省", "某市", "某县", dead, ""])
    archive = root / "archive"
    _crawl(seeds, archive)
    return archive, portal, dead


def _crawl(seeds: Path, archive: Path, *extra: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--seeds", str(seeds), "--archive", str(archive), *extra,
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_TIMEOUT=1",
         "-s", "RETRY_TIMES=1", "-s", "NIANBAO_RETRY_BACKOFF=0.1", "-s", f"NIANBAO_WARC_MAX_SIZE={MAX_SIZE}",
         "-s", f"NIANBAO_OPERATOR={OPERATOR}", "-s", "NIANBAO_CONTACT_URL=mailto:archive@example.org"],
        capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr[-4000:]


def _lines(archive: Path) -> list[list[str]]:
    [log] = sorted((archive / "logs").glob("crawl-*.log"))
    rows = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    assert all(len(row) == 10 for row in rows), [row for row in rows if len(row) != 10]
    return rows


def test_every_archived_response_has_its_line(crawl: tuple[Path, str, str]) -> None:
    archive, portal, _dead = crawl
    rows = _lines(archive)
    answered = [row for row in rows if int(row[1]) > 0]
    captures = [c for path in warc_files(archive) for c in iter_captures(path)]
    assert len(answered) == len(captures) > 0
    by_url = {row[3]: row for row in answered}
    for capture in captures:
        when, status, size, _url, _hop, _via, content_type, _duration, digest, _notes = by_url[capture.url]
        assert (int(status), int(size)) == (capture.status, len(capture.payload)), capture.url
        assert digest == capture.payload_digest and when[:19] == capture.date[:19], capture.url
        assert content_type == (capture.header("Content-Type") or "-").split(";")[0]
    # The 301 and the page it led to, one hop later, with the redirect as its via.
    assert by_url[portal + "/old/2019.html"][1] == "301"
    moved = by_url[portal + "/zwgk/ndbg/2019.html"]
    assert moved[1] == "200" and moved[4].endswith("R") and moved[5] == portal + "/old/2019.html"


def test_fetches_without_an_answer_are_logged_with_heritrix_codes(crawl: tuple[Path, str, str]) -> None:
    archive, portal, dead = crawl
    rows = _lines(archive)
    failed: dict[str, list[list[str]]] = {}
    for row in rows:
        if int(row[1]) < 0:
            failed.setdefault(row[3], []).append(row)
    hung = failed[portal + "/zwgk/ndbg/2022.html"]  # DOWNLOAD_TIMEOUT 1 s, one retry
    assert [(r[1], r[2], r[9]) for r in hung] == [("-4", "-", "err=DownloadTimeoutError"),
                                                  ("-4", "-", "err=DownloadTimeoutError,attempt=2")]
    assert all(900 <= int(r[7].removesuffix("ms")) < HANG_SECONDS * 1000 for r in hung)
    assert hung[0][5] == portal + "/zwgk/ndbg/" and hung[0][4].endswith("L")
    dropped = failed[portal + "/zwgk/ndbg/2020.html"]
    assert [(r[1], r[9]) for r in dropped] == [("-3", "err=ResponseDataLossError"),
                                               ("-3", "err=ResponseDataLossError,attempt=2")]
    [forbidden] = failed[portal + "/zwgk/ndbg/2021.html"]
    assert (forbidden[1], forbidden[7], forbidden[9]) == ("-9998", "0ms", "err=IgnoreRequest")
    refused = failed[dead]
    assert [(r[1], r[9]) for r in refused] == [("-2", "err=DownloadConnectionRefusedError"),
                                               ("-2", "err=DownloadConnectionRefusedError,attempt=2")]
    assert [r[1] for r in failed[dead + "robots.txt"]] == ["-2", "-2"]  # its robots.txt, fetched first
    # Nothing that failed reached the WARC as if it had answered.
    captured = {c.url for path in warc_files(archive) for c in iter_captures(path)}
    assert not captured & set(failed) - {portal + "/robots.txt"}


def test_files_rotate_and_each_opens_with_warcinfo(crawl: tuple[Path, str, str]) -> None:
    import json
    import re

    from warcio.archiveiterator import ArchiveIterator

    from crawler import __version__

    archive, _portal, _dead = crawl
    files = warc_files(archive)
    assert len(files) >= 3 and not [f for f in files if f.name.endswith(".open")]
    run_ids = set()
    for number, path in enumerate(files, start=1):
        match = re.fullmatch(r"nianbao-\d{17}-(\d{5})-.+-\d+\.warc\.gz", path.name)
        assert match and int(match.group(1)) == number, path.name
        if number < len(files):
            assert path.stat().st_size >= MAX_SIZE
        assert path.with_name(path.name + ".manifest.json").exists()
        with path.open("rb") as stream:
            records = iter(ArchiveIterator(stream))
            info = next(records)
            assert info.rec_type == "warcinfo" and info.rec_headers.get_header("WARC-Filename") == path.name
            assert info.rec_headers.get_header("Content-Type") == "application/warc-fields"
            fields = dict(line.split(": ", 1) for line in info.content_stream().read().decode().splitlines())
            assert all(r.rec_type != "warcinfo" for r in records)  # one per file, first
        assert fields["software"].startswith(f"nianbao/{__version__} ")
        assert fields["operator"] == OPERATOR and fields["contact"] == "mailto:archive@example.org"
        assert fields["format"] == "WARC File Format 1.1" and fields["robots"] == "obey"
        settings = json.loads(fields["nianbao-settings"])
        assert settings["NIANBAO_WARC_MAX_SIZE"] in (MAX_SIZE, str(MAX_SIZE))
        run_ids.add(fields["isPartOf"])
    assert len(run_ids) == 1


def test_second_crawl_stores_revisits_and_304s(portal: str, tmp_path: Path) -> None:
    """Crawled twice: an unchanged page without validators becomes a revisit record pointing at the first
    capture; the page with an ETag, asked conditionally (--incremental), answers 304, archived as received
    and indexed as unchanged."""

    from warcio.archiveiterator import ArchiveIterator

    from archive.warc.writer import REVISIT_PROFILE

    seeds = tmp_path / "seeds.csv"
    seeds.write_text("agency,province,city,county,url,kind\n某县人民政府,某省,某市,某县," + portal + "/,\n",
                     encoding="utf-8")
    archive = tmp_path / "archive"
    _crawl(seeds, archive)
    first_files = set(warc_files(archive))
    first = {c.url: c for path in first_files for c in iter_captures(path) if c.status == 200}
    _crawl(seeds, archive, "--incremental")
    second = {c.url: c for path in warc_files(archive) if path not in first_files for c in iter_captures(path)}
    report = portal + "/zwgk/ndbg/2019.html"
    revisit = second[report]
    assert revisit.record_type == "revisit" and revisit.payload == b""
    assert revisit.payload_digest == first[report].payload_digest
    assert (revisit.refers_to_uri, revisit.refers_to_date) == (report, first[report].date)
    with (archive / "warc" / revisit.warc_file).open("rb") as stream:
        stream.seek(revisit.offset)
        record = next(iter(ArchiveIterator(stream)))
        assert record.rec_headers.get_header("WARC-Profile") == REVISIT_PROFILE
        assert record.http_headers.get_statuscode() == "200"  # the headers of this answer, kept
    conditional = second[portal + "/zwgk/ndbg/2023.html"]
    assert conditional.record_type == "response" and conditional.status == 304
    assert conditional.header("ETag") == ETAG
    with connect(archive / "index.db") as conn:
        unchanged = dict(conn.execute("select url, unchanged from captures where run_id = ? ",
                                      (revisit.provenance["run_id"],)))
    assert unchanged[report] == 1 and unchanged[portal + "/zwgk/ndbg/2023.html"] == 1
    assert unchanged[portal + "/zwgk/ndbg/"] == 1  # the list did not change either: a revisit too
    [log] = [p for p in (archive / "logs").glob("crawl-*.log") if revisit.provenance["run_id"] in p.name]
    line = next(row.split() for row in log.read_text(encoding="utf-8").splitlines() if f" {report} " in row)
    assert line[9] == "revisit" and line[8] == first[report].payload_digest


def test_connection_headers_and_framing_as_received(crawl: tuple[Path, str, str]) -> None:
    """Headers Twisted keeps to itself are stored; framing is declared only where the body was re-framed."""
    archive, portal, _dead = crawl
    captures = {c.url: c for path in warc_files(archive) for c in iter_captures(path)}
    home = captures[portal + "/"]
    assert (home.header("Connection"), home.header("Keep-Alive")) == ("keep-alive", "timeout=5, max=100")
    assert home.header("Content-Length") == str(len(HOME)) and home.payload == HOME
    column = captures[portal + "/zwgk/"]  # delimited by the connection closing: nothing to declare
    assert column.payload == COLUMN and column.header("Connection") == "close"
    assert not column.header("Content-Length") and not column.header("X-Archive-Orig-Transfer-Encoding")
    listing = captures[portal + "/zwgk/ndbg/"]  # chunked on the wire, stored de-chunked: declared
    assert listing.header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert int(listing.header("Content-Length")) == len(listing.payload) and not listing.header("Transfer-Encoding")


def test_a_crawl_whose_seeds_all_fail_ends_with_one_line_and_exit_1(tmp_path: Path) -> None:
    """Hosts refusing connections: no tracebacks, no JSON blob; one closing line naming each seed and why."""

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    seeds = tmp_path / "seeds.csv"
    seeds.write_text("agency,province,city,county,url\n"
                     f"甲局,某省,,,http://127.0.0.2:{port}/\n乙局,某省,,,http://127.0.0.3:{port}/\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--seeds", str(seeds), "--archive",
                           str(tmp_path / "a"), "-s", "RETRY_TIMES=0", "-s", "NIANBAO_INDEX_INTERVAL=0"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "{" not in done.stderr.splitlines()[-1]
    last = done.stderr.strip().splitlines()[-1]
    assert last.endswith(f"2 of 2 seeds failed: http://127.0.0.2:{port}/ (DownloadConnectionRefusedError), "
                         f"http://127.0.0.3:{port}/ (DownloadConnectionRefusedError)"), last


class _Unavailable(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_retries_wait_outside_the_download_slots(tmp_path: Path) -> None:
    """40 sites answering 503, 4 download slots, 4 s back-off, 8 s of crawl: every site's first retry must
    go out after its back-off while the others' wait (waiting in a slot, 4 retries stalled the crawl: 8 sent)."""
    servers = [ThreadingHTTPServer((f"127.0.3.{2 + n}", 0), _Unavailable) for n in range(40)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        seeds = tmp_path / "seeds.csv"
        seeds.write_text("agency,province,city,county,url\n" + "".join(
            f"局{n},某省,,,http://127.0.3.{2 + n}:{server.server_address[1]}/\n" for n, server in enumerate(servers)),
            encoding="utf-8")
        archive = tmp_path / "a"
        subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--seeds", str(seeds), "--archive", str(archive),
                        "-s", "CONCURRENT_REQUESTS=4", "-s", "RETRY_TIMES=3", "-s", "NIANBAO_RETRY_BACKOFF=4",
                        "-s", "ROBOTSTXT_OBEY=False", "-s", "CLOSESPIDER_TIMEOUT=8", "-s", "NIANBAO_INDEX_INTERVAL=0"],
                       capture_output=True, text=True, timeout=120, check=False)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    [log] = (archive / "logs").glob("crawl-*.log")
    lines = [line.split() for line in log.read_text(encoding="utf-8").splitlines()]
    retried = {fields[3] for fields in lines if fields[1] == "503" and "attempt=2" in fields[-1]}
    assert len({fields[3] for fields in lines if fields[1] == "503"}) == 40
    assert len(retried) >= 35, len(retried)
