"""Scrapyd deployment (docs/CLUSTER.md, "Deploying with Scrapyd"): a real scrapyd on loopback, the project
deployed with `scrapyd-deploy`, crawls scheduled through schedule.json over loopback portals.

A job started by Scrapyd (`scrapy crawl reports`) must go through the path of `nianbao crawl`: its settings
checked, the archive lock, the run plan, the run record, and cluster mode on Redis.
"""

from __future__ import annotations

import collections
import http.server
import json
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.warc.reader import warc_files, warcinfo
from tests.cluster.country import Country
from tests.cluster.redis_server import RedisServer
from tests.conftest import ROOT, require_program

pytestmark = pytest.mark.e2e

EGG_VERSION = "r1"
FAST = ["DOWNLOAD_DELAY=0.1", "AUTOTHROTTLE_ENABLED=False", "NIANBAO_INDEX_INTERVAL=0",
        "NIANBAO_PROGRESS_INTERVAL=0", "NIANBAO_AGGREGATOR_HOSTS=*.gov.cn,127.0.*", "NIANBAO_RETRY_BACKOFF=0.2"]


def _program(name: str) -> str:
    """`name` from this Python's environment (the dev extra installs it there), else from PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else require_program(name, "pip install -e '.[dev]'")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Scrapyd:
    """A scrapyd of its own in `folder` on 127.0.0.1:PORT (eggs, logs and its own output in that folder)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, _free_port()
        folder.mkdir(parents=True)
        (folder / "scrapyd.conf").write_text(
            f"[scrapyd]\nbind_address = 127.0.0.1\nhttp_port = {self.port}\neggs_dir = {folder / 'eggs'}\n"
            f"logs_dir = {folder / 'logs'}\ndbs_dir = {folder / 'dbs'}\nitems_dir =\njobs_to_keep = 100\n"
            "finished_to_keep = 100\npoll_interval = 0.2\nmax_proc = 4\n", encoding="utf-8")
        with (folder / "scrapyd.out").open("wb") as out:  # cwd: no `crawler` package to import but the egg's
            self.process = subprocess.Popen([_program("scrapyd")], cwd=folder, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.get("daemonstatus.json")
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise AssertionError((folder / "scrapyd.out").read_text(errors="replace")[-3000:]) from None
                time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(self.url + path, timeout=10) as answer:
            return json.loads(answer.read())

    def schedule(self, arguments: list[tuple[str, str]]) -> str:
        """schedule.json, as `curl -d project=nianbao -d spider=reports -d …`; the job id."""
        body = urllib.parse.urlencode([("project", "nianbao"), ("spider", "reports"), *arguments]).encode()
        with urllib.request.urlopen(self.url + "schedule.json", body, timeout=10) as answer:
            reply = json.loads(answer.read())
        assert reply["status"] == "ok", reply
        return str(reply["jobid"])

    def wait(self, job: str, timeout: float = 90) -> int:
        """Wait for `job` to end; its exit status, as scrapyd logged it."""
        deadline = time.monotonic() + timeout
        while not any(j["id"] == job for j in self.get("listjobs.json?project=nianbao")["finished"]):
            assert time.monotonic() < deadline, f"job {job} still running:\n{self.log(job)[-3000:]}"
            time.sleep(0.2)
        output = (self.folder / "scrapyd.out").read_text(errors="replace")
        ended = re.search(rf"Process (finished|died: exitstatus=(\d+)).*job='{job}'", output)
        assert ended, output[-3000:]
        return int(ended.group(2) or 0)

    def log(self, job: str) -> str:
        """The job's log, as scrapyd's web interface serves it."""
        with urllib.request.urlopen(f"{self.url}logs/nianbao/reports/{job}.log", timeout=10) as answer:
            return str(answer.read().decode("utf-8", "replace"))

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                for job in self.get("listjobs.json?project=nianbao").get("running", []):
                    self.get_post("cancel.json", {"project": "nianbao", "job": job["id"]})
            except OSError:
                pass
            self.process.terminate()
            self.process.wait(30)

    def get_post(self, path: str, fields: dict[str, str]) -> Any:
        body = urllib.parse.urlencode(fields).encode()
        with urllib.request.urlopen(self.url + path, body, timeout=10) as answer:
            return json.loads(answer.read())


def _deploy(scrapyd: Scrapyd, project: Path) -> None:
    """The recipe: the project's scrapy.cfg with one more [deploy:NAME] target, then `scrapyd-deploy NAME`.
    From a copy of the project, since scrapyd-deploy writes setup.py, build/ and *.egg-info beside it."""
    for folder in ("crawler", "archive", "extract"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "scrapy.cfg", "README.md"):
        shutil.copy(ROOT / name, project / name)
    with (project / "scrapy.cfg").open("a", encoding="utf-8") as cfg:
        cfg.write(f"\n[deploy:test]\nurl = {scrapyd.url}\n")
    deployed = subprocess.run([_program("scrapyd-deploy"), "test", "-v", EGG_VERSION], cwd=project,
                              capture_output=True, text=True, timeout=120, check=False)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr[-3000:]
    # an egg without the `scrapy` entry point (pyproject.toml [project.entry-points.scrapy]) fails here
    assert json.loads(deployed.stdout)["status"] == "ok", deployed.stdout


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    """A scrapyd with the project deployed as egg EGG_VERSION."""
    tmp = tmp_path_factory.mktemp("scrapyd")
    server = Scrapyd(tmp / "scrapyd")
    try:
        _deploy(server, tmp / "project")
        yield server
    finally:
        server.stop()


class Gate:
    """A loopback portal whose home page answers only when `open()` is called: a crawl that holds its
    archive lock as long as the test needs."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        gate = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/":
                    gate.opened.wait(60)
                body = b"<html><head><meta charset='utf-8'><title>gate</title></head><body>gate</body></html>"
                self.send_response(200 if self.path == "/" else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.opened.set()
        self.server.shutdown()
        self.server.server_close()


def _settings(*extra: str) -> list[tuple[str, str]]:
    """`-d setting=NAME=VALUE` parameters: FAST, then `extra` (a name given again replaces its value)."""
    merged = dict(value.split("=", 1) for value in (*FAST, *extra))
    return [("setting", f"{name}={value}") for name, value in merged.items()]


def _wait_for_lock(archive: Path, run_id: str, deadline: float) -> None:
    lock = archive / "lock"
    while time.monotonic() < deadline:
        try:
            if json.loads(lock.read_text(encoding="utf-8")).get("run_id") == run_id:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} never took {lock}")


def test_the_egg_carries_the_project(scrapyd: Scrapyd) -> None:
    """Scrapyd finds the settings through the egg's `scrapy` entry point, and every module of the three
    packages is in the egg (a missing one would be imported from wherever else nianbao is installed)."""
    with zipfile.ZipFile(scrapyd.folder / "eggs" / "nianbao" / f"{EGG_VERSION}.egg") as egg:
        names = set(egg.namelist())
        entry_points = egg.read("EGG-INFO/entry_points.txt").decode()
    assert re.search(r"\[scrapy\]\s*settings = crawler\.settings", entry_points), entry_points
    modules = {str(p.relative_to(ROOT)) for folder in ("crawler", "archive", "extract")
               for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts}
    assert modules - names == set()
    assert {"crawler/commands/crawl.py", "crawler/settings/base.py"} <= names


def test_a_job_takes_the_lock_writes_the_run_record_and_a_second_is_refused(scrapyd: Scrapyd, tmp_path: Path) -> None:
    archive, gate = tmp_path / "archive", Gate()
    try:
        with Country(3) as country:
            seeds = country.seeds_csv(tmp_path / "seeds.csv", [["门禁县人民政府", "测试省", "", "", gate.url, ""]])
            first = scrapyd.schedule([("seeds", str(seeds)), ("archive", str(archive)), ("run", "night-1"),
                                      *_settings()])
            _wait_for_lock(archive, "night-1", time.monotonic() + 60)
            second = scrapyd.schedule([("seeds", str(seeds)), ("archive", str(archive)), *_settings()])
            assert scrapyd.wait(second) == 3
            gate.opened.set()
            assert scrapyd.wait(first) == 0, scrapyd.log(first)[-3000:]
            reports = country.report_urls()
    finally:
        gate.close()
    assert f"{archive} is being written by run night-1" in scrapyd.log(second)
    log = scrapyd.log(first)
    assert f"from {scrapyd.folder / 'eggs' / 'nianbao' / EGG_VERSION}.egg (Scrapyd job {first})" in log
    record = json.loads((archive / "runs" / "night-1.json").read_text(encoding="utf-8"))
    assert record["id"] == "night-1" and record["finished"] and record["mode"] == "full"
    assert record["stats"]["seeds_answered"] == 5  # three sites, the aggregator and the gate
    assert {item["url"] for item in record["found"] if item["role"] == "report"} == reports
    assert [warcinfo(path).get("isPartOf") for path in warc_files(archive)] == ["night-1"]
    with sqlite3.connect(archive / "index.db") as db:  # the crawl's final index update ran in the job
        assert {url for (url,) in db.execute("select url from documents where is_report = 1")} == reports
    assert not (archive / "lock").exists()
    assert sorted(p.name for p in (archive / "runs").iterdir()) == ["night-1.json"]  # the refused job wrote none


def test_a_bad_setting_fails_the_job_with_the_validation_message(scrapyd: Scrapyd, tmp_path: Path) -> None:
    seeds = tmp_path / "seeds.csv"
    seeds.write_text("agency,province,city,county,url\n测试县人民政府,测试省,,,http://127.0.0.1:9/\n", encoding="utf-8")
    job = scrapyd.schedule([("seeds", str(seeds)), ("archive", str(tmp_path / "archive")),
                            *_settings("NIANBAO_MAX_LIST_PAGES=0"), ("mode", "nightly")])
    assert scrapyd.wait(job) == 2
    log = scrapyd.log(job)
    assert "NIANBAO_MAX_LIST_PAGES='0': must be at least 1" in log
    assert "NIANBAO_MODE='nightly': expected one of full, incremental, resume" in log
    assert not (tmp_path / "archive" / "runs").exists()


def test_two_jobs_in_one_cluster_run_crawl_each_site_once(scrapyd: Scrapyd, redis_server: RedisServer,
                                                          tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with Country(8) as country:
        seeds = country.seeds_csv(tmp_path / "seeds.csv")
        jobs = [scrapyd.schedule([("seeds", str(seeds)), ("archive", str(archive)), ("cluster", redis_server.url),
                                  ("worker", name), ("run", "cluster-1"),
                                  # slow enough that the second job joins before the first is done
                                  *_settings("NIANBAO_CLUSTER_SITES=2", "NIANBAO_CLUSTER_LEASE=5",
                                             "DOWNLOAD_DELAY=0.2")])
                for name in ("s1", "s2")]
        codes = [scrapyd.wait(job) for job in jobs]
        assert codes == [0, 0], scrapyd.log(jobs[0])[-3000:]
        fetches = collections.Counter((ip, path) for ip, path, _ in country.log)
        reports = country.report_urls()
    assert fetches and max(fetches.values()) == 1, fetches.most_common(3)
    record = json.loads((archive / "runs" / "cluster-1.json").read_text(encoding="utf-8"))
    assert record["cluster"]["workers"] == ["s1", "s2"]
    workers = [json.loads((archive / "runs" / f"cluster-1+{name}.json").read_text(encoding="utf-8"))
               for name in ("s1", "s2")]
    found = [item["url"] for worker in workers for item in worker["found"] if item["role"] == "report"]
    assert sorted(found) == sorted(reports)  # every report once, between the two
    assert all(worker["cluster"]["sites_done"] for worker in workers), [w["cluster"] for w in workers]
    assert {warcinfo(path).get("isPartOf") for path in warc_files(archive)} == {"cluster-1"}
    assert not [p.name for p in archive.glob("lock*") if not p.name.endswith(".guard")]  # both workers' locks gone
