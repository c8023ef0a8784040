"""End to end on the demo portals: crawl (a real `nianbao crawl` process), WARC, index, search, incremental,
SIGKILL + resume. Scored against the demo's ground-truth manifest and its servers' own request logs."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive.db import connect, read_only
from archive.warc.reader import iter_captures, warc_files
from crawler.demo.server import DemoPortals, attachment_disposition

pytestmark = pytest.mark.e2e

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
        "-s", "RETRY_TIMES=2", "-s", "NIANBAO_MAX_LIST_PAGES=10", "-s", "NIANBAO_RETRY_BACKOFF=0.2",
        "-s", "NIANBAO_AGGREGATOR_HOSTS=*.gov.cn,127.0.0.*"]
PAGE_CAP = 10


def nianbao(*args: str, check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run the real `nianbao` command in its own process."""
    done = subprocess.run([sys.executable, "-m", "crawler.cli", *args], capture_output=True, text=True,
                          timeout=timeout)
    if check and done.returncode != 0:
        raise AssertionError(
            f"nianbao {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr[-4000:]}"
        )
    return done


def expected(manifest: dict[str, Any]) -> tuple[set[str], set[str]]:
    """URLs of the reachable reports and attachments, and of the distractors."""
    blocked = {site["id"] for site in manifest["sites"] if site["blocked"]}
    wanted = {doc["url"] for doc in manifest["documents"]
              if doc["role"] in ("report", "attachment") and doc["is_report"] and not doc["extra"]
              and not doc["robots_disallowed"] and doc["site"] not in blocked}
    distractors = {doc["url"] for doc in manifest["documents"] if doc["role"] == "distractor"}
    return wanted, distractors


def last_run(archive: Path) -> dict[str, Any]:
    return json.loads(sorted((archive / "runs").glob("*.json"))[-1].read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DemoPortals, Path, dict[str, Any]]]:
    archive = tmp_path_factory.mktemp("archive")
    with DemoPortals() as portals:
        seeds = portals.seeds_csv(archive.parent / "seeds.csv")
        nianbao("crawl", "--seeds", str(seeds), "--archive", str(archive), *FAST)
        yield portals, archive, last_run(archive)


def test_every_report_and_attachment_found_no_distractor_counted(
    crawled: tuple[DemoPortals, Path, dict[str, Any]],
) -> None:
    portals, archive, run = crawled
    manifest = portals.manifest()
    wanted, distractors = expected(manifest)
    found = {item["url"] for item in run["found"] if item["role"] in ("report", "attachment")}
    assert wanted - found == set(), "missed"
    assert not (found & distractors)
    with connect(archive / "index.db") as conn:
        reports = {row[0] for row in conn.execute("select url from documents where is_report = 1")}
        agencies = sorted(row[0] for row in conn.execute("select agency from agencies"))
    assert wanted - reports == set(), "reports fetched but not classified as reports"
    # one row per agency, whether reached from its own seed or through the provincial aggregator
    assert agencies == sorted(site["agency"] for site in manifest["sites"])
    assert not (reports & distractors), "a distractor counted as a report"
    assert reports <= wanted, reports - wanted
    # listed only as "…2019年政府信息公开工…": fetched as a candidate, its own page made it a report
    cut = next(d for d in manifest["documents"] if d["site"] == "modern" and d["year"] == 2019 and d["is_report"])
    [item] = [i for i in run["found"] if i["url"] == cut["url"]]
    assert item["role"] == "report" and item["is_report"] and item["title"] == cut["title"]
    blocked = [s for s in manifest["sites"] if s["blocked"]]
    assert run["stats"]["blocked"] == {site["seed"]: site["blocked"] for site in blocked}  # 瑞数 412, 加速乐 521


