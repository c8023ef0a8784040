"""`nianbao crawl --incremental --cluster`: two workers revalidate what the shared archive holds (conditional
requests from its index), pick up the one new report, and the run record says so."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from archive.warc.reader import iter_captures, warc_files
from crawler.demo.server import DemoPortals
from tests.cluster.redis_server import RedisServer
from tests.conftest import ROOT

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
        "-s", "RETRY_TIMES=2", "-s", "NIANBAO_MAX_LIST_PAGES=10", "-s", "NIANBAO_RETRY_BACKOFF=0.2",
        "-s", "NIANBAO_AGGREGATOR_HOSTS=*.gov.cn,127.0.0.*", "-s", "NIANBAO_INDEX_INTERVAL=0",
        "-s", "NIANBAO_PROGRESS_INTERVAL=0", "-s", "NIANBAO_CLUSTER_SITES=2"]


def _workers(seeds: Path, archive: Path, url: str, *extra: str) -> None:
    command = [sys.executable, "-m", "crawler.cli", "crawl", "--seeds", str(seeds), "--archive", str(archive),
               "--cluster", url, *extra, *FAST]
    processes = [subprocess.Popen([*command, "--worker", name], cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE) for name in ("n1", "n2")]
    for process in processes:
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode("utf-8", "replace")[-3000:]


def test_incremental_cluster_run_sends_conditional_requests(redis_server: RedisServer, tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with DemoPortals() as portals:
        seeds = portals.seeds_csv(tmp_path / "seeds.csv")
        _workers(seeds, archive, redis_server.url)
        with sqlite3.connect(archive / "index.db") as db:
            reports = {url for (url,) in db.execute("select url from documents where is_report = 1")}
        first_files = set(warc_files(archive))
        extra_url = portals.publish_extra_report()
        portals.request_log.clear()
        _workers(seeds, archive, redis_server.url, "--incremental")
        log = list(portals.request_log)
    second = {c.url: c for path in warc_files(archive) if path not in first_files for c in iter_captures(path)}
    assert extra_url in second and second[extra_url].status == 200
    revalidated = [second[url] for url in reports if url in second]
    assert revalidated, "the archived reports should have been asked again, conditionally"
    for capture in revalidated:
        assert capture.status == 304 or capture.record_type == "revisit", (capture.url, capture.status)
    assert any("If-None-Match" in headers or "If-Modified-Since" in headers for *_rest, headers, _s in log)
    records = [json.loads(path.read_text(encoding="utf-8")) for path in (archive / "runs").glob("*.json")
               if "+" not in path.name]
    [second_run] = [r for r in records if r["mode"] == "incremental"]
    assert second_run["cluster"]["workers"] == ["n1", "n2"]
    assert second_run["stats"]["new"] == 1
