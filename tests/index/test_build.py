"""Indexer pieces that a demo crawl does not reach: the per-document time limit."""

from __future__ import annotations

import time
from pathlib import Path

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


def test_the_workers_extract_a_batch_while_the_one_before_is_stored(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from archive.index import build
    from archive.index.build import build_index
    from archive.index.extraction import ExtractionPool
    from archive.index.store import IndexStore
    from tests.index.test_integrity import DOCUMENTS, rows, synthetic_archive

    archive = synthetic_archive(tmp_path / "a", pages=7)
    serial = rows(_index_copy(archive, tmp_path / "serial"), DOCUMENTS)
    events: list[str] = []
    pool_map, store_commit = ExtractionPool.map, IndexStore.commit
    monkeypatch.setattr(build, "BATCH", 3)
    monkeypatch.setattr(ExtractionPool, "map", lambda self, jobs: events.append(f"extract {len(jobs)}")
                        or pool_map(self, jobs))
    monkeypatch.setattr(IndexStore, "commit", lambda self: events.append("commit") or store_commit(self))
    report = build_index(archive, progress=False, workers=1)
    assert report.documents == 7
    assert events[:6] == ["extract 3", "extract 3", "commit", "extract 1", "commit", "commit"]
    assert rows(archive / "index.db", DOCUMENTS) == serial  # the same rows as with one batch of all seven


def _index_copy(archive, to):  # type: ignore[no-untyped-def]
    import shutil

    from archive.index.build import build_index

    shutil.copytree(archive / "warc", to / "warc")
    build_index(to, progress=False, workers=1)
    return to / "index.db"


def _page_and_file(writer, page_version: int, date: str) -> None:  # type: ignore[no-untyped-def]
    from archive.warc.writer import Exchange

    page = "http://127.0.0.1:8000/zwgk/ndbg/2024.html"
    html = trs_page(SEED1_TITLE, seed1_body() + f"\n第{page_version}版").encode("gbk")
    doc = (Path(__file__).parent.parent / "fixtures" / "attachments" / "report2023.doc").read_bytes()
    for url, body, kind, via in ((page, html, "text/html; charset=gbk", ""),
                                 ("http://127.0.0.1:8000/zwgk/ndbg/2024.doc", doc, "application/msword", page)):
        path = url.split("8000", 1)[1]
        exchange = Exchange(url=url, method="GET", request_target=path, request_headers=[("Host", "127.0.0.1:8000")],
                            request_body=b"", status=200, reason="OK", protocol="HTTP/1.1",
                            response_headers=[("Content-Type", kind), ("Content-Length", str(len(body)))],
                            body=body, fetched_at=date)
        writer.write(writer.exchange_records(exchange, {"role": "report" if not via else "attachment", "via": via,
                                                        "run_id": date}))


def test_attachments_are_relinked_only_when_their_page_has_a_newer_document(tmp_path: Path) -> None:
    import sqlite3

    from archive.index.build import build_index
    from archive.index.store import IndexStore
    from archive.warc.writer import WarcWriter

    first = WarcWriter(tmp_path / "warc", worker="a")
    _page_and_file(first, 1, "2026-11-01T00:00:00.000000Z")
    first.close()
    build_index(tmp_path, progress=False, workers=1)

    def parents() -> list[tuple[str, int | None, str]]:
        conn = sqlite3.connect(tmp_path / "index.db")
        rows = conn.execute("select d.kind, d.parent_id, c.fetched_at from documents d join captures c "
                            "on c.id = d.capture_id order by d.id").fetchall()
        conn.close()
        return rows

    page_id = 1
    assert [(kind, parent) for kind, parent, _ in parents()] == [("html", None), ("doc", page_id)]
    store = IndexStore(tmp_path / "index.db")
    before = store.conn.total_changes
    store.link_parents()
    assert store.conn.total_changes == before  # nothing changed, nothing written
    store.close()
    second = WarcWriter(tmp_path / "warc", worker="b")
    _page_and_file(second, 2, "2026-11-08T00:00:00.000000Z")  # the page edited, the file the same
    second.close()
    build_index(tmp_path, progress=False, workers=1)
    rows = parents()
    newest_page = max(i for i, (kind, _, _) in enumerate(rows, 1) if kind == "html")
    assert [parent for kind, parent, _ in rows if kind == "doc"] == [newest_page, newest_page]
