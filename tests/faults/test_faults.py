"""Fault injection: a hostile portal, a full disk and SIGKILLs at random moments never crash nianbao, never
lose what was archived, and never let one page take the machine's memory. Each case prints its outcome and
the peak RSS of every process of the crawl (see conftest.py). Random moments come from NIANBAO_FAULT_SEED
(printed; set it to replay a run)."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from archive.warc.reader import iter_captures, warc_files
from crawler.demo.server import DemoPortals
from tests.conftest import IN_CI, ROOT
from tests.faults.conftest import OUTCOMES
from tests.faults.hostile import HostilePortal
from tests.faults.processes import Measured, run_measured

pytestmark = pytest.mark.e2e

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "RETRY_TIMES=0",
        "-s", "DOWNLOAD_TIMEOUT=4", "-s", "NIANBAO_RETRY_BACKOFF=0", "-s", "NIANBAO_MAX_LIST_PAGES=10",
        "-s", "NIANBAO_MAX_PAGES_PER_SEED=200", "-s", "NIANBAO_MAX_LINKS_PER_PAGE=500",
        "-s", "DOWNLOAD_MAXSIZE=4000000", "-s", "DOWNLOAD_WARNSIZE=0"]
SEED = int(os.environ.get("NIANBAO_FAULT_SEED", "20261129"))


def crawl(seeds: Path, archive: Path, *extra: str, timeout: float = 180) -> Measured:
    return run_measured([sys.executable, "-m", "crawler.cli", "crawl", "--seeds", str(seeds), "--archive",
                         str(archive), *FAST, *extra], cwd=ROOT, timeout=timeout)


def query(archive: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(f"file:{archive / 'index.db'}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def crawl_log(archive: Path) -> dict[str, list[str]]:
    """URL path → the crawl-log lines of its fetches."""
    lines: dict[str, list[str]] = {}
    for path in (archive / "logs").glob("crawl-*.log"):
        for line in path.read_text(encoding="utf-8").splitlines():
            url = line.split()[3]
            lines.setdefault("/" + url.split("/", 3)[-1], []).append(line)
    return lines


def record(case: str, outcome: str, measured: Measured) -> None:
    OUTCOMES.append({"case": case, "outcome": outcome, "seconds": measured.seconds,
                     "tree": measured.peak_tree_mib, "peaks": measured.peak_by_kind})


def hostile_crawl(case: str, tmp_path: Path) -> tuple[HostilePortal, Path, Measured]:
    archive = tmp_path / case
    with HostilePortal(case) as portal:
        measured = crawl(portal.seeds(tmp_path), archive)
    assert "Traceback" not in measured.stderr, measured.stderr[-3000:]
    assert measured.returncode == 0, measured.stderr[-3000:]
    reports = {url for (url,) in query(archive, "select url from documents where is_report = 1")}
    assert f"{portal.url}xxgk/ndbg/t2023.html" in reports  # the ordinary report beside the hostile part
    return portal, archive, measured


@pytest.fixture(scope="module")
def control(tmp_path_factory: pytest.TempPathFactory) -> Measured:
    _portal, _archive, measured = hostile_crawl("control", tmp_path_factory.mktemp("control"))
    record("control", "1 report archived and indexed", measured)
    return measured


def test_a_one_gib_gzip_bomb_is_indexed_as_too_large_in_bounded_memory(control: Measured, tmp_path: Path) -> None:
    portal, archive, measured = hostile_crawl("bomb", tmp_path)
    [(error, text)] = query(archive, "select error, text from documents where url like '%/bomb.html'")
    assert error.startswith("too-large:") and text == ""
    stored = [c for p in warc_files(archive) for c in iter_captures(p) if c.url.endswith("/bomb.html")]
    assert stored and len(stored[0].payload) == len(portal.bomb)  # archived as received, all of it
    for kind, peak in measured.peak_by_kind.items():  # the bomb adds under 100 MB to any process
        assert peak - control.peak_by_kind.get(kind, 0) < 100, (kind, measured.peak_by_kind, control.peak_by_kind)
    index = run_measured([sys.executable, "-m", "crawler.cli", "index", "--archive", str(archive), "--rebuild",
                          "--quiet"], cwd=ROOT, timeout=120)
    assert index.returncode == 0 and max(index.peak_by_kind.values()) < 400, index.peak_by_kind
    record("bomb", f"indexed as {error[:40]}", measured)
    record("bomb: index --rebuild", "too-large again, no growth", index)
    _serve_the_bomb(archive)


def _serve_the_bomb(archive: Path) -> None:
    """`/-/raw/ID` of the bomb: a truncated page with a note, the download the bytes as stored."""
    import time
    import urllib.request

    from tests.faults.processes import peak_of_tree
    from tests.serve.conftest import start_serve, stop_serve

    [(capture_id,)] = query(archive, "select id from captures where url like '%/bomb.html'")
    served = start_serve(archive)
    try:
        started = time.monotonic()
        with urllib.request.urlopen(f"{served.base}/-/raw/{capture_id}", timeout=60) as answer:
            page = answer.read()
        seconds = time.monotonic() - started
        with urllib.request.urlopen(f"{served.base}/-/download/{capture_id}", timeout=60) as answer:
            download = answer.read()
        peaks = peak_of_tree(served.process.pid)
    finally:
        stop_serve(served)
    assert len(page) < 8 << 20 and "只显示前".encode() in page and b"too-large" in page
    assert download[:2] == b"\x1f\x8b" and len(download) < 2 << 20  # the gzip bytes as archived
    assert max(peaks.values()) < 400, peaks
    OUTCOMES.append({"case": "bomb: serve /-/raw", "outcome": f"{len(page):,} byte page with a note",
                     "seconds": seconds, "tree": sum(peaks.values()), "peaks": peaks})


def test_an_endless_body_is_cut_and_the_crawl_goes_on(control: Measured, tmp_path: Path) -> None:
    _portal, archive, measured = hostile_crawl("endless", tmp_path)
    [line] = crawl_log(archive)["/xxgk/ndbg/endless.html"]
    assert line.split()[1] in ("-3", "-4", "-5"), line  # cut at DOWNLOAD_MAXSIZE or the timeout, logged
    record("endless body", f"logged {line.split()[1]} {line.split()[-1]}", measured)


def test_a_stalled_body_times_out(control: Measured, tmp_path: Path) -> None:
    _portal, archive, measured = hostile_crawl("stall", tmp_path)
    [line] = crawl_log(archive)["/xxgk/ndbg/stall.html"]
    assert line.split()[1] == "-4" and "DownloadTimeoutError" in line, line
    record("stalled body", "timed out, logged -4", measured)


def test_malformed_answers_are_logged_never_crash(control: Measured, tmp_path: Path) -> None:
    _portal, archive, measured = hostile_crawl("malformed", tmp_path)
    log = crawl_log(archive)
    assert log["/xxgk/ndbg/garbage.html"] and log["/xxgk/ndbg/malformed.html"]
    codes = {path: lines[0].split()[1] for path, lines in log.items() if "ndbg/" in path}
    [kept] = [c for p in warc_files(archive) for c in iter_captures(p) if c.url.endswith("/malformed.html")]
    assert kept.status == 200 and "2022年政府信息公开工作年度报告".encode() in kept.payload  # archived, not lost
    declared = [v for k, v in kept.headers if k == "X-Archive-Orig-Invalid-Header"]
    assert declared == ["X-Broken-Line-Without-Colon", "文件名: 年报.pdf".encode("gbk").decode("latin-1")]
    record("malformed HTTP", f"logged {codes.get('/xxgk/ndbg/garbage.html')} / "
           f"{codes.get('/xxgk/ndbg/malformed.html')}", measured)


@pytest.mark.parametrize("case", ["more-trap", "fan-out"])
def test_list_traps_stop_at_the_list_page_cap(control: Measured, tmp_path: Path, case: str) -> None:
    portal, archive, measured = hostile_crawl(case, tmp_path)
    lists = [path for path in portal.requests if path.startswith(("/xxgk/ndbg/?", "/xxgk/ndbg/more", "/xxgk/ndbg/f"))
             or path == "/xxgk/ndbg/"]
    assert len(lists) <= 10, lists  # NIANBAO_MAX_LIST_PAGES=10, counted per list
    [run] = [json.loads(p.read_text(encoding="utf-8")) for p in (archive / "runs").glob("*.json")]
    assert run["stats"]["page_cap_reached"] >= 1
    record(case, f"{len(lists)} list pages fetched (cap 10)", measured)


def test_a_page_with_100000_links_is_cut_and_stays_fast(control: Measured, tmp_path: Path) -> None:
    portal, archive, measured = hostile_crawl("links", tmp_path)
    followed = [path for path in portal.requests if path.startswith("/xxgk/ndbg/x")]
    assert len(followed) <= 500 and measured.seconds < 90, (len(followed), measured.seconds)
    [run] = [json.loads(p.read_text(encoding="utf-8")) for p in (archive / "runs").glob("*.json")]
    assert run["stats"]["links_cut"] >= 1 and "NIANBAO_MAX_LINKS_PER_PAGE" in measured.stderr
    record("100,000 links", f"{len(followed)} followed (cap 500), cut logged", measured)


def _mount_tmpfs(folder: Path, size: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True, check=False)
    return done.returncode == 0


def test_a_full_disk_stops_the_crawl_cleanly_and_repair_then_resume_finish_it(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "200k"):
        if IN_CI:
            pytest.fail("CI runs as root and must be able to mount a tmpfs for the disk-full test")
        pytest.skip("mounting a tmpfs needs root")
    try:
        archive = disk / "archive"
        with DemoPortals() as portals:
            seeds = portals.seeds_csv(tmp_path / "seeds.csv")
            full = crawl(seeds, archive, "-s", "NIANBAO_AGGREGATOR_HOSTS=*.gov.cn,127.0.0.*")
            assert full.returncode == 1 and "Traceback" not in full.stderr, full.stderr[-3000:]
            assert "is full; the crawl stopped" in full.stderr and "--repair" in full.stderr
            assert not [m for m in (archive / "warc").glob("*.manifest.json") if m.stat().st_size == 0]
            assert list((archive / "warc").glob("*.open"))  # left for repair, not renamed as if whole
            subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
            repair = subprocess.run([sys.executable, "-m", "crawler.cli", "verify", "--archive", str(archive),
                                     "--repair"], cwd=ROOT, capture_output=True, text=True, timeout=120)
            assert "Traceback" not in repair.stderr, repair.stderr
            resumed = crawl(seeds, archive, "--resume", "-s", "NIANBAO_AGGREGATOR_HOSTS=*.gov.cn,127.0.0.*")
            assert resumed.returncode == 0, resumed.stderr[-3000:]
        check = subprocess.run([sys.executable, "-m", "crawler.cli", "verify", "--archive", str(archive)],
                               cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert check.returncode == 0, check.stdout + check.stderr
        record("disk full (200 KB tmpfs)", "stopped with a message; repaired, resumed, verified", full)
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_sigkill_at_random_moments_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    print(f"NIANBAO_FAULT_SEED={SEED}")
    archive = tmp_path / "archive"
    with DemoPortals() as portals:
        seeds = portals.seeds_csv(tmp_path / "seeds.csv")
        for round_ in range(2):
            moment = round(rng.uniform(0.8, 5.0), 2)
            args = [sys.executable, "-m", "crawler.cli", "crawl", "--seeds", str(seeds), "--archive", str(archive),
                    *FAST, "-s", "NIANBAO_INDEX_INTERVAL=1", "-s", "NIANBAO_AGGREGATOR_HOSTS=*.gov.cn,127.0.0.*",
                    *(["--resume"] if round_ else [])]
            child = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)
            try:
                child.wait(timeout=moment)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, 9)  # the crawl and its live-index child, mid-whatever
                child.wait()
            subprocess.run([sys.executable, "-m", "crawler.cli", "verify", "--archive", str(archive), "--repair"],
                           cwd=ROOT, capture_output=True, timeout=120, check=False)
        # The demo's flaky report answers 503 to its first request: in a killed round the resume asks it again,
        # but the final run must retry it itself (FAST turns retries off), or the report is lost by setting.
        final = crawl(seeds, archive, "--resume", "-s", "NIANBAO_AGGREGATOR_HOSTS=*.gov.cn,127.0.0.*",
                      "-s", "RETRY_TIMES=2", "-s", "NIANBAO_RETRY_BACKOFF=0.2")
        manifest = portals.manifest()
    assert final.returncode == 0 and "Traceback" not in final.stderr, final.stderr[-3000:]
    check = subprocess.run([sys.executable, "-m", "crawler.cli", "verify", "--archive", str(archive)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    expected = {d["url"] for d in manifest["documents"] if d.get("is_report") and not d.get("extra")
                and not d.get("robots_disallowed") and d["role"] == "report"}
    found = {url for (url,) in query(archive, "select url from documents where is_report = 1")}
    blocked = {s["seed"] for s in manifest["sites"] if s["blocked"]}
    assert {u for u in expected if not any(u.startswith(b) for b in blocked)} <= found
    fresh = tmp_path / "fresh"
    shutil.copytree(archive, fresh, ignore=shutil.ignore_patterns("index.db*"))
    subprocess.run([sys.executable, "-m", "crawler.cli", "index", "--archive", str(fresh), "--quiet"], cwd=ROOT,
                   check=True, capture_output=True, timeout=300)
    sql = "select url, warc_file, warc_offset from captures order by warc_file, warc_offset"
    assert query(archive, sql) == query(fresh, sql)
    record(f"SIGKILL x2 (seed {SEED})", "repaired, resumed; index equals a rebuild", final)
