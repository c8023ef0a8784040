"""WARC-writing benchmark: the same loopback crawl with WARC writing off and on (goal: <= 15% more CPU/page).

    python -m bench.warc [--reports 5000]
"""

from __future__ import annotations

import argparse
import sys

from bench.crawl import run


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=5000)
    args = parser.parse_args(argv)
    off, on = run(args.reports, [("reports", False), ("reports", True)])
    extra = on["cpu_ms_per_page"] / off["cpu_ms_per_page"] - 1
    print(f"WARC writing adds {100 * extra:.1f}% CPU per page "
          f"({on['cpu_ms_per_page'] - off['cpu_ms_per_page']:+.2f} ms; goal <= 15%)")


if __name__ == "__main__":
    main(sys.argv[1:])