def test_never_fetches_disallowed_or_out_of_scope(crawled: tuple[DemoPortals, Path, dict[str, Any]]) -> None:
    portals, _archive, run = crawled
    manifest = portals.manifest()
    disallowed = {(portals.site(d["site"])["ip"], d["path"]) for d in manifest["documents"] if d["robots_disallowed"]}
    fetched = {(ip, path.split("?")[0]) for ip, _method, path, _headers, _status in portals.request_log}
    assert not (fetched & disallowed)
    for _ip, path in fetched:
        assert not path.startswith(("/search", "/calendar", "/print", "/hdjl", "/module/search")), path
    trap = [p for _ip, p in fetched if p.startswith("/zwgk/ndbg/archive/")]
    assert len(trap) == PAGE_CAP  # the endless list stops at the page cap
    assert run["stats"]["page_cap_reached"] >= 1


def _captures(archive: Path) -> list[Any]:
    return [c for path in warc_files(archive) for c in iter_captures(path)]


def test_warc_holds_every_exchange_as_received(crawled: tuple[DemoPortals, Path, dict[str, Any]]) -> None:
    portals, archive, _run = crawled
    captures = _captures(archive)
    by_url: dict[str, list[Any]] = {}
    for capture in captures:
        by_url.setdefault(capture.url, []).append(capture)
    flaky = next(d for d in portals.manifest()["documents"] if d.get("flaky"))
    assert sorted(c.status for c in by_url[flaky["url"]]) == [200, 503]  # the retried 5xx is archived too
    redirect = next(d for d in portals.manifest()["documents"] if d["status"] == 301)
    [moved] = by_url[redirect["url"]]
    assert moved.status == 301 and moved.header("Location") == redirect["location_url"]
    home = by_url[portals.url("modern", "/")][0]
    assert [v for k, v in home.headers if k.lower() == "set-cookie"] == [
        "JSESSIONID=9F2C4A1B; Path=/; HttpOnly", "lang=zh-CN; Path=/"]
    assert home.header("Content-Encoding") == "gzip" and home.payload[:2] == b"\x1f\x8b"
    assert b"<title>" in gzip.decompress(home.payload)
    chunked = by_url[portals.url("modern", "/zwgk/ndbg/index_2.html")][0]
    assert chunked.header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert int(chunked.header("Content-Length")) == len(chunked.payload)
    robots = [c for c in captures if c.url.endswith("/robots.txt")]
    assert len(robots) >= 6 and any(c.status == 404 for c in robots)
    # Raw UTF-8 and GBK file names in Content-Disposition are stored as the bytes the server sent.
    attachments = [d for d in portals.manifest()["documents"] if d["role"] == "attachment"]
    assert {d["site"] for d in attachments} >= {"trs", "hanweb"}
    for doc in attachments:
        [capture] = [c for c in by_url[doc["url"]] if c.status == 200]
        sent = b"Content-Disposition: " + attachment_disposition(doc).encode("latin-1") + b"\r\n"
        with (archive / "warc" / capture.warc_file).open("rb") as stream:
            stream.seek(capture.offset)
            record = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(stream.read(capture.length))
        assert sent in record, doc["url"]
    for capture in captures:
        assert capture.provenance.get("run_id"), capture.url


def test_request_records_carry_the_request_line(crawled: tuple[DemoPortals, Path, dict[str, Any]]) -> None:
    from warcio.archiveiterator import ArchiveIterator

    _portals, archive, _run = crawled
    lines = []
    protocols = set()
    for path in warc_files(archive):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "request":
                    lines.append(record.http_headers.protocol + " " + record.http_headers.statusline)
                if record.rec_type in ("request", "response", "revisit"):
                    protocols.add(record.rec_headers.get_header("WARC-Protocol"))
    assert protocols == {"http/1.1"}  # what the connection spoke, declared on every exchange record
    post = [line for line in lines if line.startswith("POST ")]
    assert post and "startrecord=4&endrecord=8&perpage=3" in post[0]
    assert all(" HTTP/1.1" in line for line in lines)


