"""Crawl benchmark: pages/s and CPU ms per page on a generated loopback portal of 5,000+ pages.

Runs, in one go and on the same site: a minimal Scrapy spider, our `reports` spider with WARC off,
and (for `bench.warc`) with WARC on. Goal: ours within 1.2x the minimal spider's CPU per page.

    python -m bench.crawl [--reports 5000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
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


def run(reports: int, variants: list[tuple[str, bool]], profile: str = "small") -> list[dict[str, Any]]:
    """Crawl the generated site once per variant; print a table."""
    server, url = start_site(reports, profile)
    try:
        results = [crawl(spider, url, warc) for spider, warc in variants]
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
    args = parser.parse_args(argv)
    results = run(args.reports, [("minimal", False), ("reports", False)])
    ratio = results[1]["cpu_ms_per_page"] / results[0]["cpu_ms_per_page"]
    print(f"reports spider / minimal spider CPU per page: {ratio:.2f}x (goal <= 1.2x)")


if __name__ == "__main__":
    main(sys.argv[1:])
