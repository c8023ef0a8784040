"""Extraction benchmark: decode+extract documents/s and MB/s on the demo pages and a larger generated set,
side by side with plain `trafilatura.extract` and with `chardet.detect` on the same bytes.

    python -m bench.extract [--generated 400]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def demo_pages() -> list[bytes]:
    """The demo portals' HTML pages, raw bytes (GBK, Big5, UTF-8)."""
    sites = HERE / "crawler" / "demo" / "sites"
    return [p.read_bytes() for p in sorted(sites.rglob("*.html"))]


def generated_pages(count: int) -> list[bytes]:
    """Report pages of ~20 KB in the CMS styles of the demo, from the demo's report generator."""
    from crawler.demo.build import Site, trs_article
    from crawler.demo.reports import as_html, make_report

    site = Site("bench", "某县人民政府", "某省", "某市", "某县", "trs", "gbk", "/")
    pages = []
    for n in range(count):
        report = make_report(f"某县第{n}局", 2017 + n % 8, n)
        html = trs_article(site, report.title, as_html(report) * 2, "2024-01-20", "政府信息公开年报")
        pages.append(html.encode("gbk", "replace") if n % 2 else html.encode("utf-8"))
    return pages


def timed(label: str, pages: list[bytes], func: Callable[[bytes], object]) -> float:
    start = time.perf_counter()
    for page in pages:
        func(page)
    seconds = time.perf_counter() - start
    megabytes = sum(map(len, pages)) / 1e6
    print(f"  {label:34} {len(pages) / seconds:9.1f} docs/s {megabytes / seconds:8.2f} MB/s "
          f"{1000 * seconds / len(pages):7.2f} ms/doc")
    return seconds


def _is_utf8(page: bytes) -> bool:
    try:
        page.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _quiet(pages: list[bytes], func: Callable[[bytes], object]) -> float:
    start = time.perf_counter()
    for page in pages:
        func(page)
    return time.perf_counter() - start


def run(name: str, pages: list[bytes]) -> None:
    import chardet
    import trafilatura

    from extract.decoding import decode_html
    from extract.document import document

    print(f"{name}: {len(pages)} pages, {sum(map(len, pages)) / 1e6:.1f} MB")
    ours = timed("decode_html (ours)", pages, lambda b: decode_html(b, "text/html"))
    theirs = timed("chardet.detect", pages, lambda b: chardet.detect(b))
    print(f"  -> decoding {theirs / ours:.0f}x faster than chardet (goal >= 20x)")
    utf8 = [page for page in pages if _is_utf8(page)]
    legacy = [page for page in pages if not _is_utf8(page)]
    for label, subset in (("UTF-8", utf8), ("legacy (GBK/Big5)", legacy)):
        if subset:
            ours_part = _quiet(subset, lambda b: decode_html(b, "text/html"))
            theirs_part = _quiet(subset, lambda b: chardet.detect(b))
            print(f"     {label} pages ({len(subset)}): {theirs_part / ours_part:.0f}x "
                  f"({1e6 * ours_part / len(subset):.0f} vs {1e6 * theirs_part / len(subset):.0f} us/page)")
    pipeline = timed("document(): decode+mojibake+extract+meta", pages,
                     lambda b: document(b, {"Content-Type": "text/html"}, "http://127.0.0.2/a.html"))
    plain = timed("trafilatura.extract (UTF-8 text given)", pages,
                  lambda b: trafilatura.extract(decode_html(b).text, include_tables=True))
    print(f"  -> pipeline / plain trafilatura time: {pipeline / plain:.2f} (goal <= 1.0)")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--generated", type=int, default=400)
    args = parser.parse_args(argv)
    run("demo pages", demo_pages())
    run("generated report pages", generated_pages(args.generated))


if __name__ == "__main__":
    main(sys.argv[1:])
