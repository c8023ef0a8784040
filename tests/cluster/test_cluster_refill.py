"""A worker claims another site as soon as one of its sites is finished, not when its whole batch is: one
slow site never leaves the worker idle while other sites wait to be claimed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cluster.country import Country, address
from tests.cluster.redis_server import RedisServer
from tests.conftest import ROOT

SITES = 13
SLOW = 2.5  # seconds each answer of site 0 waits: its six requests take ~12 s, the other sites ~1 s each


def test_a_slow_site_does_not_hold_back_the_sites_waiting(redis_server: RedisServer, tmp_path: Path) -> None:
    with Country(SITES) as country:
        country.slow[address(0)] = SLOW
        seeds = country.seeds_csv(tmp_path / "seeds.csv", aggregator=False)
        subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--seeds", str(seeds), "--archive",
                        str(tmp_path / "archive"), "--cluster", redis_server.url, "--worker", "solo",
                        "-s", "DOWNLOAD_DELAY=0.2", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_CLUSTER_SITES=4",
                        "-s", "NIANBAO_INDEX_INTERVAL=0", "-s", "NIANBAO_PROGRESS_INTERVAL=0"],
                       cwd=ROOT, check=True, capture_output=True, timeout=180)
        log = list(country.log)
    slow_end = max(when for ip, _path, when in log if ip == address(0))
    late = {ip for ip, _path, when in log if ip != address(0) and when > slow_end}
    assert not late, f"sites crawled only after the slow site of the first batch had ended: {sorted(late)}"
    reports = {(ip, path) for ip, path, _when in log if path.startswith("/xxgk/ndbg/t")}
    assert len(reports) == 2 * SITES
    first = {ip: path for ip, path, _when in reversed(log)}
    assert set(first.values()) == {"/robots.txt"}, f"hosts fetched before their robots.txt: {first}"
