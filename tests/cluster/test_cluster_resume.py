"""Redis lost entirely mid-run: `nianbao crawl --resume --cluster` starts a new run that skips what the
killed workers had captured (read from their WARCs) and ends with every report a whole crawl finds."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from archive.warc.reader import iter_captures, warc_files
from crawler.demo.server import DemoPortals
from tests.cluster.redis_server import RedisServer
from tests.cluster.test_cluster_incremental import FAST
from tests.conftest import ROOT

NIANBAO = [sys.executable, "-m", "crawler.cli"]


def _reports(folder: Path) -> set[str]:
    return {c.url for path in warc_files(folder) for c in iter_captures(path)
            if c.status == 200 and c.provenance.get("role") in ("report", "attachment")}


def _start(seeds: Path, archive: Path, url: str, *extra: str) -> list[subprocess.Popen[bytes]]:
    command = [*NIANBAO, "crawl", "--seeds", str(seeds), "--archive", str(archive), "--cluster", url, *extra, *FAST,
               "-s", "DOWNLOAD_DELAY=0.05"]
    return [subprocess.Popen([*command, "--worker", name], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL) for name in ("r1", "r2")]


def test_resume_after_redis_is_lost(redis_server: RedisServer, tmp_path: Path) -> None:
    whole, archive = tmp_path / "whole", tmp_path / "killed"
    with DemoPortals() as portals:
        seeds = portals.seeds_csv(tmp_path / "seeds.csv")
        subprocess.run([*NIANBAO, "crawl", "--seeds", str(seeds), "--archive", str(whole), *FAST], cwd=ROOT,
                       check=True, capture_output=True, timeout=120)
        workers = _start(seeds, archive, redis_server.url)
        deadline = time.monotonic() + 60
        while len(_reports(archive)) < 5 and time.monotonic() < deadline:
            time.sleep(0.2)
        for worker in workers:
            worker.send_signal(signal.SIGKILL)
            assert worker.wait(30) == -signal.SIGKILL
        redis_server.stop()
        shutil.rmtree(redis_server.folder)  # Redis and its AOF are gone
        redis_server.start()
        subprocess.run([*NIANBAO, "verify", "--archive", str(archive), "--repair"], cwd=ROOT, capture_output=True,
                       timeout=120, check=True)
        assert [worker.wait(120) for worker in _start(seeds, archive, redis_server.url, "--resume")] == [0, 0]
    assert _reports(archive) == _reports(whole)
    [record] = [json.loads(p.read_text(encoding="utf-8")) for p in (archive / "runs").glob("*.json")
                if "+" not in p.name]  # only the resumed run finished
    assert record["mode"] == "resume" and record["stats"]["resume_skipped"] > 0