def test_community_tools_accept_the_warcs(crawled: tuple[DemoPortals, Path, dict[str, Any]], tmp_path: Path) -> None:
    from tests.conftest import require_program

    _portals, archive, _run = crawled
    files = [str(p) for p in warc_files(archive)]
    assert files and all(f.endswith(".warc.gz") for f in files)  # closed: nothing left .open
    warcio = require_program("warcio")
    subprocess.run([warcio, "check", *files], check=True, capture_output=True)
    subprocess.run(["gzip", "-t", *files], check=True)
    cdxj = require_program("cdxj-indexer")
    out = subprocess.run([cdxj, *files], check=True, capture_output=True, text=True).stdout
    assert out.count("\n") >= 50


def test_rebuilt_index_is_identical(crawled: tuple[DemoPortals, Path, dict[str, Any]], tmp_path: Path) -> None:
    import shutil

    _portals, archive, _run = crawled
    copy = tmp_path / "copy"
    shutil.copytree(archive, copy)
    (copy / "index.db").unlink()
    for suffix in ("-wal", "-shm"):
        (copy / f"index.db{suffix}").unlink(missing_ok=True)
    nianbao("index", "--archive", str(copy), "--quiet")

    def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
        with connect(db) as conn:
            return sorted(conn.execute(sql).fetchall(), key=repr)

    for sql in ("select run_id, url, status, fetched_at, content_type, record_type, warc_file, warc_offset, "
                "warc_length, payload_digest, etag, last_modified from captures",
                "select url, agency, province, title, year, published, kind, encoding, mojibake, is_report, "
                "report_score, text, text_simplified, extractor_version from documents"):
        assert rows(archive / "index.db", sql) == rows(copy / "index.db", sql)
    second = nianbao("index", "--archive", str(copy), "--quiet").stdout
    assert "0 WARC files indexed" in second


# Every table of the index, ids replaced by what they point at (a document by its record's place).
_DOC = "(select c.warc_file || '@' || c.warc_offset from documents x join captures c on c.id = x.capture_id " \
       "where x.id = {})"
INDEX_TABLES = {
    "captures": "select url, status, record_type, warc_file, warc_offset, warc_length, payload_digest, role, via "
                "from captures",
    "documents": "select c.warc_file, c.warc_offset, d.url, d.agency, d.province, d.title, d.year, d.published, "
                 "d.kind, d.encoding, d.mojibake, d.is_report, d.report_score, d.text, d.text_simplified, "
                 "d.extractor_version, d.error, d.tables, " + _DOC.format("d.parent_id") + ", a.agency "
                 "from documents d join captures c on c.id = d.capture_id left join agencies a on a.id = d.agency_id",
    "report_figures": "select " + _DOC.format("f.document_id") + ", section, row_label, col_label, value "
                      "from report_figures f",
    "report_checks": "select " + _DOC.format("k.document_id") + ", check_name, ok, detail from report_checks k",
    "report_sections": "select " + _DOC.format("s.document_id") + ", section, text from report_sections s",
    "report_parses": "select " + _DOC.format("p.document_id") + ", format, unplaced from report_parses p",
    "agencies": "select agency, province, city, county, url from agencies",
}


def test_reextraction_by_a_newer_extractor_equals_a_fresh_rebuild(
        crawled: tuple[DemoPortals, Path, dict[str, Any]], tmp_path: Path) -> None:
    """Every document made by an "older extractor" (its version lowered) is re-extracted on the next update:
    the index must then equal one rebuilt from scratch, every table, ids aside, and leave no orphan rows."""
    import shutil

    _portals, archive, _run = crawled
    for name in ("old", "fresh"):
        shutil.copytree(archive, tmp_path / name)
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / "fresh" / f"index.db{suffix}").unlink(missing_ok=True)
    with connect(tmp_path / "old" / "index.db") as conn:
        conn.execute("update documents set extractor_version = extractor_version - 1")
    conn.close()
    updated = nianbao("index", "--archive", str(tmp_path / "old"), "--quiet").stdout
    assert " 0 re-extracted" not in updated
    nianbao("index", "--archive", str(tmp_path / "fresh"), "--quiet")

    def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(db)
        try:
            return sorted(conn.execute(sql).fetchall(), key=repr)
        finally:
            conn.close()

    for table, sql in INDEX_TABLES.items():
        assert rows(tmp_path / "old" / "index.db", sql) == rows(tmp_path / "fresh" / "index.db", sql), table
    for table in ("report_figures", "report_checks", "report_sections", "report_parses"):
        orphans = f"select count(*) from {table} where document_id not in (select id from documents)"
        assert rows(tmp_path / "old" / "index.db", orphans) == [(0,)], table


