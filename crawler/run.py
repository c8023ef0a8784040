"""`run_crawl`: one crawl run into an archive folder — lock, run id, modes, Scrapy, run record, index update.

Modes: `full` (default), `incremental` (conditional requests for reports and attachments already
captured; list pages always refetched), `harvest` (a province), `resume` (restart from the seeds,
refetch lists, skip report and attachment URLs the interrupted harvest already captured — read from
the WARCs themselves, which a SIGKILL leaves readable).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import sqlite3
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from archive.index.known import latest_payloads
from archive.lock import ArchiveLocked, acquire_lock, live_lock_holder, release_lock
from archive.warc.reader import iter_captures, warc_files
from crawler.seeds import Seed

__all__ = ["ArchiveLocked", "acquire_lock", "live_lock_holder", "release_lock", "run_crawl"]

logger = logging.getLogger(__name__)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id() -> str:
    """Sortable, unique: UTC time to the microsecond plus a few random characters (two runs started in
    the same second — a script, a quick --resume — must still sort in the order they ran)."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(2)


def _validators_from_index(archive: Path) -> dict[str, tuple[str, str]]:
    """url → (etag, last_modified) of the latest 200 capture, from the index; {} when there is none."""
    db = archive / "index.db"
    if not db.exists():
        logger.warning("no index at %s: the incremental crawl has no validators and refetches everything", db)
        return {}
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            rows = conn.execute("select url, etag, last_modified from captures where status = 200 "
                                "order by fetched_at").fetchall()
    except sqlite3.Error as exc:
        logger.warning("could not read validators from %s (%s): full crawl", db, exc)
        return {}
    return {url: (etag or "", last_modified or "") for url, etag, last_modified in rows if etag or last_modified}


def _captured_by(archive: Path, run_ids: set[str]) -> dict[str, list[list[str]]]:
    """The report and attachment URLs the runs `run_ids` captured, each report with the files its archived
    copy links (read from those runs' WARC files only: their warcinfo names the run)."""
    from archive.warc.reader import decode_payload, warcinfo
    from crawler.spiders.reports import attachment_links

    captured: dict[str, list[list[str]]] = {}
    for path in warc_files(archive):
        if warcinfo(path).get("isPartOf") not in run_ids:
            continue
        for capture in iter_captures(path):
            role = capture.provenance.get("role")
            if (capture.status == 200 and capture.record_type == "response"
                    and capture.provenance.get("run_id") in run_ids and role in ("report", "candidate", "attachment")):
                captured[capture.url] = (attachment_links(decode_payload(capture), capture.header("Content-Type"),
                                                          capture.url) if role != "attachment" else [])
    return captured


def _resume_chain(archive: Path, current: str) -> list[str]:
    """Run ids of the interrupted harvest that run `current` resumes: the latest run before it that was
    not itself a resume, and the resumes since."""
    runs = []
    for path in sorted((archive / "runs").glob("*.json")):
        try:
            runs.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            continue
    chain: list[str] = []
    for run in reversed(runs):
        if run["id"] == current:
            continue
        chain.append(run["id"])
        if run.get("mode") != "resume":
            break
    return chain


def _write_run(archive: Path, record: Mapping[str, Any]) -> None:
    runs = archive / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    tmp = runs / f".{record['id']}.json.tmp"
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, runs / f"{record['id']}.json")


