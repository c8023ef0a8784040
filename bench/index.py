"""Index benchmark: 100,000 generated documents of realistic size inserted directly, the full
extract-and-index pipeline timed on 10,000, and p50/p95 latency of the top 20 results of ten queries.

    python -m bench.index [--docs 100000] [--pipeline 10000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

QUERIES = ["行政复议", "政府信息公开", "依申请公开", "行政许可", "应急管理局", "年度报告", "不予公开",
           "生态环境", "复议", "公开"]  # the last two: two characters (the short-query index)


def _text(rng: random.Random, report) -> str:  # type: ignore[no-untyped-def]
    from crawler.demo.reports import as_lines

    lines = as_lines(report)
    rng.shuffle(lines[2:-2])
    return "\n".join(lines)


def build(db_path: Path, docs: int) -> float:
    """Insert `docs` generated documents (text ~3–5 KB) with their FTS rows; returns seconds."""
    from archive.index.schema import index_text, open_index
    from crawler.demo.reports import make_report

    rng = random.Random(7)
    agencies = [
        f"{city}{kind}"
        for city in ("杭州市", "安顺市", "德清县", "遂溪县", "西秀区", "湖州市", "贵阳市", "湛江市")
        for kind in ("应急管理局", "生态环境局", "人民政府", "发展和改革局", "财政局", "司法局")
    ]
    templates = [make_report(agencies[i % len(agencies)], 2017 + i % 8, i) for i in range(200)]
    db = open_index(db_path)
    conn = db.conn
    start = time.perf_counter()
    batch = []
    for n in range(docs):
        report = templates[n % len(templates)]
        agency = agencies[n % len(agencies)]
        text = _text(rng, report).replace(report.agency, agency)
        title = f"{agency}{report.year}年政府信息公开工作年度报告"
        batch.append((n + 1, f"http://127.0.0.2/{n}.html", agency, "某省", title, report.year, "html", 1, text, text))
        if len(batch) == 500 or n == docs - 1:
            conn.executemany("insert into documents (id, url, agency, province, title, year, kind, is_report, text, "
                             "text_simplified, title_simplified) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                             [(*b, b[4]) for b in batch])
            for b in batch:
                index_text(conn, b[0], b[4], b[8])
            conn.commit()
            batch = []
    seconds = time.perf_counter() - start
    conn.close()
    return seconds


def pipeline(docs: int, workdir: Path) -> float:
    """The full path: pages → WARC records → build_index (extraction on every core); returns seconds."""
    from archive.index.build import build_index
    from archive.warc.writer import Exchange, WarcWriter
    from bench.extract import generated_pages

    pages = generated_pages(min(docs, 500))
    writer = WarcWriter(workdir / "warc", worker="bench")
    for n in range(docs):
        body = pages[n % len(pages)]
        exchange = Exchange(url=f"http://127.0.0.2/p/{n}.html", method="GET", request_target=f"/p/{n}.html",
                            request_headers=[("Host", "127.0.0.2")], request_body=b"", status=200, reason="OK",
                            protocol="HTTP/1.1", response_headers=[("Content-Type", "text/html"),
                                                                   ("Content-Length", str(len(body)))], body=body)
        writer.write(writer.exchange_records(exchange, {"role": "report", "agency": "某局", "run_id": "bench"}))
    writer.close()
    start = time.perf_counter()
    build_index(workdir, progress=False)
    return time.perf_counter() - start


def latencies(db_path: Path, repeats: int) -> None:
    from archive.index.search import search

    print(f"  {'query':12} {'hits':>5} {'p50 ms':>8} {'p95 ms':>8}")
    worst = 0.0
    for query in QUERIES:
        times = []
        hits = 0
        for _ in range(repeats):
            start = time.perf_counter()
            hits = len(search(db_path, query, 20))
            times.append(1000 * (time.perf_counter() - start))
        p95 = statistics.quantiles(times, n=20)[-1]
        worst = max(worst, p95)
        print(f"  {query:12} {hits:>5} {statistics.median(times):8.1f} {p95:8.1f}")
    print(f"  worst p95: {worst:.1f} ms (goal < 50 ms)")
    from archive.index.search import SearchFilters

    print("  with filters (not part of the goal):")
    for label, filters in (
        ("province", SearchFilters(province="某省")),
        ("agency", SearchFilters(agency="杭州市财政局")),
        ("agency+year", SearchFilters(agency="杭州市财政局", year=2021)),
        ("reports only", SearchFilters(reports_only=True)),
    ):
        for query in ("公开", "政府信息公开"):
            times = []
            for _ in range(max(5, repeats // 4)):
                start = time.perf_counter()
                hits = len(search(db_path, query, 20, filters))
                times.append(1000 * (time.perf_counter() - start))
            print(f"  {label:12} {query:8} {hits:>5} {statistics.median(times):8.1f} {max(times):8.1f} (max)")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--pipeline", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "index.db"
        seconds = build(db, args.docs)
        print(f"direct insert: {args.docs} documents in {seconds:.1f} s = {args.docs / seconds:.0f} docs/s; "
              f"index {db.stat().st_size / 1e6:.0f} MB")
        latencies(db, args.repeats)
        if args.pipeline:
            work = Path(tmp) / "pipeline"
            seconds = pipeline(args.pipeline, work)
            print(f"extract-and-index pipeline: {args.pipeline} documents in {seconds:.1f} s = "
                  f"{args.pipeline / seconds:.0f} docs/s")


if __name__ == "__main__":
    main(sys.argv[1:])
