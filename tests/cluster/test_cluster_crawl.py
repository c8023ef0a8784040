"""Three `nianbao crawl --cluster` worker processes against one crawl of the same seeds by one process.

The seeds are the demo portals plus a generated country of tiny sites, each on its own 127.0.x.y address.
One worker is SIGKILLed while it holds sites, and Redis is restarted mid-crawl. Measured at the servers:
every host's requests, across all workers, are never closer together than one worker alone sends them.
"""

from __future__ import annotations

import collections
import csv
import itertools
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from crawler.cluster.state import connect
from crawler.cluster.status import run_status
from crawler.demo.server import DemoPortals
from tests.cluster.country import Country
from tests.cluster.redis_server import RedisServer
from tests.conftest import ROOT, require_program

SITES = 60
# DOWNLOAD_DELAY, not randomised: one worker sends a host's requests this far apart. (Randomised, the closest
# two were 0.5 × DELAY + ~1 ms apart, 20 ms above the floor below: a loaded 2-core machine delays a send or
# the server's reading by more than that, and the single crawl itself failed the measure.)
DELAY = 0.3
SETTINGS = ["-s", f"DOWNLOAD_DELAY={DELAY}", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False",
            "-s", "NIANBAO_INDEX_INTERVAL=0", "-s", "NIANBAO_PROGRESS_INTERVAL=0",
            "-s", "NIANBAO_AGGREGATOR_HOSTS=*.gov.cn,127.0.*", "-s", "NIANBAO_RETRY_BACKOFF=0.2",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_CLUSTER_LEASE=3", "-s", "NIANBAO_CLUSTER_SITES=6"]
NIANBAO = [sys.executable, "-m", "crawler.cli"]


class TimedLog(list[Any]):
    """The demo portals' request log, with the time each entry was appended."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def append(self, entry: Any) -> None:
        self.times.append(time.monotonic())
        super().append(entry)


@dataclass
class Crawl:
    """What one crawl left: its archive, each generated host's request arrival times, each URL's fetches."""

    archive: Path
    port: int
    hosts: dict[str, list[float]] = field(default_factory=dict)
    paths: dict[tuple[str, float], str] = field(default_factory=dict)  # (host, arrival time) → path
    ports: dict[tuple[str, float], int] = field(default_factory=dict)  # (host, arrival time) → client port
    fetches: collections.Counter[str] = field(default_factory=collections.Counter)
    record: dict[str, Any] = field(default_factory=dict)


def _seeds(tmp: Path, country: Country, portals: DemoPortals) -> Path:
    portals.seeds_csv(tmp / "demo.csv")
    with (tmp / "demo.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    return country.seeds_csv(tmp / f"seeds-{portals.port}.csv", rows)


def _measure(crawl: Crawl, country: Country, since: int, portals: DemoPortals) -> None:
    """Each host's request times and each URL's fetches (port-free, so two crawls compare)."""
    log = portals.request_log
    assert isinstance(log, TimedLog)
    for ip, _method, path, _headers, _status in log:  # logged when answered: no arrival times
        crawl.fetches[f"{ip}{path}"] += 1
    for ip, path, when in country.log[since:]:
        crawl.hosts.setdefault(ip, []).append(when)
        crawl.paths[(ip, when)] = path
        crawl.ports[(ip, when)] = country.client_ports.get((ip, when), 0)
        crawl.fetches[f"{ip}{path}"] += 1


def _single(tmp: Path, country: Country) -> Crawl:
    with DemoPortals() as portals:
        portals.request_log = TimedLog()
        crawl, since = Crawl(tmp / "single", portals.port), len(country.log)
        seeds = _seeds(tmp, country, portals)
        subprocess.run([*NIANBAO, "crawl", "--seeds", str(seeds), "--archive", str(crawl.archive), *SETTINGS],
                       cwd=ROOT, check=True, capture_output=True, timeout=120)
        _measure(crawl, country, since, portals)
    return crawl


def _wait_for_claims(url: str, worker: str, deadline: float) -> None:
    """Until `worker` holds sites and has fetched pages (so killing it loses claimed work)."""
    client = connect(url)
    while time.monotonic() < deadline:
        status = run_status(client)
        figures = {w.name: w for w in status.workers} if status else {}
        if worker in figures and figures[worker].sites_claimed and figures[worker].pages >= 5:
            return
        time.sleep(0.1)
    raise AssertionError(f"{worker} never held a site")


def _cluster(tmp: Path, country: Country, redis_server: RedisServer) -> Crawl:
    with DemoPortals() as portals:
        portals.request_log = TimedLog()
        crawl, since = Crawl(tmp / "cluster", portals.port), len(country.log)
        seeds = _seeds(tmp, country, portals)
        command = [*NIANBAO, "crawl", "--seeds", str(seeds), "--archive", str(crawl.archive),
                   "--cluster", redis_server.url, *SETTINGS]
        workers = {}
        for name in ("w1", "w2", "w3"):
            with (tmp / f"{name}.log").open("wb") as log:
                workers[name] = subprocess.Popen([*command, "--worker", name], cwd=ROOT, stdout=subprocess.DEVNULL,
                                                 stderr=log)
        _wait_for_claims(redis_server.url, "w2", time.monotonic() + 60)
        os.kill(workers["w2"].pid, signal.SIGKILL)
        redis_server.restart(down=1.0)  # the others wait for it and go on
        codes = {name: process.wait(timeout=120) for name, process in workers.items()}
        assert codes == {"w1": 0, "w2": -signal.SIGKILL, "w3": 0}, (tmp / "w1.log").read_text()[-3000:]
        _measure(crawl, country, since, portals)
    [record] = [json.loads(p.read_text(encoding="utf-8")) for p in (crawl.archive / "runs").glob("*.json")
                if "+" not in p.name]
    crawl.record = record
    return crawl


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Crawl, Crawl, Country]]:
    program = require_program("redis-server", "apt-get install redis-server")
    tmp = tmp_path_factory.mktemp("cluster")
    server = RedisServer(program, tmp / "redis")
    try:
        with Country(SITES) as country:
            single = _single(tmp, country)
            cluster = _cluster(tmp, country, server)
            for crawl in (single, cluster):
                subprocess.run([*NIANBAO, "index", "--archive", str(crawl.archive)], cwd=ROOT, check=True,
                               capture_output=True, timeout=120)
            yield single, cluster, country
    finally:
        server.stop()


def _documents(crawl: Crawl) -> set[tuple[str, str, int]]:
    port = f":{crawl.port}"
    with sqlite3.connect(crawl.archive / "index.db") as db:
        rows = db.execute("select url, text, is_report from documents").fetchall()
    return {(url.replace(port, ":PORT"), (text or "").replace(port, ":PORT"), is_report)
            for url, text, is_report in rows}


def test_cluster_index_equals_a_single_crawl(crawls: tuple[Crawl, Crawl, Country]) -> None:
    single, cluster, country = crawls
    reports = {url for url, _text, is_report in _documents(single) if is_report}
    assert country.report_urls() <= reports
    assert {url for url, _text, is_report in _documents(cluster) if is_report} == reports
    assert _documents(cluster) == _documents(single)


def test_the_killed_worker_sites_were_crawled_again_and_declared(crawls: tuple[Crawl, Crawl, Country]) -> None:
    _single, cluster, _country = crawls
    info = cluster.record["cluster"]
    assert info["workers"] == ["w1", "w2", "w3"]
    assert info["reclaimed_sites"], "w2 was killed holding sites: they must have been claimed again"
    assert "redis://127.0.0.1" in info["redis"]


def test_no_report_fetched_twice_unless_declared(crawls: tuple[Crawl, Crawl, Country]) -> None:
    single, cluster, _country = crawls
    declared = {re.sub(r":\d+/", "/", url.split("://", 1)[1]) for url in cluster.record["cluster"]["refetched_urls"]}
    reports = {re.sub(r":(PORT|\d+)/", "/", url.split("://", 1)[1])
               for url, _t, is_report in _documents(single) if is_report}
    assert len(reports) > SITES * 2
    for url in reports:
        more = cluster.fetches[url] - max(single.fetches[url], 1)
        assert more <= 0 or url in declared, f"{url} fetched {cluster.fetches[url]} times, not declared"


def test_no_host_fetched_faster_than_one_worker_would(crawls: tuple[Crawl, Crawl, Country]) -> None:
    """Measured on the generated sites (the aggregator's links reach 20 of them from another worker)."""
    single, cluster, _country = crawls
    # half the delay: what Scrapy's randomised delay allows one worker (the crawl's default), and the least a
    # borrowed host's token leaves between two workers' requests (docs/CLUSTER.md)
    floor = 0.5 * DELAY - 0.02

    def closest(crawl: Crawl) -> dict[str, float]:
        gaps = {}
        for host, times in crawl.hosts.items():
            ordered = sorted(times)
            if len(ordered) > 1:
                gaps[host] = min(b - a for a, b in itertools.pairwise(ordered))
        return gaps

    single_gaps, cluster_gaps = closest(single), closest(cluster)
    assert min(single_gaps.values()) >= floor  # the measure holds for one worker
    too_close = {host: round(gap, 3) for host, gap in cluster_gaps.items() if gap < floor}
    assert not too_close, (f"hosts fetched faster than one worker would: {too_close}, "
                           f"paths {_closest_pairs(cluster, too_close)}")


def _closest_pairs(crawl: Crawl, hosts: dict[str, float]) -> list[tuple[str, str]]:
    """Each host's two requests closest together: paths and client ports (the same port: one connection,
    so one worker), what the failure message shows."""
    pairs = []
    for host in hosts:
        ordered = sorted(crawl.hosts[host])
        a, b = min(itertools.pairwise(ordered), key=lambda pair: pair[1] - pair[0])
        pairs.append((f"{crawl.paths[(host, a)]} from :{crawl.ports[(host, a)]}",
                      f"{crawl.paths[(host, b)]} from :{crawl.ports[(host, b)]}"))
    return pairs
