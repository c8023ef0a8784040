"""Extraction benchmark: decode+extract documents/s and MB/s on the demo pages and a larger generated set,
side by side with plain `trafilatura.extract` and with `chardet.detect` on the same bytes; decoding
accuracy and time against chardet and charset_normalizer on the encoding corpus (tests/fixtures/encodings);
mojibake precision and recall against ftfy (tests/extract/mojibake_eval.py).

    python -m bench.extract [--generated 400] [--only corpus|decoding] [--before TREE]

Example: time the decoder of an untouched copy of the code side by side with this one, turn by turn:

    git archive HEAD | tar -x -C /tmp/before && python -m bench.extract --only decoding --before /tmp/before
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
ENCODINGS = HERE / "tests" / "fixtures" / "encodings"
# The folders scored: Chinese, UTF-8 and UTF-16/32 (Japanese and Korean files are there for other checks).
# Each maps to the codecs whose reading counts as right (GB2312's and GBK's readings differ on a few
# punctuation marks, so any member of the family is right).
SCORED = {"GB2312": ("gb2312", "gbk", "gb18030"), "Big5": ("big5", "cp950", "big5hkscs"),
          "HZ-GB-2312": ("hz",), "utf-8": ("utf-8",), "utf-8-sig": ("utf-8-sig",), "UTF-16": ("utf-16",),
          "UTF-16BE": ("utf-16-be",), "UTF-16LE": ("utf-16-le",), "UTF-32": ("utf-32",),
          "UTF-32BE": ("utf-32-be",), "UTF-32LE": ("utf-32-le",)}


def encoding_corpus(folders: Iterable[str] = SCORED) -> list[tuple[str, Path, bytes]]:
    """(folder, path, bytes) of every corpus file in `folders`."""
    return [(folder, path, path.read_bytes()) for folder in folders
            for path in sorted((ENCODINGS / folder).iterdir())]


def _right_texts(body: bytes, codecs: tuple[str, ...]) -> set[str]:
    texts = set()
    for codec in codecs:
        try:
            texts.add(body.decode(codec).lstrip("\ufeff"))
        except UnicodeDecodeError:
            continue
    return texts or {body.decode(codecs[-1], "replace").lstrip("\ufeff")}


def _read_as(body: bytes, name: str | None) -> str | None:
    try:
        return body.decode(name, "replace").lstrip("\ufeff") if name else None
    except LookupError:
        return None


NIANBAO = "nianbao decode_html: text"
BEFORE = "nianbao before the change: text"


def decoder_from(tree: Path) -> Callable[[bytes], str]:
    """`decode_html(body).text` of the `extract` package of another checkout (`tree`), imported under a name
    of its own so that both versions run in one process."""
    name = "extract_before"
    package = tree / "extract"
    spec = importlib.util.spec_from_file_location(name, package / "__init__.py",
                                                  submodule_search_locations=[str(package)])
    if spec is None or spec.loader is None or not package.is_dir():
        raise SystemExit(f"--before {tree}: no extract/ package there "
                         "(make one with `git archive HEAD | tar -x -C DIR`)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    decoding = importlib.import_module(f"{name}.decoding")
    return lambda body: decoding.decode_html(body).text


def _detectors(before: Path | None = None) -> dict[str, Callable[[bytes], str | None]]:
    """Each detector's answer: a text (names ending in "text") or an encoding name."""
    import chardet
    import charset_normalizer

    from extract.decoding import _decide, decode_html

    def normalizer(body: bytes) -> str | None:
        best = charset_normalizer.from_bytes(body).best()
        return best.encoding if best else None

    detectors: dict[str, Callable[[bytes], str | None]] = {NIANBAO: lambda body: decode_html(body).text}
    if before is not None:
        detectors[BEFORE] = decoder_from(before)
    return {**detectors, "nianbao, declarations ignored: text": lambda body: _decide(body, "", "").text,
            "chardet.detect: name": lambda body: chardet.detect(body)["encoding"],
            # The same job as ours, bytes to text: chardet's answer, then the decoding it names.
            "chardet.detect + decode: text": lambda body: _read_as(body, chardet.detect(body)["encoding"]),
            "charset_normalizer: name": normalizer}


