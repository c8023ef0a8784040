"""A host that answers 429 is backed off by the whole cluster, not only by the worker that got the answer.

Every report of a generated country links its PDF on one shared file host, so the three workers all borrow
that host (host tokens). The file host answers some of its requests 429, with and without Retry-After;
measured at the server: after each 429, no worker sends the host anything until the back-off ends, and
every PDF is archived in the end.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from archive.warc.reader import iter_captures, warc_files
from crawler.cluster.backoff import Backoff, backoff_for, retry_after
from tests.cluster.country import Country, address
from tests.cluster.redis_server import RedisServer
from tests.conftest import ROOT

SITES = 8
BASE = 1.0  # NIANBAO_RETRY_BACKOFF: the back-off of a first 429 without Retry-After
# not randomised: two requests to the file host leave at least 0.3 s apart (a token, or one worker's delay), so
# the server never reads a request sent before a 429 reached its worker as one sent during the back-off
SETTINGS = ["-s", "DOWNLOAD_DELAY=0.3", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", f"NIANBAO_RETRY_BACKOFF={BASE}",
            "-s", "NIANBAO_INDEX_INTERVAL=0", "-s", "NIANBAO_PROGRESS_INTERVAL=0", "-s", "NIANBAO_CLUSTER_SITES=2",
            "-s", "NIANBAO_AGGREGATOR_HOSTS=127.0.*", "-s", "NIANBAO_CLUSTER_LEASE=5"]
NIANBAO = [sys.executable, "-m", "crawler.cli"]


@dataclass
class Throttle:
    """The file host's refusals: its n-th PDF request gets 429 (Retry-After value, or none when '')."""

    host: str
    refuse: dict[int, str]
    count: int = 0
    refused: list[tuple[float, float, str]] = field(default_factory=list)  # (time, back-off window, path)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, ip: str, path: str, now: float) -> tuple[int, dict[str, str]] | None:
        if ip != self.host or not path.startswith("/files/"):
            return None
        with self.lock:
            self.count += 1
            if self.count not in self.refuse:
                return None
            value = self.refuse[self.count]
            self.refused.append((now, float(value) if value else BASE, path))
        return 429, ({"Retry-After": value} if value else {})


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    from tests.conftest import require_program

    tmp = tmp_path_factory.mktemp("backoff")
    server = RedisServer(require_program("redis-server", "apt-get install redis-server"), tmp / "redis")
    try:
        with Country(SITES, file_host=True) as country:
            throttle = Throttle(address(SITES + 1), {2: "2", 3: "1", 6: "", 9: ""})
            country.intercept = throttle
            archive = tmp / "archive"
            command = [*NIANBAO, "crawl", "--seeds", str(country.seeds_csv(tmp / "seeds.csv")), "--archive",
                       str(archive), "--cluster", server.url, *SETTINGS]
            workers = [subprocess.Popen([*command, "--worker", name], cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE) for name in ("b1", "b2", "b3")]
            errors = [worker.communicate(timeout=180)[1] for worker in workers]
            assert [w.returncode for w in workers] == [0, 0, 0], errors[0].decode("utf-8", "replace")[-3000:]
            status = subprocess.run([*NIANBAO, "cluster", "status", server.url], cwd=ROOT, capture_output=True,
                                    text=True, timeout=60, check=True).stdout
            log = [entry for entry in country.log if entry[0] == throttle.host]
            files_host = country.files_host
    finally:
        server.stop()
    [record] = [json.loads(p.read_text(encoding="utf-8")) for p in (archive / "runs").glob("*.json")
                if "+" not in p.name]
    return {"throttle": throttle, "log": log, "archive": archive, "record": record, "status": status,
            "files_host": files_host}


def test_no_worker_sends_to_a_host_during_its_backoff(crawl: dict[str, object]) -> None:
    throttle, log = crawl["throttle"], crawl["log"]
    assert isinstance(throttle, Throttle) and isinstance(log, list)
    assert len(throttle.refused) == 4, throttle.refused
    for refused_at, window, path in throttle.refused:
        inside = [(p, round(when - refused_at, 3)) for _ip, p, when in log if refused_at < when < refused_at + window]
        assert not inside, f"sent during the {window} s back-off after the 429 to {path}: {inside}"


def test_every_pdf_is_archived_and_several_workers_fetched_the_host(crawl: dict[str, object]) -> None:
    archive = crawl["archive"]
    assert isinstance(archive, Path)
    pdfs = [c for path in warc_files(archive) for c in iter_captures(path) if c.url.endswith(".pdf")]
    wanted = {f"http://{crawl['files_host']}/files/{index}-{year}.pdf" for index in range(SITES)
              for year in (2023, 2024)}
    assert {c.url for c in pdfs if c.status == 200} == wanted
    assert len({c.warc_file for c in pdfs}) >= 2, "the file host should have been borrowed by several workers"


def test_the_run_record_and_status_count_the_backoffs(crawl: dict[str, object]) -> None:
    record, files_host = crawl["record"], crawl["files_host"]
    assert isinstance(record, dict)
    assert record["cluster"]["backed_off_hosts"] == {files_host: 4}
    assert f"hosts backed off: 1 (4 answers 429/503/anti-bot): {files_host} ×4" in str(crawl["status"])


def test_which_answers_back_off_and_for_how_long() -> None:
    assert backoff_for(200, b"<html>ok</html>", {}, 0, 2.0, 300.0) is None
    assert backoff_for(404, b"", {}, 0, 2.0, 300.0) is None
    assert backoff_for(429, b"", {"retry-after": "120"}, 0, 2.0, 300.0) == Backoff(120.0, "429")
    assert backoff_for(429, b"", {"retry-after": "3600"}, 0, 2.0, 300.0) == Backoff(300.0, "429")  # capped
    assert backoff_for(503, b"", {}, 2, 2.0, 300.0) == Backoff(8.0, "503")  # a third attempt: 2 × 2²
    assert backoff_for(503, b"", {"retry-after": "soon"}, 0, 2.0, 300.0) == Backoff(2.0, "503")
    assert backoff_for(412, b"<script>$_ts=window['$_ts'];</script>", {}, 0, 2.0, 300.0) == Backoff(2.0, "ruishu")
    assert backoff_for(521, b"<script>document.cookie=('_')</script>", {}, 0, 2.0, 300.0) == Backoff(2.0, "jiasule")
    assert backoff_for(429, b"", {}, 0, 0.0, 300.0) is None  # back-off off, and the host asked for no wait
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00", now=1445412470.0) is None