def run_crawl(*, seeds: list[Seed], seeds_path: Path, archive: Path, province: str | None = None,
              incremental: bool = False, resume: bool = False, overrides: Mapping[str, str] | None = None,
              loglevel: str = "INFO") -> int:
    """Crawl `seeds` into `archive`; returns the exit code (0 ok, 1 most seeds failed, 3 locked)."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.spiders.reports import ReportsSpider

    archive = Path(archive)
    archive.mkdir(parents=True, exist_ok=True)
    run_id = new_run_id()
    mode = "resume" if resume else "incremental" if incremental else "harvest" if province else "full"
    try:
        acquire_lock(archive, run_id)
    except ArchiveLocked as exc:
        logger.error("%s", exc)
        print(f"nianbao crawl: {exc}")
        return 3
    record: dict[str, Any] = {"id": run_id, "started": _now(), "finished": None, "mode": mode,
                              "seeds_file": str(seeds_path), "province": province or "",
                              "seeds": [seed.__dict__ for seed in seeds], "stats": {}}
    _write_run(archive, record)
    try:
        settings = get_project_settings()
        settings.set("LOG_LEVEL", loglevel, priority="cmdline")
        settings.set("NIANBAO_ARCHIVE", str(archive), priority="cmdline")
        settings.set("NIANBAO_RUN_ID", run_id, priority="cmdline")
        settings.set("NIANBAO_MODE", mode, priority="cmdline")
        settings.set("LOG_FILE_APPEND", True, priority="cmdline")
        chain: list[str] = _resume_chain(archive, run_id) if resume else []
        settings.set("NIANBAO_KNOWN_DIGESTS", latest_payloads(archive), priority="cmdline")
        if resume:
            captured = _captured_by(archive, set(chain))
            logger.info("resuming runs %s: %d report/attachment URLs already captured", chain, len(captured))
            settings.set("NIANBAO_SKIP_URLS", captured, priority="cmdline")
            record["resumes"] = chain
        if incremental:
            settings.set("NIANBAO_VALIDATORS", _validators_from_index(archive), priority="cmdline")
        for name, value in (overrides or {}).items():
            settings.set(name, value, priority="cmdline")
        if "USER_AGENT" not in (overrides or {}):
            from crawler import __version__

            contact = settings.get("NIANBAO_CONTACT_URL") or "https://example.org/nianbao"
            settings.set("USER_AGENT", f"nianbao/{__version__} (+{contact}; annual-report archiving crawler)",
                         priority="cmdline")
        if not settings.getbool("ROBOTSTXT_OBEY"):
            logger.warning("ROBOTSTXT_OBEY is off: robots.txt will NOT be respected on any site of this run")
            print("nianbao crawl: WARNING: robots.txt is not obeyed in this run (ROBOTSTXT_OBEY=False)",
                  file=sys.stderr)
        settings.set("LOG_INSTALL_ROOT_HANDLER", True, priority="cmdline")
        process = CrawlerProcess(settings)
        crawler = process.create_crawler(ReportsSpider)
        items: list[dict[str, Any]] = []

        def collect(item: Mapping[str, Any], **_: Any) -> None:
            items.append(dict(item))

        crawler.signals.connect(collect, signal=signals.item_scraped, weak=False)
        process.crawl(crawler, seeds=seeds)
        process.start()
        spider = crawler.spider
        stats = {k: v for k, v in (crawler.stats.get_stats() if crawler.stats else {}).items()}
        seeds_ok = len(getattr(spider, "seed_ok", set()))
        blocked = dict(getattr(spider, "blocked", {}))
        record["stats"] = {
            "seeds": len(seeds), "seeds_answered": seeds_ok, "blocked": blocked,
            "pages_fetched": stats.get("downloader/response_count", 0),
            "reports_found": sum(1 for i in items if i["role"] == "report"),
            "attachments_found": sum(1 for i in items if i["role"] == "attachment"),
            "new": stats.get("nianbao/new_documents", 0), "changed": stats.get("nianbao/changed_documents", 0),
            "unchanged": stats.get("nianbao/unchanged", 0) + stats.get("nianbao/unchanged_documents", 0),
            "revisits": stats.get("nianbao/warc/revisits", 0),
            "errors": {k.split("/", 2)[-1]: v for k, v in stats.items() if k.startswith("nianbao/errors/")},
            "http_errors": {k.rsplit("/", 1)[-1]: v for k, v in stats.items() if k.startswith("nianbao/http/")},
            "page_cap_reached": stats.get("nianbao/page_cap_reached", 0),
            "resume_skipped": stats.get("nianbao/resume_skipped", 0),
            "live_index_updates": stats.get("nianbao/index/live_updates", 0),
            "finish_reason": stats.get("finish_reason", ""),
        }
        record["found"] = items
        record["finished"] = _now()
        _write_run(archive, record)
        _update_index(archive)
        failed = len(seeds) - seeds_ok - len(blocked)
        logger.info("run %s finished: %s", run_id, json.dumps(record["stats"], ensure_ascii=False))
        return 1 if seeds and failed > len(seeds) / 2 else 0
    finally:
        release_lock(archive)


def _update_index(archive: Path) -> None:
    """Bring ARCHIVE/index.db up to date through the same code path as `nianbao index`."""
    try:
        from archive.index.build import build_index
    except ImportError:
        return
    try:
        build_index(archive, progress=False)
    except Exception:  # the WARCs are the truth: a failed index update is logged, `nianbao index` redoes it
        logger.exception("index update failed; run `nianbao index --archive %s`", archive)
