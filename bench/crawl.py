"""Crawl benchmark: pages/s and CPU ms per page on a generated loopback portal of 5,000+ pages.

Runs, in one go and on the same site: a stock Scrapy spider (allowed_domains), our `reports` spider with
WARC off and on, and GNU wget `-r --warc-file` when it is installed, the reference of issue 16. Goals: ours
within 1.2x the stock spider's CPU per page; ours with WARC within 2x wget's on the `real` profile.

    python -m bench.crawl [--reports 5000] [--profile real] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def start_site(reports: int, profile: str = "small") -> tuple[subprocess.Popen[str], str]:
    """The generated portal in its own process; returns it and its home URL."""
    server = subprocess.Popen([sys.executable, "-m", "bench.site", "--reports", str(reports), "--profile", profile],
                              stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    port = int(server.stdout.readline())
    return server, f"http://127.0.0.1:{port}/"


def crawl(spider: str, url: str, warc: bool) -> dict[str, Any]:
    """One crawl in a fresh process; its figures."""
    done = subprocess.run([sys.executable, "-m", "bench.crawl_worker", spider, url, "on" if warc else "off"],
                          capture_output=True, text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["pages_per_s"] = figures["pages"] / figures["wall_s"]
    figures["cpu_ms_per_page"] = 1000 * figures["cpu_s"] / max(figures["pages"], 1)
    return figures


def wget(url: str) -> dict[str, Any]:
    """GNU wget -r --warc-file on the same site (the C reference), in a fresh process; its figures."""
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        child = subprocess.Popen(["wget", "-r", "-l", "inf", "-q", "-e", "robots=off", "--warc-file",
                                  f"{folder}/w", url], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _pid, _status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        pages = sum(1 for p in Path(folder).rglob("*") if p.is_file() and not p.name.startswith("w."))
        warc = sum(p.stat().st_size for p in Path(folder).glob("w.*"))
    return {"spider": "wget", "warc": True, "pages": pages, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "warc_bytes": warc, "pages_per_s": pages / wall, "cpu_ms_per_page": 1000 * (usage.ru_utime +
                                                                                       usage.ru_stime) / max(pages, 1)}


def run(reports: int, variants: list[tuple[str, bool]], profile: str = "small",
        runs: int = 1) -> list[list[dict[str, Any]]]:
    """Crawl the generated site `runs` times per variant (a variant "wget" runs GNU wget), the variants of a
    run one after the other so that each run compares crawlers under the same load; print a table per run."""
    server, url = start_site(reports, profile)
    try:
        rounds = []
        for number in range(1, runs + 1):
            results = [wget(url) if spider == "wget" else crawl(spider, url, warc) for spider, warc in variants]
            print_table(results, f"run {number}/{runs}: generated portal, {reports} reports, {profile} pages")
            rounds.append(results)
    finally:
        server.terminate()
        server.wait()
    return rounds


def print_table(results: list[dict[str, Any]], title: str) -> None:
    """One run's figures, a line per crawler."""
    print(f"{title}; figures per crawl (one process each)")
    print(f"{'spider':10} {'warc':5} {'pages':>7} {'pages/s':>8} {'cpu ms/page':>12} {'warc MB':>8}")
    for r in results:
        print(f"{r['spider']:10} {'on' if r['warc'] else 'off':5} {r['pages']:>7} {r['pages_per_s']:>8.1f} "
              f"{r['cpu_ms_per_page']:>12.3f} {r['warc_bytes'] / 1e6:>8.1f}", flush=True)


def ratios(rounds: list[list[dict[str, Any]]], ours: int, reference: int) -> list[float]:
    """CPU per page of variant `ours` over variant `reference`, one ratio per run."""
    return [r[ours]["cpu_ms_per_page"] / r[reference]["cpu_ms_per_page"] for r in rounds]


def summary(values: list[float]) -> str:
    """Each run's ratio, then the median and the worst when there are several."""
    shown = ", ".join(f"{v:.2f}x" for v in values)
    return shown if len(values) == 1 else f"{shown}; median {statistics.median(values):.2f}x, worst {max(values):.2f}x"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--profile", choices=["small", "real"], default="small")
    parser.add_argument("--runs", type=int, default=1, help="side-by-side runs on the same site (default 1)")
    args = parser.parse_args(argv)
    with_wget = shutil.which("wget") is not None
    variants = [("minimal", False), ("reports", False)] + ([("reports", True), ("wget", True)] if with_wget else [])
    rounds = run(args.reports, variants, args.profile, max(args.runs, 1))
    print(f"reports spider / minimal spider CPU per page: {summary(ratios(rounds, 1, 0))} (goal <= 1.2x)")
    if with_wget:
        print(f"reports spider with WARC / wget -r --warc-file CPU per page: {summary(ratios(rounds, 2, 3))} "
              "(goal <= 2x)")
    else:
        print("GNU wget not installed: no reference run (apt-get install wget)")


if __name__ == "__main__":
    main(sys.argv[1:])
