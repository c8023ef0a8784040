"""Scale benchmark (issue #16; run by hand, not in CI):

- `pipeline`: the full extract-and-index path (report pages → WARC records → `build_index`, extraction in
  a worker process per core) on 100,000 documents: documents per second and peak RSS — of this process,
  of the largest extraction worker, and of the whole process tree (sampled from /proc every 0.2 s); the
  figures of each report are parsed by the same workers at the end of the update.
- `search`: 1,000,000 generated documents (~4 KB of text each, bench.index's generator, 10 per agency)
  inserted directly: time, index size on disk, then p50/p95 of bench.index's ten queries.

    python -m bench.scale pipeline [--docs 100000] [--dir /tmp]
    python -m bench.scale search [--docs 1000000] [--dir /tmp] [--keep]
    python -m bench.scale search --db ARCHIVE/index.db      (an index already built, e.g. kept)
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.index import build, latencies, write_pages


class TreeRss:
    """Peak summed RSS of this process and its descendants, and the peak of the largest descendant, sampled
    from /proc in a thread (the extraction workers are the forkserver's children: getrusage does not see
    them)."""

    def __init__(self, every: float = 0.2) -> None:
        self.every = every
        self.peak = 0
        self.largest_child = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            sizes = tree_rss(os.getpid())
            self.peak = max(self.peak, sum(sizes.values()))
            self.largest_child = max([self.largest_child, *(v for k, v in sizes.items() if k != os.getpid())])


def tree_rss(root: int) -> dict[int, int]:
    """Bytes resident in `root` and in every process descending from it, by process id."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    sizes = {}
    for pid in tree:
        try:
            with open(f"/proc/{pid}/statm") as handle:
                sizes[pid] = int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return sizes


def run_pipeline(docs: int, base: Path) -> None:
    """Time `build_index` over `docs` generated WARC records; print docs/s and peak RSS."""
    from archive.index.build import build_index

    with tempfile.TemporaryDirectory(dir=base) as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        write_pages(docs, work)
        size = sum(p.stat().st_size for p in (work / "warc").glob("*"))
        print(f"WARC: {docs} records, {size / 1e6:.0f} MB, written in {time.perf_counter() - start:.0f} s",
              flush=True)
        load = os.getloadavg()
        with TreeRss() as sampler:
            start = time.perf_counter()
            report = build_index(work, progress=False)
            seconds = time.perf_counter() - start
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"extract-and-index pipeline: {report.documents} documents in {seconds:.1f} s = "
              f"{report.documents / seconds:.0f} docs/s on {os.cpu_count()} cores (load before: "
              f"{load[0]:.2f}, after: {os.getloadavg()[0]:.2f})")
        print(f"peak RSS: this process {own:.0f} MiB (getrusage), largest other process of its tree "
              f"{sampler.largest_child / 2**20:.0f} MiB, whole tree {sampler.peak / 2**20:.0f} MiB (sampled); index "
              f"{(work / 'index.db').stat().st_size / 1e6:.0f} MB")


def run_search(docs: int, base: Path, keep: bool, repeats: int) -> None:
    """Insert `docs` documents directly, print the index size and the ten queries' latency."""
    work = Path(tempfile.mkdtemp(prefix="nianbao-scale-", dir=base))
    try:
        db = work / "archive" / "index.db"
        seconds = build(db, docs, max(10_000, docs // 10), figures=False)
        size = sum(p.stat().st_size for p in db.parent.glob("index.db*"))
        print(f"direct insert: {docs} documents in {seconds:.0f} s = {docs / seconds:.0f} docs/s; index "
              f"{size / 1e9:.2f} GB on disk ({size / docs / 1e3:.1f} KB per document)", flush=True)
        print(f"load average: {os.getloadavg()[0]:.2f}")
        latencies(db, repeats)
        print(f"load average: {os.getloadavg()[0]:.2f}")
    finally:
        if keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def measure(db: Path, repeats: int) -> None:
    """Print the size of an index already built and the ten queries' latency on it."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        docs = conn.execute("select count(*) from documents").fetchone()[0]
    finally:
        conn.close()
    size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    print(f"{db}: {docs} documents; index {size / 1e9:.2f} GB on disk ({size / max(docs, 1) / 1e3:.1f} KB per "
          f"document); load average {os.getloadavg()[0]:.2f}", flush=True)
    latencies(db, repeats)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=("pipeline", "search"))
    parser.add_argument("--docs", type=int, help="documents (pipeline 100,000; search 1,000,000)")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()), help="where temporary files go")
    parser.add_argument("--keep", action="store_true", help="keep the search index (its path is printed)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--db", type=Path, help="search: measure this index instead of building one")
    args = parser.parse_args(argv)
    if args.db:
        measure(args.db, args.repeats)
    elif args.what == "pipeline":
        run_pipeline(args.docs or 100_000, args.dir)
    else:
        run_search(args.docs or 1_000_000, args.dir, args.keep, args.repeats)


if __name__ == "__main__":
    main(sys.argv[1:])
