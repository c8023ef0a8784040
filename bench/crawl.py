"""Crawl benchmark: pages/s and CPU ms per page on a generated loopback portal of 5,000+ pages.

Runs, in one go and on the same site: a minimal Scrapy spider, our `reports` spider with WARC off,
and (for `bench.warc`) with WARC on. Goal: ours within 1.2x the minimal spider's CPU per page.

    python -m bench.crawl [--reports 5000]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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


def run(reports: int, variants: list[tuple[str, bool]], profile: str = "small") -> list[dict[str, Any]]:
    """Crawl the generated site once per variant (a variant "wget" runs GNU wget); print a table."""
    server, url = start_site(reports, profile)
    try:
        results = [wget(url) if spider == "wget" else crawl(spider, url, warc) for spider, warc in variants]
    finally:
        server.terminate()
        server.wait()
    print(f"generated portal: {reports} reports, {profile} pages; figures per crawl (one process each)")
    print(f"{'spider':10} {'warc':5} {'pages':>7} {'pages/s':>8} {'cpu ms/page':>12} {'warc MB':>8}")
    for r in results:
        print(f"{r['spider']:10} {'on' if r['warc'] else 'off':5} {r['pages']:>7} {r['pages_per_s']:>8.1f} "
              f"{r['cpu_ms_per_page']:>12.3f} {r['warc_bytes'] / 1e6:>8.1f}")
    return results


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--profile", choices=["small", "real"], default="small")
    args = parser.parse_args(argv)
    with_wget = shutil.which("wget") is not None
    variants = [("minimal", False), ("reports", False)] + ([("reports", True), ("wget", True)] if with_wget else [])
    results = run(args.reports, variants, args.profile)
    ratio = results[1]["cpu_ms_per_page"] / results[0]["cpu_ms_per_page"]
    print(f"reports spider / minimal spider CPU per page: {ratio:.2f}x (goal <= 1.2x)")
    if with_wget:
        ratio = results[2]["cpu_ms_per_page"] / results[3]["cpu_ms_per_page"]
        print(f"reports spider with WARC / wget -r --warc-file CPU per page: {ratio:.2f}x (goal <= 2x)")


if __name__ == "__main__":
    main(sys.argv[1:])
