"""WARC-writing benchmark: the same loopback crawl with WARC writing off and on (goal: <= 15% more CPU/page).

Each variant runs `--repeats` times, alternating, each crawl in its own process; the medians are compared.
Two sites (bench/site.py): `small` pages (~2.5 KB, so the fixed cost of each record weighs most) and
`real` pages (sized and built like the portal samples: ~60 KB articles, ~27 KB lists).

    python -m bench.warc [--reports 5000] [--repeats 3] [--profile small|real|both]
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
    parser.add_argument("--profile", choices=["small", "real", "both"], default="both")
    args = parser.parse_args(argv)
    for profile in ["small", "real"] if args.profile == "both" else [args.profile]:
        results = run(args.reports, [("reports", False), ("reports", True)] * args.repeats, profile)[0]
        off = statistics.median(r["cpu_ms_per_page"] for r in results if not r["warc"])
        on = statistics.median(r["cpu_ms_per_page"] for r in results if r["warc"])
        print(f"{profile} pages, median CPU ms/page: off {off:.3f}, on {on:.3f}")
        print(f"{profile} pages: WARC writing adds {100 * (on / off - 1):.1f}% CPU per page ({on - off:+.3f} ms; "
              "goal <= 15%)\n")


if __name__ == "__main__":
    main(sys.argv[1:])
