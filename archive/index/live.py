"""`python -m archive.index.live ARCHIVE [NAME=BYTES ...]`: one index update during a crawl.

The crawl starts this in a child process so extraction never runs on Scrapy's event loop; it is
`build_index` (the code path of `nianbao index`), told how far the crawl's open WARC files are written.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from pathlib import Path

from archive.index.build import build_index

__all__ = ["main"]


def _committed(args: list[str]) -> dict[str, int]:
    committed: dict[str, int] = {}
    for arg in args:
        name, _, size = arg.rpartition("=")
        committed[name] = int(size)
    return committed


def main(argv: list[str] | None = None) -> int:
    """Update ARCHIVE/index.db; exit 0 when done, 1 when the update failed (the final one redoes it)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m archive.index.live ARCHIVE [WARC_NAME=BYTES ...] [--workers N]", file=sys.stderr)
        return 2
    workers = 1
    if "--workers" in args:
        at = args.index("--workers")
        workers = int(args[at + 1])
        del args[at:at + 2]
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s [live index] %(levelname)s: %(message)s")
    archive = Path(args[0])
    try:
        report = build_index(archive, progress=False, workers=workers, committed=_committed(args[1:]))
    except (OSError, sqlite3.OperationalError) as exc:  # a full disk: the crawl says what to do
        logging.getLogger(__name__).error("live index update of %s failed: %s", archive, exc)
        return 1
    except Exception:
        logging.getLogger(__name__).exception("live index update of %s failed", archive)
        return 1
    print(f"{report.captures} {report.documents}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
