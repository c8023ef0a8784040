"""Run every benchmark in turn: `python -m bench [name ...]`. Each prints its own figures."""

from __future__ import annotations

import importlib
import sys

BENCHES = ["crawl", "warc", "records", "extract", "index", "bomb"]


def main(argv: list[str]) -> int:
    names = argv or BENCHES
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        module = importlib.import_module(f"bench.{name}")
        module.main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
