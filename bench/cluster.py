"""Cluster benchmark: pages/s of 1, 2 and 4 `nianbao crawl --cluster` worker processes on a generated,
politeness-bound country (hundreds of tiny sites on their own 127.0.x.y addresses, a download delay per
host), against a real redis-server. Pages/s is measured at the server (requests from the first to the
last); CPU is the workers' (start-up and their final index update included).

    python -m bench.cluster [--sites 300] [--delay 1.0] [--workers 1,2,4] [--sites-per-worker 16]

Where it stops scaling: as long as the crawl is politeness-bound, pages/s grows with the workers (each
adds CONCURRENT_REQUESTS hosts in flight); it stops when the workers' CPU fills the machine's cores.
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.cluster.country import Country
from tests.cluster.redis_server import RedisServer

ROOT = Path(__file__).resolve().parent.parent


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_workers(country: Country, redis_url: str, workers: int, delay: float, per_worker: int,
                folder: Path) -> dict[str, Any]:
    """One cluster run of `workers` processes over the whole country; its figures."""
    seeds = country.seeds_csv(folder / "seeds.csv")
    archive = folder / f"archive-{workers}"
    command = [sys.executable, "-m", "crawler.cli", "crawl", "--seeds", str(seeds), "--archive", str(archive),
               "--cluster", redis_url, "--run", f"bench-{workers}", "-L", "WARNING",
               "-s", f"DOWNLOAD_DELAY={delay}", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NIANBAO_INDEX_INTERVAL=0",
               "-s", "NIANBAO_PROGRESS_INTERVAL=0", "-s", f"NIANBAO_CLUSTER_SITES={per_worker}",
               "-s", "NIANBAO_AGGREGATOR_HOSTS=127.0.*"]
    since, cpu = len(country.log), _cpu_children()
    started = time.monotonic()
    processes = [subprocess.Popen([*command, "--worker", f"b{n}"], cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL) for n in range(workers)]
    codes = [process.wait() for process in processes]
    wall = time.monotonic() - started
    requests = country.log[since:]
    span = requests[-1][2] - requests[0][2] if len(requests) > 1 else 0.0
    subprocess.run([sys.executable, "-m", "crawler.cli", "cluster", "reset", redis_url, "--run",
                    f"bench-{workers}"], cwd=ROOT, check=True, capture_output=True)
    return {"workers": workers, "requests": len(requests), "span_s": span, "wall_s": wall,
            "pages_per_s": len(requests) / span if span else 0.0, "cpu_s": _cpu_children() - cpu, "codes": codes}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=300)
    parser.add_argument("--delay", type=float, default=1.0, help="DOWNLOAD_DELAY, seconds per host")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--sites-per-worker", type=int, default=16, help="NIANBAO_CLUSTER_SITES")
    args = parser.parse_args(argv)
    counts = [int(n) for n in args.workers.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        server = RedisServer("redis-server", Path(tmp) / "redis")
        try:
            with Country(args.sites) as country:
                for workers in counts:
                    results.append(run_workers(country, server.url, workers, args.delay, args.sites_per_worker,
                                               Path(tmp)))
        finally:
            server.stop()
    _print(results, args, os.cpu_count() or 1)
    return 0


def _print(results: list[dict[str, Any]], args: argparse.Namespace, cores: int) -> None:
    print(f"generated country: {args.sites} sites (+1 aggregator), {args.delay} s delay per host, "
          f"{args.sites_per_worker} sites claimed per worker; {cores} cores")
    print(f"{'workers':>7} {'requests':>9} {'crawl s':>8} {'pages/s':>8} {'speed-up':>9} {'CPU s':>7} "
          f"{'CPU ms/page':>12} {'CPU use':>8}")
    base = results[0]["pages_per_s"] or 1.0
    for r in results:
        print(f"{r['workers']:>7} {r['requests']:>9} {r['span_s']:>8.1f} {r['pages_per_s']:>8.1f} "
              f"{r['pages_per_s'] / base:>8.2f}x {r['cpu_s']:>7.1f} {1000 * r['cpu_s'] / max(r['requests'], 1):>12.1f} "
              f"{r['cpu_s'] / max(r['wall_s'], 1e-9) / cores:>7.0%}")
        if any(code != 0 for code in r["codes"]):
            print(f"        exit codes {r['codes']}")
    for a, b in itertools.pairwise(results):
        gain = (b["pages_per_s"] / a["pages_per_s"]) / (b["workers"] / a["workers"]) if a["pages_per_s"] else 0.0
        cpu = b["cpu_s"] / max(b["wall_s"], 1e-9) / cores
        why = ("CPU: the cores are full" if cpu > 0.8 else
               "sites: too few per worker to fill its concurrency (a bigger country scales further)")
        print(f"{a['workers']} → {b['workers']} workers: {gain:.0%} of linear" + (f" — limited by {why}"
                                                                               if gain < 0.75 else ""))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
