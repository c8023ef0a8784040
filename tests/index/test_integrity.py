"""The index stays equal to what the WARCs say: after an interrupted `nianbao index`, after re-extraction
by a newer extractor, and when an older index holds duplicate rows."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from archive.db import connect, read_only
from archive.index.build import build_index
from archive.index.schema import index_text
from archive.warc.writer import Exchange, WarcWriter, warc_date

ROOT = Path(__file__).resolve().parents[2]
PAGES = 800


def _page(n: int) -> bytes:
    title = f"第{n}局{2000 + n % 24}年政府信息公开工作年度报告"
    body = "".join(
        f"<p>一、总体情况 第{n}局 第{i}段：全年主动公开政府信息{n + i}条，依申请公开{i}件。</p>" for i in range(12)
    )
    return f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>{body}</body></html>".encode()


def synthetic_archive(folder: Path, pages: int = PAGES) -> Path:
    """One WARC file of `pages` report pages, written by nianbao's writer."""
    writer = WarcWriter(folder / "warc", worker="test-1")
    for n in range(pages):
        url = f"http://127.0.0.2/zwgk/ndbg/t{n}.html"
        body = _page(n)
        exchange = Exchange(url=url, method="GET", request_target=url[len("http://127.0.0.2"):],
                            request_headers=[("Host", "127.0.0.2")], request_body=b"", status=200, reason="OK",
                            protocol="HTTP/1.1", response_headers=[("Content-Type", "text/html; charset=utf-8"),
                                                                   ("Content-Length", str(len(body)))],
                            body=body, fetched_at=warc_date())
        provenance = {"seed": "http://127.0.0.2/", "agency": f"第{n}局", "province": "某省", "via":
                      "http://127.0.0.2/zwgk/ndbg/", "hop_path": "LL", "role": "report", "run_id": "r1"}
        writer.write(writer.exchange_records(exchange, provenance))
    writer.close()
    return folder


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with read_only(db) as conn:
        return sorted(conn.execute(sql).fetchall(), key=repr)


CAPTURES = "select url, warc_file, warc_offset, warc_length, payload_digest, status from captures"
DOCUMENTS = ("select c.warc_offset, d.url, d.title, d.year, d.kind, d.is_report, d.text, d.agency, d.error "
             "from documents d join captures c on c.id = d.capture_id")


def test_an_interrupted_index_resumes_without_duplicates(tmp_path: Path) -> None:
    archive = synthetic_archive(tmp_path / "a")
    fresh = tmp_path / "fresh"
    shutil.copytree(archive, fresh)
    build_index(fresh, progress=False, workers=1)
    child = subprocess.Popen([sys.executable, "-m", "crawler.cli", "index", "--archive", str(archive),
                              "--workers", "1", "--quiet"], cwd=ROOT)
    db = archive / "index.db"
    try:
        deadline = time.monotonic() + 120
        stored = 0
        while time.monotonic() < deadline and child.poll() is None:
            try:
                with read_only(db, timeout=0.05) as conn:
                    stored = conn.execute("select count(*) from captures").fetchone()[0]
            except sqlite3.Error:
                stored = 0
            if 200 <= stored < PAGES:
                break
            time.sleep(0.02)
        assert child.poll() is None and 200 <= stored < PAGES, "the index finished before it could be killed"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait()
    build_index(archive, progress=False, workers=1)
    assert rows(db, CAPTURES) == rows(fresh / "index.db", CAPTURES)
    assert rows(db, DOCUMENTS) == rows(fresh / "index.db", DOCUMENTS)
    assert rows(db, "select count(*), count(distinct warc_offset) from captures") == [(PAGES, PAGES)]


def test_duplicate_rows_of_an_older_index_are_repaired_on_the_next_update(tmp_path: Path) -> None:
    archive = synthetic_archive(tmp_path / "a", pages=30)
    build_index(archive, progress=False, workers=1)
    db = archive / "index.db"
    expected = rows(db, DOCUMENTS)
    with connect(db) as conn:  # a schema-2 index with what the interrupted-index bug left: 10 captures twice
        conn.execute("update meta set value = '2' where key = 'schema_version'")
        conn.execute("insert into captures (run_id, url, status, fetched_at, content_type, record_type, warc_file, "
                     "warc_offset, warc_length, payload_digest) select run_id, url, status, fetched_at, content_type, "
                     "record_type, warc_file, warc_offset, warc_length, payload_digest from captures "
                     "order by id limit 10")
        conn.execute("insert into documents (capture_id, url, title, year, kind, is_report, text, agency, error, "
                     "extractor_version) select c2.id, d.url, d.title, d.year, d.kind, d.is_report, d.text, d.agency, "
                     "d.error, d.extractor_version from documents d join captures c on c.id = d.capture_id "
                     "join captures c2 on c2.warc_offset = c.warc_offset and c2.id > c.id")
        for doc_id, title, text in conn.execute("select id, title, text from documents where id > 30").fetchall():
            index_text(conn, doc_id, title, text)  # as the indexer did for the copies
    assert len(rows(db, DOCUMENTS)) == 40
    build_index(archive, progress=False, workers=1)
    assert rows(db, DOCUMENTS) == expected
    assert rows(db, "select count(*) from captures") == [(30,)]
    with connect(db) as conn:  # the full-text indexes agree with the documents left
        conn.execute("insert into documents_fts(documents_fts) values ('integrity-check')")


def test_index_rebuild_starts_from_an_empty_index(tmp_path: Path) -> None:
    archive = synthetic_archive(tmp_path / "a", pages=12)
    build_index(archive, progress=False, workers=1)
    db = archive / "index.db"
    expected = rows(db, DOCUMENTS)
    with connect(db) as conn:  # a row no WARC record backs
        conn.execute("insert into captures (url, warc_file, warc_offset) values ('http://127.0.0.9/x', 'gone', 0)")
    done = subprocess.run([sys.executable, "-m", "crawler.cli", "index", "--archive", str(archive), "--rebuild",
                           "--quiet", "--workers", "1"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 WARC files indexed, 0 already indexed; 12 captures, 12 documents" in done.stdout
    assert rows(db, DOCUMENTS) == expected and rows(db, "select count(*) from captures") == [(12,)]
