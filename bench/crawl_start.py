"""What a crawl's start costs on a large archive (issue #16; run by hand, not in CI).

An index of `--captures` 200 responses (one URL each, ETag and Last-Modified on half, a report document
for every third) is inserted directly, its WARC files stood in by sparse files of the indexed size (the
plan reads only what the index does not cover: nothing here). In a fresh process each: the incremental
plan is made (`crawler.plan.make_plan`) and its RSS and time printed, then the per-URL lookups a crawl
makes (payload digest, validators) timed; then what the plan held before it asked the index per URL —
every mapping loaded into dicts — measured the same way, side by side.

    python -m bench.crawl_start [--captures 1000000] [--dir /tmp]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FILES = 20
FILE_SIZE = 1_000_000_000


def make_archive(root: Path, captures: int) -> None:
    """index.db with `captures` captures over FILES sparse WARC files; a report document every third."""
    from archive.index.figures import ensure_schema
    from archive.index.schema import open_index

    (root / "warc").mkdir(parents=True)
    names = [f"nianbao-20261120000000-{n:05d}-bench.warc.gz" for n in range(FILES)]
    for name in names:
        with open(root / "warc" / name, "wb") as handle:
            handle.truncate(FILE_SIZE)
    index = open_index(root / "index.db")
    ensure_schema(index)
    conn = index.conn
    conn.executemany("insert into warc_files (name, size) values (?, ?)", [(name, FILE_SIZE) for name in names])
    batch: list[tuple[object, ...]] = []
    docs: list[tuple[object, ...]] = []
    for n in range(1, captures + 1):
        url = f"http://www.{n % 14_000}.county.gov.cn/zwgk/ndbg/202{n % 6}/t2026{n:08d}_{n}.html"
        half = n % 2 == 0
        batch.append((n, url, f"2026-11-{1 + n % 28:02d}T03:04:05Z", names[n % FILES], n * 1000, 999,
                      f"sha1:{n:032X}", f'"{n:x}-5f3a"' if half else None,
                      "Wed, 01 Nov 2023 08:00:00 GMT" if half else None, "report" if n % 3 == 0 else "list"))
        if n % 3 == 0:
            docs.append((n, n, url, f"第{n % 14_000}局", "某省", 1))
        if len(batch) == 50_000:
            _insert(conn, batch, docs)
    _insert(conn, batch, docs)
    conn.close()


def _insert(conn: sqlite3.Connection, batch: list[tuple[object, ...]], docs: list[tuple[object, ...]]) -> None:
    conn.executemany("insert into captures (id, url, status, fetched_at, record_type, warc_file, warc_offset, "
                     "warc_length, payload_digest, etag, last_modified, role, seed) values (?, ?, 200, ?, "
                     "'response', ?, ?, ?, ?, ?, ?, ?, 'http://seed/')", batch)
    conn.executemany("insert into documents (id, capture_id, url, agency, province, is_report) "
                     "values (?, ?, ?, ?, ?, ?)", docs)
    conn.commit()
    batch.clear()
    docs.clear()


def measure(archive: Path, loaded: bool, captures: int) -> None:
    """(In its own process.) RSS and time of making the incremental plan; lookups per URL."""
    from crawler.plan import make_plan

    before = _rss()
    start = time.perf_counter()
    plan = make_plan(archive, "incremental")
    held: list[Mapping[str, Any]] = []
    if loaded:  # what the plan held before: every mapping read into a dict at the start
        held = [dict(plan.known_digests), dict(plan.validators), dict(plan.archived), dict(plan.known_reports.items())]
    seconds = time.perf_counter() - start
    grown = _rss() - before
    rng = random.Random(5)
    urls = [f"http://www.{n % 14_000}.county.gov.cn/zwgk/ndbg/202{n % 6}/t2026{n:08d}_{n}.html"
            for n in (rng.randrange(1, captures + 1) for _ in range(20_000))]
    digests: Mapping[str, Any] = held[0] if held else plan.known_digests
    validators: Mapping[str, Any] = held[1] if held else plan.validators
    start = time.perf_counter()
    found = sum(1 for url in urls if digests.get(url) is not None and validators.get(url) is not None)
    per_url = (time.perf_counter() - start) / len(urls) * 1e6
    label = "loaded into dicts (before)" if loaded else "asked per URL (now)"
    print(f"{label:28s} plan {seconds:6.2f} s, RSS +{grown / 2**20:7.1f} MiB; "
          f"digest + validators lookup {per_url:6.1f} µs per URL ({found} of {len(urls)} with validators)", flush=True)


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--captures", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--loaded", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        measure(args.measure, args.loaded, args.captures)
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        archive = Path(tmp) / "archive"
        start = time.perf_counter()
        make_archive(archive, args.captures)
        size = (archive / "index.db").stat().st_size
        print(f"index of {args.captures:,} captures ({args.captures // 3:,} reports): {size / 1e6:.0f} MB, "
              f"made in {time.perf_counter() - start:.0f} s", flush=True)
        for loaded in (False, True, False, True):
            subprocess.run([sys.executable, "-m", "bench.crawl_start", "--measure", str(archive),
                            "--captures", str(args.captures), *(["--loaded"] if loaded else [])], check=True)


if __name__ == "__main__":
    main(sys.argv[1:])