def test_search_both_scripts_and_short_queries(crawled: tuple[DemoPortals, Path, dict[str, Any]]) -> None:
    _portals, archive, _run = crawled
    out = nianbao("search", "--archive", str(archive), "--json", "--reports-only", "行政复议").stdout
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) >= 10 and all(
        {"url", "agency", "province", "year", "title", "snippet"} <= set(r) for r in results
    )
    assert any("[行政复议]" in r["snippet"] for r in results)
    traditional = [json.loads(line) for line in nianbao("search", "--archive", str(archive), "--json", "--limit", "50",
                                                          "應急管理局").stdout.splitlines()]
    agencies = {r["agency"] for r in traditional}
    assert {"德清县应急管理局", "遂溪縣應急管理局"} <= agencies  # one query, both scripts
    short = [json.loads(line) for line in nianbao("search", "--archive", str(archive), "--json", "--province", "浙江省",
                                                    "复议").stdout.splitlines()]
    assert short and all(r["province"] == "浙江省" for r in short)


def test_incremental_run_refetches_lists_and_picks_up_the_new_report(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    with DemoPortals() as portals:
        seeds = portals.seeds_csv(tmp_path / "seeds.csv")
        nianbao("crawl", "--seeds", str(seeds), "--archive", str(archive), *FAST)
        first_files = set(warc_files(archive))
        extra_url = portals.publish_extra_report()
        portals.request_log.clear()
        output = nianbao("crawl", "--seeds", str(seeds), "--archive", str(archive), "--incremental", *FAST)
        sites = portals.manifest()["sites"]
        blocked = sum(1 for site in sites if site["blocked"])
        assert blocked == 2  # 瑞数 and 加速乐
        assert re.search(rf"progress: pages \d+ .* reports \d+ .* agencies {len(sites)}/{len(sites)} "
                         rf"\({blocked} blocked\)", output.stderr)
        second = [c for path in warc_files(archive) if path not in first_files for c in iter_captures(path)]
        log = list(portals.request_log)
    wanted, _ = expected(portals.manifest())
    by_url = {c.url: c for c in second}
    assert extra_url in by_url and by_url[extra_url].status == 200
    unchanged = [by_url[url] for url in wanted if url in by_url]
    assert unchanged, "reports should have been revalidated"
    for capture in unchanged:  # no new full response for an unchanged report
        assert capture.status == 304 or capture.record_type == "revisit", (capture.url, capture.status)
    conditional = [h for _ip, _m, _p, h, _s in log if "If-None-Match" in h]
    assert conditional
    assert any(p == "/zwgk/zfxxgknb/" for _ip, _m, p, _h, _s in log)  # lists are fetched again
    record = last_run(archive)
    assert record["mode"] == "incremental"
    assert record["stats"]["new"] == 1 and record["stats"]["unchanged"] >= len(unchanged) - 1


def test_sigkill_mid_record_then_verify_repair_and_resume(tmp_path: Path) -> None:
    uninterrupted = tmp_path / "whole"
    archive = tmp_path / "killed"
    with DemoPortals() as portals:
        seeds = portals.seeds_csv(tmp_path / "seeds.csv")
        nianbao("crawl", "--seeds", str(seeds), "--archive", str(uninterrupted), *FAST)
        killed = nianbao("crawl", "--seeds", str(seeds), "--archive", str(archive), *FAST,
                         "-s", "NIANBAO_FAULT_KILL_AFTER_BYTES=120000", check=False)
        assert killed.returncode == -9
        [open_file] = warc_files(archive)
        assert open_file.name.endswith(".open")
        before = {c.record_id: c.payload_digest for c in iter_captures(open_file)}
        check = nianbao("verify", "--archive", str(archive), check=False)
        assert check.returncode == 1 and "bytes after the last complete record" in check.stderr + check.stdout
        nianbao("verify", "--archive", str(archive), "--repair")
        [repaired] = warc_files(archive)
        after = {c.record_id: c.payload_digest for c in iter_captures(repaired)}
        assert after.items() <= before.items() and len(after) >= len(before) - 1
        assert nianbao("verify", "--archive", str(archive)).returncode == 0
        nianbao("crawl", "--seeds", str(seeds), "--archive", str(archive), "--resume", *FAST)

    def reports(folder: Path) -> set[str]:
        return {c.url for path in warc_files(folder) for c in iter_captures(path)
                if c.status == 200 and c.provenance.get("role") in ("report", "attachment")}

    assert reports(archive) == reports(uninterrupted)
    assert last_run(archive)["stats"]["resume_skipped"] > 0


def test_report_statistics_in_the_index_and_export(crawled: tuple[DemoPortals, Path, dict[str, Any]]) -> None:
    portals, archive, _run = crawled
    manifest = portals.manifest()
    with connect(archive / "index.db") as conn:
        checks = conn.execute("select check_name, ok, detail from report_checks").fetchall()
        assert checks and all(ok for _name, ok, _detail in checks), [c for c in checks if not c[1]]
        formats = dict(
            conn.execute("select d.url, p.format from report_parses p join documents d on d.id = p.document_id")
        )
        for doc in manifest["documents"]:
            if doc["url"] not in formats or not doc.get("format"):
                continue
            assert formats[doc["url"]] == doc["format"], doc["url"]
            for key, value in (doc.get("figures") or {}).items():
                row, column = key.split(".")
                section = "二" if row in ("规章", "行政规范性文件", "规范性文件", "行政许可", "行政处罚") else "三"
                if row == "本年新收":
                    row = "一、本年新收政府信息公开申请数量"
                elif row == "办理结果总计":
                    row = "（七）总计"
                elif row == "行政复议":
                    section, row = "四", "行政复议"
                got = conn.execute("select value from report_figures f join documents d on d.id = f.document_id "
                                   "where d.url = ? and f.section = ? and f.row_label = ? and f.col_label = ?",
                                   (doc["url"], section, row, column)).fetchall()
                assert got and got[0][0] == value, (doc["url"], key, got, value)
        assert {fmt for fmt in formats.values()} >= {"2021", "2019", "pre2019"}
    out = nianbao("export", "--archive", str(archive), "--figures").stdout
    lines = out.strip().splitlines()
    assert lines[0].startswith("document_id,url,agency") and len(lines) - 1 == len(formats)


def test_closed_files_have_manifests_and_records_read_by_offset(
    crawled: tuple[DemoPortals, Path, dict[str, Any]],
) -> None:
    from archive.warc.reader import read_record

    _portals, archive, _run = crawled
    for path in warc_files(archive):
        manifest = json.loads(path.with_name(path.name + ".manifest.json").read_text(encoding="utf-8"))
        assert manifest["bytes"] == path.stat().st_size and manifest["records"] > 100
    with connect(archive / "index.db") as conn:
        rows = conn.execute("select url, warc_file, warc_offset, warc_length, payload_digest from captures "
                            "where record_type = 'response' and status = 200 limit 50").fetchall()
    from archive.warc.writer import sha1_digest

    assert len(rows) >= 40
    for url, warc_file, offset, length, digest in rows:
        assert length > 0
        for bounded in (length, 0):  # one read of exactly the record's member, or from the offset on
            got_url, _headers, payload = read_record(archive / "warc" / warc_file, offset, bounded)
            assert got_url == url and sha1_digest(payload) == digest


def test_index_kept_current_during_the_crawl(tmp_path: Path) -> None:
    """Live updates index the open WARC file while the crawl runs; the result equals a rebuild from scratch."""
    import shutil
    import time

    archive = tmp_path / "live"
    slow = [*FAST, "-s", "DOWNLOAD_DELAY=0.3", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
            "-s", "NIANBAO_INDEX_INTERVAL=0.5"]
    seen_during_crawl = 0
    with DemoPortals() as portals:
        seeds = portals.seeds_csv(tmp_path / "seeds.csv")
        crawl = subprocess.Popen([sys.executable, "-m", "crawler.cli", "crawl", "--seeds", str(seeds),
                                  "--archive", str(archive), *slow],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            while crawl.poll() is None:
                time.sleep(0.2)
                open_files = [p.name.removesuffix(".open") for p in (archive / "warc").glob("*.warc.gz.open")]
                if not open_files or not (archive / "index.db").exists():
                    continue
                with read_only(archive / 'index.db', timeout=30) as conn:
                    try:
                        seen_during_crawl = max(seen_during_crawl, conn.execute(
                            "select count(*) from documents d join captures c on c.id = d.capture_id "
                            f"where c.warc_file in ({','.join('?' * len(open_files))})", open_files).fetchone()[0])
                    except sqlite3.OperationalError:  # tables not created yet
                        continue
            _out, err = crawl.communicate(timeout=300)
        finally:
            if crawl.poll() is None:
                crawl.kill()
    assert crawl.returncode == 0, err[-3000:]
    assert seen_during_crawl > 0, "nothing of the open WARC file was indexed while the crawl ran"
    assert last_run(archive)["stats"]["live_index_updates"] >= 2

    copy = tmp_path / "rebuilt"
    shutil.copytree(archive / "warc", copy / "warc")
    shutil.copytree(archive / "runs", copy / "runs")
    nianbao("index", "--archive", str(copy), "--quiet")

    def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
        with connect(db) as conn:
            return sorted(conn.execute(sql).fetchall(), key=repr)

    for sql in (("select url, status, record_type, warc_file, warc_offset, warc_length, payload_digest, via, role "
                 "from captures"),
                "select url, title, year, kind, is_report, text from documents",
                "select name, size, records from warc_files"):
        live, rebuilt = rows(archive / "index.db", sql), rows(copy / "index.db", sql)
        assert live == rebuilt and live, sql


def test_plain_scrapy_crawl_leaves_a_complete_index(tmp_path: Path) -> None:
    """`scrapy crawl reports` (no `nianbao` wrapper): WARCs written and the index made by the live-index
    extension's last update when the spider closes."""
    archive = tmp_path / "scrapy"
    root = Path(__file__).resolve().parent.parent
    with DemoPortals() as portals:
        seeds = portals.seeds_csv(tmp_path / "seeds.csv")
        done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "reports", "-s", f"NIANBAO_SEEDS={seeds}",
                               "-s", f"NIANBAO_ARCHIVE={archive}", "-s", "NIANBAO_RUN_ID=scrapy-run", *FAST],
                              cwd=root, capture_output=True, text=True, timeout=300, check=False)
        manifest = portals.manifest()
    assert done.returncode == 0, done.stderr[-3000:]
    wanted, _ = expected(manifest)
    with connect(archive / "index.db") as conn:
        reports = {row[0] for row in conn.execute("select url from documents where is_report = 1")}
        files = {row[0] for row in conn.execute("select name from warc_files")}
    assert wanted <= reports
    assert files == {p.name for p in warc_files(archive)}
