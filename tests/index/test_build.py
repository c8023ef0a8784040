"""Indexer pieces that a demo crawl does not reach: the per-document time limit."""

from __future__ import annotations

import time

from archive.index.extraction import ExtractJob, extract_job
from tests.extract.pages import SEED1_TITLE, seed1_body, trs_page


def _big_page() -> bytes:
    """A real report page made huge (its body repeated): extraction takes a while."""
    body = "\n".join([seed1_body()] * 60)
    return trs_page(SEED1_TITLE, body).encode("gbk")


def test_a_document_past_the_time_limit_is_indexed_as_timeout() -> None:
    job = ExtractJob(_big_page(), [("Content-Type", "text/html; charset=gb2312")], "http://127.0.0.2/big.html",
                     "安顺市生态环境局", "")
    started = time.perf_counter()
    slow = extract_job(job, time_limit=0.01)
    assert time.perf_counter() - started < 1.0
    assert slow.error == "timeout: extraction ran over 0.01 s"
    assert slow.kind == "html" and slow.text == "" and slow.url == "http://127.0.0.2/big.html"
    whole = extract_job(job, time_limit=120)
    assert whole.error == "" and "行政许可" in whole.text and whole.is_report


def test_progress_counts_bytes_and_documents(caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    from archive.index.progress import IndexProgress, log_sink

    progress = IndexProgress(log_sink, 2_500_000)
    progress._shown -= 60  # the last line was a minute ago
    with caplog.at_level(logging.INFO, logger="archive.index.progress"):
        progress.advance(1_000_000, 120, "nianbao-20261127-00001-host-1.warc.gz")
        progress.advance(10, 1, "nianbao-20261127-00001-host-1.warc.gz")  # within 10 s: no second line
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("indexing:")]
    assert line.startswith("indexing:  40% · 1.0 MB of 2.5 MB · 120 documents (")
    assert line.endswith("· nianbao-20261127-00001-host-1.warc.gz")
