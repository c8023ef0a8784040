"""WARC-writing benchmark: the same loopback crawl with WARC writing off and on (goal: <= 15% more CPU/page).

Each variant runs `--repeats` times, alternating, each crawl in its own process; the medians are compared
(single runs vary by ±15% on a shared 2-core machine).

    python -m bench.warc [--reports 5000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys

from bench.crawl import run


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    results = run(args.reports, [("reports", False), ("reports", True)] * args.repeats)
    off = statistics.median(r["cpu_ms_per_page"] for r in results if not r["warc"])
    on = statistics.median(r["cpu_ms_per_page"] for r in results if r["warc"])
    print(f"median CPU ms/page: off {off:.2f}, on {on:.2f}")
    print(f"WARC writing adds {100 * (on / off - 1):.1f}% CPU per page ({on - off:+.2f} ms; goal <= 15%)")


if __name__ == "__main__":
    main(sys.argv[1:])