@dataclass
class Score:
    """One detector on the corpus: files decoded right, its time, the files it got wrong."""

    right: int = 0
    n: int = 0
    seconds: float = 0.0  # sum over the files of the fastest of the passes
    ratio: float = 1.0  # its time over nianbao's
    wrong: list[str] = field(default_factory=list)


def _fastest_times(corpus: list[tuple[str, Path, bytes]], detectors: dict[str, Callable[[bytes], str | None]],
                   repeats: int) -> dict[str, list[float]]:
    """Per detector and file, the fastest of `repeats` timings, the detectors taking turns on each file:
    a load from other processes lengthens some timings, never shortens one, so the minimum is steady on a
    shared machine where whole-pass times are not."""
    fastest = {name: [float("inf")] * len(corpus) for name in detectors}
    order = list(detectors.items())
    for turn in range(repeats):
        # Each pass starts with another detector: the first to read a file after the previous one's work
        # finds colder caches.
        rotated = order[turn % len(order):] + order[:turn % len(order)]
        for i, (_folder, _path, body) in enumerate(corpus):
            for name, detect in rotated:
                start = time.perf_counter()
                detect(body)
                fastest[name][i] = min(fastest[name][i], time.perf_counter() - start)
    return fastest


def decoding_accuracy(corpus: list[tuple[str, Path, bytes]], repeats: int = 1,
                      before: Path | None = None) -> dict[str, Score]:
    """Per detector: a file is right when the text it yields equals a right reading of the bytes.

    Each detector is warmed up first (lazy imports and models). Its time is the sum over the files of the
    fastest of `repeats` timings. `before`: a checkout whose decoder is timed alongside ours."""
    detectors = _detectors(before)
    for detect in detectors.values():
        detect(corpus[0][2])
    fastest = _fastest_times(corpus, detectors, repeats)
    table = {}
    for name, detect in detectors.items():
        score = table[name] = Score(n=len(corpus), seconds=sum(fastest[name]))
        score.ratio = score.seconds / sum(fastest[NIANBAO])
        for folder, path, body in corpus:
            answer = detect(body)
            text = answer.lstrip("\ufeff") if name.endswith("text") and answer else _read_as(body, answer)
            if text in _right_texts(body, SCORED[folder]):
                score.right += 1
            else:
                score.wrong.append(f"{folder}/{path.name}")
    return table


def run_decoding(before: Path | None = None) -> None:
    """Print decoding accuracy and time on the encoding corpus, with the load average around the timing."""
    corpus = encoding_corpus()
    print(f"encoding corpus: {len(corpus)} files (Chinese, UTF-8, UTF-16/32), "
          f"{sum(len(b) for _f, _p, b in corpus) / 1e6:.2f} MB, no HTTP header; "
          "time: per file the fastest of 15 turns after a warm-up, summed over the files")
    load = os.getloadavg()[0]
    cpu = time.process_time()
    table = decoding_accuracy(corpus, repeats=15, before=before)
    print(f"  load average {load:.2f} -> {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores, "
          f"{time.process_time() - cpu:.1f} s of CPU")
    for name, score in table.items():
        print(f"  {name:38} {score.right:3}/{score.n} right {1000 * score.seconds:7.2f} ms "
              f"({score.ratio:4.2f}x nianbao's time)  wrong: {', '.join(score.wrong[:6]) or '-'}")


def run_corpus(before: Path | None = None) -> None:
    """Print decoding accuracy and time on the encoding corpus, and mojibake precision/recall vs ftfy."""
    run_decoding(before)
    from tests.extract.mojibake_eval import print_against_ftfy

    print_against_ftfy()


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
    parser.add_argument("--only", choices=["corpus", "decoding"],
                        help="corpus: only the encoding and mojibake corpora; decoding: only the encoding corpus")
    parser.add_argument("--before", type=Path, metavar="TREE",
                        help="a checkout (e.g. of HEAD, before a change) whose decoder is timed alongside ours")
    args = parser.parse_args(argv)
    if args.only == "decoding":
        run_decoding(args.before)
        return
    run_corpus(args.before)
    print("\nreport tables (bench.table_completeness):")
    from bench.table_completeness import main as table_completeness

    table_completeness()
    if args.only:
        return
    run("demo pages", demo_pages())
    run("generated report pages", generated_pages(args.generated))


if __name__ == "__main__":
    main(sys.argv[1:])
