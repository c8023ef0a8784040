"""Similarity and version-detection benchmark.

    python -m bench.similarity [--reports 100000] [--archive DIR]

1. Similarity: `update_similarity` on N generated reports (~4 KB of text each: the national form with its
   tables, plus own paragraphs; 10,000 agencies × N/10,000 years; one agency in 20 copies its previous
   year's report, counties' departments file shared templates). Prints the time and what it found.
2. Version detection's share of a nightly index update: with `--archive DIR` (an archive crawled on
   several nights, e.g. by tests/test_e2e_changes.py), the index is rebuilt from its WARCs and
   `update_versions` + `update_withdrawn` timed on it (every report document new: the worst case).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

_WORDS = ("老旧小区改造", "饮用水提标", "义务教育招生", "医保待遇调整", "征地补偿", "企业纾困", "防汛应急", "垃圾分类",
          "农房审批", "殡葬改革", "耕地保护", "养老补贴", "公交线网", "河道整治", "校园安全", "菜篮子工程", "专题专栏",
          "直播答疑", "口袋书", "听证会", "便民服务中心", "短视频", "满意度测评", "政策解读", "网格员", "村务公开栏")


# Text no other report has: characters drawn from the commonest block of CJK ideographs.
_CHARS = "".join(chr(code) for code in range(0x4E00, 0x4E00 + 3000))


def _own(rng: random.Random, paragraphs: int = 8) -> list[str]:
    """Paragraphs of an agency's own prose: words of the trade around text no other report has."""
    def words(n: int) -> str:
        return "".join(rng.choice(_CHARS) for _ in range(n))

    return [f"{rng.choice(_WORDS)}{words(9)}，{words(7)}{rng.choice(_WORDS)}{rng.randint(1, 999)}件，"
            f"{words(12)}，{rng.choice(_WORDS)}{words(8)}。" for _ in range(paragraphs)]


def generate(db_path: Path, reports: int) -> float:
    """Write `reports` generated reports into a documents table; returns the mean text size in bytes."""
    from crawler.demo.reports import as_lines, make_report

    rng = random.Random(18)
    forms = [as_lines(make_report("某某局", 2023, seed)) for seed in range(50)]
    years = 5  # each agency's reports of five years
    conn = sqlite3.connect(db_path)
    conn.execute("create table documents (id integer primary key, url text, agency text, year integer, "
                 "is_report integer, error text, text text, text_simplified text)")
    size, rows, previous = 0, [], [""]
    for n in range(reports):
        agency, year = f"{n // years // 30}县第{n // years % 30}局", 2018 + n % years
        own = _own(rng)
        if n % years and (n // years) % 20 == 0:
            own = [*previous[:-1], "另补充公开了部分事项。"]  # a copy of the previous year's own text
        elif (n // years) % 30 < 3 and (n // years // 30) % 10 == 0:
            own = _own(random.Random(n // years // 30 * 1000 + year))  # one county's shared template
        previous = own
        form = forms[n % len(forms)]
        text = "\n".join([*form[:3], *own, *form[3:]]).replace("某某局", agency)
        size += len(text.encode())
        rows.append((f"http://127.0.0.2/{n}.html", agency, year, text))
        if len(rows) >= 5000:
            conn.executemany("insert into documents (url, agency, year, is_report, error, text) "
                             "values (?, ?, ?, 1, '', ?)", rows)
            rows = []
    conn.executemany("insert into documents (url, agency, year, is_report, error, text) "
                     "values (?, ?, ?, 1, '', ?)", rows)
    conn.commit()
    conn.close()
    return size / max(reports, 1)


def bench_similarity(reports: int) -> None:
    from archive.index.similarity import copied_reports, near_duplicates, update_similarity

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "index.db"
        mean = generate(db, reports)
        conn = sqlite3.connect(db)
        count = conn.execute("select count(*) from documents").fetchone()[0]
        started = time.perf_counter()
        shared = update_similarity(conn)
        seconds = time.perf_counter() - started
        print(f"similarity: {count:,} reports of {mean / 1024:.1f} KB mean text in {seconds:.1f} s "
              f"({shared:,} with a share; {len(copied_reports(conn))} copied ≥ 80%, "
              f"{len(near_duplicates(conn))} near-duplicate pairs ≥ 80%)", flush=True)
        conn.close()


def bench_versions(archive: Path) -> None:
    from archive.index.build import build_index
    from archive.index.versions import update_versions, update_withdrawn

    started = time.perf_counter()
    build_index(archive, progress=False, workers=2, rebuild=True)
    index_seconds = time.perf_counter() - started
    conn = sqlite3.connect(archive / "index.db")
    started = time.perf_counter()
    versions = update_versions(conn)
    update_withdrawn(conn)
    seconds = time.perf_counter() - started
    conn.close()
    print(f"versions: {versions} versions in {seconds * 1000:.0f} ms after an index update of {index_seconds:.1f} s "
          f"({100 * seconds / index_seconds:.2f}% of it)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.similarity")
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--archive", type=Path, default=None)
    args = parser.parse_args(argv)
    bench_similarity(args.reports)
    if args.archive:
        bench_versions(args.archive)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
