"""Reading the archive back: one record by (file, offset, length), and iterating a whole archive.

Writes `--exchanges` exchanges of pages sized like the portal samples (bench/site.py's `real` profile:
~62 KB articles, ~27 KB lists) into 100 MB WARC files, then times `read_record` on random captures
(goal: well under a millisecond) and `iter_captures` over every file (what `nianbao index` reads).
Then what a new crawl does first, finding each URL's latest payload to dedupe against: from the WARC
files alone, and with the index current (`nianbao index` first; its time is printed too).
Figures are with the files in the page cache, as after a crawl.

    python -m bench.records [--exchanges 5000] [--reads 3000] [--no-index]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _pages() -> list[bytes]:
    from bench import site

    site.Profile.chrome, site.Profile.report_text = site.CHROME_REAL, site.REPORT_TEXT_REAL
    articles = [site.page(f'<div class="TRS_Editor"><h1>第{n}局年度报告</h1>{site.REPORT_TEXT_REAL}</div>',
                          f"第{n}局年度报告") for n in range(20)]
    items = "".join(f'<li><a href="/zwgk/t{i}.html">第{i}局{2000 + i % 25}年政府信息公开工作年度报告</a></li>'
                    for i in range(20))
    lists = [site.page(f"<ul>{items}</ul>", f"列表{n}") for n in range(5)]
    return articles * 4 + lists  # four articles to a list page, as a crawl of a report column meets them


def write_archive(folder: Path, exchanges: int) -> float:
    """`exchanges` exchanges into folder/warc; returns seconds."""
    from archive.warc.writer import Exchange, WarcWriter

    pages = _pages()
    writer = WarcWriter(folder / "warc", worker="bench", max_size=100_000_000)
    start = time.perf_counter()
    for n in range(exchanges):
        body = pages[n % len(pages)]
        exchange = Exchange(
            url=f"http://127.0.0.2/zwgk/t{n}.html", method="GET", request_target=f"/zwgk/t{n}.html",
            request_headers=[("Host", "127.0.0.2"), ("User-Agent", "nianbao"), ("Accept-Encoding", "gzip")],
            request_body=b"", status=200, reason="OK", protocol="HTTP/1.1",
            response_headers=[("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
            body=body, ip_address="127.0.0.2")
        writer.write(writer.exchange_records(exchange, {"role": "report", "agency": "某局", "run_id": "bench"}))
    writer.close()
    return time.perf_counter() - start


def main(argv: list[str]) -> None:
    from archive.warc.reader import iter_captures, read_record, warc_files

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--exchanges", type=int, default=5000)
    parser.add_argument("--reads", type=int, default=3000)
    parser.add_argument("--no-index", dest="index", action="store_false", help="skip the crawl-start figures")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        seconds = write_archive(folder, args.exchanges)
        files = warc_files(folder)
        size = sum(f.stat().st_size for f in files)
        print(f"archive: {args.exchanges} exchanges, {len(files)} files, {size / 1e6:.1f} MB "
              f"(written in {seconds:.1f} s)")
        start = time.perf_counter()
        captures = [(path, c.offset, c.length, c.url) for path in files for c in iter_captures(path)]
        seconds = time.perf_counter() - start
        print(f"iterate (iter_captures, every record parsed, payloads read): {len(captures)} captures in "
              f"{seconds:.2f} s = {len(captures) / seconds:,.0f} captures/s, {size / 1e6 / seconds:.0f} MB/s")
        rng = random.Random(3)
        sample = [rng.choice(captures) for _ in range(args.reads)]
        for label, bounded in (("(file, offset, length)", True), ("(file, offset)", False)):
            times = []
            for path, offset, length, url in sample:
                start = time.perf_counter()
                got, _headers, _payload = read_record(path, offset, length if bounded else 0)
                times.append(1e6 * (time.perf_counter() - start))
                assert got == url
            times.sort()
            print(f"read one record by {label}: median {statistics.median(times):.0f} µs, "
                  f"p99 {times[int(len(times) * 0.99)]:.0f} µs, max {times[-1]:.0f} µs "
                  f"({args.reads} random reads; goal well under 1,000 µs)")
        if args.index:
            crawl_start(folder)


def crawl_start(folder: Path) -> None:
    """Seconds to find each URL's latest payload, without and with a current index."""
    from archive.index.build import build_index
    from archive.index.known import latest_payloads

    start = time.perf_counter()
    alone = latest_payloads(folder)
    without = time.perf_counter() - start
    start = time.perf_counter()
    build_index(folder, progress=False)
    indexing = time.perf_counter() - start
    start = time.perf_counter()
    with_index = latest_payloads(folder)
    seconds = time.perf_counter() - start
    assert with_index == alone
    print(f"crawl start, latest payload of {len(alone)} URLs: from the WARCs alone {without:.2f} s, "
          f"with the index current {seconds:.3f} s (indexing took {indexing:.1f} s, once)")


if __name__ == "__main__":
    main(sys.argv[1:])
