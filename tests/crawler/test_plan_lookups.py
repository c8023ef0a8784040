"""A crawl's knowledge of the archive (validators, archived report pages, latest payloads) is asked of the
index one URL at a time; its answers must be those of loading the whole index into dicts, as the plan
did before: the latest capture that qualifies, whatever else came after it."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from archive.index.build import build_index
from archive.warc.writer import Exchange, WarcWriter
from crawler.plan import archived_copies, close_plan, known_reports, make_plan, validators_from_index


def _exchange(url: str, status: int, date: str, version: int, etag: str, modified: str) -> Exchange:
    body = (f"<html><title>2023年政府信息公开工作年度报告</title><body>{url} 第{version}版。"
            + "本机关认真贯彻落实条例。" * 20 + "</body></html>").encode() if status == 200 else b""
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
    headers += [("ETag", etag)] if etag else []
    headers += [("Last-Modified", modified)] if modified else []
    path = url.split("8000", 1)[1]
    return Exchange(url=url, method="GET", request_target=path, request_headers=[("Host", "127.0.0.1:8000")],
                    request_body=b"", status=status, reason="OK", protocol="HTTP/1.1", response_headers=headers,
                    body=body, fetched_at=date)


def _archive(root: Path) -> Path:
    """Forty URLs, each captured one to five times over three nights by runs of different roles: answers
    200 with and without validators, unchanged (same body again), 304, 404."""
    rng = random.Random(11)
    urls = [f"http://127.0.0.1:8000/zwgk/ndbg/{n}.html" for n in range(40)]
    for night in range(3):
        writer = WarcWriter(root / "warc", worker=f"night{night}")
        for url in urls:
            for attempt in range(rng.randrange(0, 3)):
                status = rng.choice((200, 200, 200, 304, 404))
                etag = f'"{night}-{attempt}"' if rng.random() < 0.5 else ""
                modified = "Wed, 01 Nov 2023 08:00:00 GMT" if rng.random() < 0.3 else ""
                role = rng.choice(("report", "candidate", "list"))
                date = f"2026-11-{10 + night}T0{attempt}:00:00.000000Z"
                writer.write(writer.exchange_records(_exchange(url, status, date, rng.randrange(2), etag, modified),
                                                     {"role": role, "run_id": f"n{night}"}))
        writer.close()
    build_index(root, progress=False, workers=1)
    return root


def _as_loaded(db: Path, sql: str) -> dict[str, tuple[object, ...]]:
    """What the plan held before: every row in capture order, a later one replacing an earlier one."""
    conn = sqlite3.connect(db)
    try:
        return {row[0]: tuple(row[1:]) for row in conn.execute(sql)}
    finally:
        conn.close()


def test_lookups_answer_what_loading_the_index_did(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    db = archive / "index.db"
    loaded_validators = {url: (etag or "", modified or "") for url, (etag, modified) in _as_loaded(
        db, "select url, etag, last_modified from captures where status = 200 and (etag <> '' or last_modified "
            "<> '') order by fetched_at, id").items()}
    # the latest 200 with a validator, even when a later 200 came without one
    assert dict(validators_from_index(archive)) == loaded_validators and len(loaded_validators) >= 15
    loaded_copies = {url: (name, offset, length) for url, (name, offset, length) in _as_loaded(
        db, "select url, warc_file, warc_offset, warc_length from captures where status = 200 and "
            "record_type = 'response' and role in ('report', 'candidate') order by fetched_at, id").items()}
    assert dict(archived_copies(archive)) == loaded_copies and len(loaded_copies) >= 15
    assert validators_from_index(archive).get("http://127.0.0.1:8000/none.html", ("", "")) == ("", "")
    reports_sql = ("select d.url, (select max(k.fetched_at) from captures k where k.url = d.url), c.seed, d.agency, "
                   "d.province from documents d join captures c on c.id = d.capture_id where d.is_report = 1 "
                   "order by c.fetched_at, c.id")
    loaded_reports = {url: tuple(v or "" for v in values) for url, values in _as_loaded(db, reports_sql).items()}
    reports = known_reports(archive)
    assert dict(reports.items()) == loaded_reports and len(reports) == len(loaded_reports) >= 15
    assert {url: reports[url] for url in loaded_reports} == loaded_reports


def test_an_incremental_plan_holds_no_copy_of_the_index(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "archive")
    plan = make_plan(archive, "incremental")
    conn = sqlite3.connect(archive / "index.db")
    payloads = dict(conn.execute("select url, payload_digest from captures where status = 200 and "
                                 "record_type = 'response' order by fetched_at, id").fetchall())
    conn.close()
    assert {url: digest for url, (digest, _date) in plan.known_digests.items()} == payloads
    # Rows indexed after the plan was made are not among its payloads (the index covered fewer bytes then)
    # but its validators and copies, asked per URL, see them: nothing was loaded at the start.
    writer = WarcWriter(archive / "warc", worker="later")
    url = "http://127.0.0.1:8000/zwgk/ndbg/new.html"
    writer.write(writer.exchange_records(_exchange(url, 200, "2026-11-20T00:00:00.000000Z", 1, '"late"', ""),
                                         {"role": "report", "run_id": "later"}))
    writer.close()
    build_index(archive, progress=False, workers=1)
    assert plan.validators.get(url) == ('"late"', "")
    assert url in plan.archived and url not in plan.known_digests
    close_plan(plan)  # at the crawl's end: the index connections closed, lookups answer "not known"
    assert plan.validators.get(url) is None and url not in plan.archived and not plan.known_reports
