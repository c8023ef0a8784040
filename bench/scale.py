"""Scale benchmark (issue #16; run by hand, not in CI):

- `pipeline`: the full extract-and-index path (report pages → WARC records → `build_index`, extraction in
  a worker process per core) on 100,000 documents: documents per second and peak RSS — of this process,
  of the largest extraction worker, and of the whole process tree (sampled from /proc every 0.2 s); the
  figures of each report are parsed by the same workers at the end of the update.
- `search`: 1,000,000 generated documents (~4 KB of text each, bench.index's generator, 10 per agency)
  inserted directly: time, index size on disk, then p50/p95 of bench.index's ten queries. The two full-text
  indexes are filled by two worker processes and copied in (`build_parallel`: the same rows, FTS5 segments
  included, as bench.index's `build` makes); progress is printed every 10,000 documents.

    python -m bench.scale pipeline [--docs 100000] [--dir /tmp]
    python -m bench.scale search [--docs 1000000] [--dir /tmp] [--keep]
    python -m bench.scale search --db ARCHIVE/index.db      (an index already built, e.g. kept)
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.index import latencies, write_pages


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
        seconds = build_parallel(db, docs, max(10_000, docs // 10))
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


_FTS_TABLES = ("documents_fts", "documents_chars")
_SHADOWS = ("data", "idx", "docsize", "config")  # what FTS5 keeps of a table (external content or contentless)


def build_parallel(db: Path, docs: int, agency_count: int) -> float:
    """bench.index's `build` (without report figures), its two full-text indexes filled by two worker
    processes into files of their own, 500 documents a commit as `build` does, then copied into the index
    table by table: the same rows, FTS5 segments and settings as inserting everything on one connection, in
    about half the time on two cores (tokenising is most of the work). Prints progress; returns seconds."""
    from bench.index import _seed_captures, _seed_rows, agencies

    start = time.perf_counter()
    conn = _open_index(db)
    context = multiprocessing.get_context("fork")  # the workers never touch `conn`
    done = {name: context.Value("q", 0) for name in _FTS_TABLES}
    workers = [context.Process(target=_fill_fts, args=(_fts_statements(conn, name), db.with_name(f"{name}.part"),
                                                      docs, agency_count, done[name]), daemon=True)
               for name in _FTS_TABLES]
    for worker in workers:
        worker.start()
    seeds = agencies(agency_count)
    _seed_rows(conn, db.parent, seeds)
    _insert_documents(conn, seeds, docs, lambda n: _progress(start, docs, n, done))
    _seed_captures(conn, seeds)
    conn.commit()
    for worker in workers:
        while worker.is_alive():
            worker.join(10)
            _progress(start, docs, docs, done)
        if worker.exitcode:
            raise RuntimeError(f"building {worker.name} failed (exit code {worker.exitcode})")
    _copy_fts(conn, db)
    conn.close()
    return time.perf_counter() - start


def _open_index(db: Path) -> sqlite3.Connection:
    from archive.index.figures import ensure_schema
    from archive.index.schema import open_index

    index = open_index(db)
    ensure_schema(index)
    return index.conn


def _rows(docs: int, agency_count: int) -> Iterator[tuple[Any, ...]]:
    """bench.index's generated documents, in order (the same seed: every process makes the same rows)."""
    from bench.index import _document, agencies, plan

    rng = random.Random(7)
    for n, item in enumerate(plan(rng, agencies(agency_count), docs)):
        yield (*_document(n, item, rng, n + 1), item.agency.url)


def _insert_documents(conn: sqlite3.Connection, seeds: list[Any], docs: int, progress: Callable[[int], None]) -> None:
    """Captures and documents as `bench.index.build` inserts them (its triggers fire), 500 a commit."""
    from bench.index import _DOC_SQL

    batch: list[tuple[Any, ...]] = []
    for row in _rows(docs, len(seeds)):
        conn.execute("insert into captures (id, run_id, url, status, fetched_at, content_type, record_type, "
                     "warc_file, warc_offset, warc_length, seed, role) values (?, 'bench', ?, 200, "
                     "'2026-11-20T00:00:00Z', 'text/html', 'response', 'bench.warc.gz', 0, 0, ?, 'report')",
                     (row[0], row[2], row[-1]))
        batch.append(row[:-1])
        if len(batch) == 500:
            conn.executemany(_DOC_SQL, batch)
            conn.commit()
            progress(row[0])
            batch.clear()
    conn.executemany(_DOC_SQL, batch)
    conn.commit()


def _fts_statements(conn: sqlite3.Connection, name: str) -> tuple[str, str]:
    """How the index creates full-text table `name`, and the insert `index_text` makes into it."""
    create = conn.execute("select sql from sqlite_master where name = ?", (name,)).fetchone()[0]
    columns = ", ".join(row[1] for row in conn.execute(f"pragma table_info({name})"))
    return create, f"insert into {name} (rowid, {columns}) values (?, ?, ?)"


def _fill_fts(statements: tuple[str, str], path: Path, docs: int, agency_count: int, done: Any) -> None:
    """Worker: fill a full-text table (`statements`: create, insert) in a file of its own at `path`."""
    from archive.index.schema import chars_of

    create, sql = statements
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("pragma journal_mode = off")  # a scratch file: copied into the index once complete
    conn.execute("pragma synchronous = off")
    conn.execute(create)
    per_char = "documents_chars" in create
    batch: list[tuple[int, str, str]] = []
    for row in _rows(docs, agency_count):
        title, text = row[13], row[12]
        batch.append((row[0], chars_of(title), chars_of(text)) if per_char else (row[0], title, text))
        if len(batch) == 500:
            conn.executemany(sql, batch)
            conn.commit()
            done.value = row[0]
            batch.clear()
    conn.executemany(sql, batch)
    conn.commit()
    done.value = docs
    conn.close()


def _copy_fts(conn: sqlite3.Connection, db: Path) -> None:
    """Replace the index's (empty) full-text tables by the workers' ones, shadow table by shadow table."""
    conn.execute("pragma journal_mode = delete")  # pages appended to a file need no journal; WAL would copy twice
    for name in _FTS_TABLES:
        part = db.with_name(f"{name}.part")
        conn.execute("attach database ? as part", (str(part),))
        for shadow in _SHADOWS:
            conn.execute(f"delete from main.{name}_{shadow}")
            conn.execute(f"insert into main.{name}_{shadow} select * from part.{name}_{shadow}")
        conn.commit()
        conn.execute("detach database part")
        part.unlink()
        print(f"  {name} copied into the index ({time.strftime('%H:%M:%S')})", flush=True)
    conn.execute("pragma journal_mode = wal")


def _progress(start: float, docs: int, stored: int, done: dict[str, Any]) -> None:
    """Every 10,000 documents stored (and while waiting for the workers): how far each part is."""
    if stored % 10_000 and stored != docs:
        return
    seconds = time.perf_counter() - start
    parts = ", ".join(f"{name} {value.value:,}" for name, value in done.items())
    slowest = min([stored, *(value.value for value in done.values())])
    print(f"  {seconds:6.0f} s: documents {stored:,}, {parts} ({slowest / max(seconds, 1e-9):.0f} docs/s; load "
          f"{os.getloadavg()[0]:.1f})", flush=True)


def measure(db: Path, repeats: int) -> None:
    """Print the size of an index already built and the ten queries' latency on it."""
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
