"""`RunPlan`: what one crawl run knows before its first request, in one object.

`nianbao crawl` and `scrapy crawl reports` (Scrapyd's jobs; `crawler/commands/crawl.py`) make the plan in
`crawler.run.run_crawl` (run id, mode, what the archive already holds) and hand it to the spider, which
the capture middleware reads it from; a crawler built without one (tests, benchmarks) gets a default plan
from its settings. Nothing of a run travels through undeclared Scrapy settings.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings

from archive.index.known import IndexedLatest, KnownReports, latest_payloads
from archive.warc.inflate import dechunk, inflate, parse_codings
from archive.warc.reader import decode_payload, iter_captures, read_record, warc_files, warcinfo
from crawler.pages import attachment_links
from crawler.settings.declared import setting

__all__ = ["RunPlan", "archived_copies", "archived_copy", "captured_by", "close_plan", "default_plan", "known_reports",
           "make_plan", "new_run_id", "resume_chain", "run_plan", "validators_from_index"]

logger = logging.getLogger(__name__)

MODES = ("full", "incremental", "harvest", "resume")


def new_run_id() -> str:
    """Sortable, unique: UTC time to the microsecond plus a few random characters (two runs started in
    the same second — a script, a quick --resume — must still sort in the order they ran)."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + secrets.token_hex(2)


@dataclass(frozen=True)
class RunPlan:
    """One run's identity and its knowledge of the archive."""

    run_id: str = field(default_factory=new_run_id)
    mode: str = "full"
    # url → (etag, last_modified) of its latest 200 capture: conditional requests (incremental mode)
    validators: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # url → [attachment URL, link text] of the reports the interrupted harvest captured (resume mode)
    skip_urls: Mapping[str, list[list[str]]] = field(default_factory=dict)
    # url → (payload digest, WARC-Date) already archived: an unchanged payload becomes a revisit record
    known_digests: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    resumes: tuple[str, ...] = ()
    # the archive folder, and url → (WARC file, offset, length) of the latest 200 response of each report
    # page (incremental mode): a page answering 304 still has its files asked, from its archived copy's links
    archive: str = ""
    archived: Mapping[str, tuple[str, int, int]] = field(default_factory=dict)
    # url → (last asked, seed, agency, province) of every known report (incremental mode): a report no list
    # links any more is still asked, conditionally, at most every NIANBAO_RECHECK_DAYS (withdrawals)
    known_reports: Mapping[str, tuple[str, str, str, str]] = field(default_factory=dict)


def close_plan(plan: RunPlan) -> None:
    """Close the index connections the plan's lookups hold (after the crawl)."""
    for mapping in (plan.known_digests, plan.validators, plan.archived, plan.known_reports):
        close = getattr(mapping, "close", None)
        if close is not None:
            close()


def default_plan(settings: BaseSettings) -> RunPlan:
    """The plan of a crawler started without `run_crawl` (tests, benchmarks): a full crawl named by
    NIANBAO_RUN_ID, or a new id."""
    run_id = setting(settings, "NIANBAO_RUN_ID")
    return RunPlan(run_id=run_id) if run_id else RunPlan()


def run_plan(crawler: Crawler) -> RunPlan:
    """The plan of the crawler's run: its spider's, or the default one."""
    plan = getattr(crawler.spider, "plan", None)
    return plan if isinstance(plan, RunPlan) else default_plan(crawler.settings)


def make_plan(archive: Path, mode: str, run_id: str | None = None) -> RunPlan:
    """The plan of a run of `mode` over `archive`, read from its index and WARCs."""
    run_id = run_id or new_run_id()
    chain = resume_chain(archive, run_id) if mode == "resume" else []
    skip: dict[str, list[list[str]]] = {}
    if chain:
        skip = captured_by(archive, set(chain))
        logger.info("resuming runs %s: %d report/attachment URLs already captured", chain, len(skip))
    incremental = mode == "incremental"
    return RunPlan(run_id=run_id, mode=mode, known_digests=latest_payloads(archive), skip_urls=skip,
                   validators=validators_from_index(archive) if incremental else {},
                   resumes=tuple(chain), archive=str(archive),
                   archived=archived_copies(archive) if incremental else {},
                   known_reports=known_reports(archive) if incremental else {})


def validators_from_index(archive: Path) -> Mapping[str, tuple[str, str]]:
    """url → (etag, last_modified) of its latest 200 capture that had one, asked of the index per URL;
    empty when there is no index."""
    db = archive / "index.db"
    if not db.exists():
        logger.warning("no index at %s: the incremental crawl has no validators and refetches everything", db)
    return IndexedLatest(db, "etag, last_modified",
                         "status = 200 and (coalesce(etag, '') <> '' or coalesce(last_modified, '') <> '')",
                         lambda row: (row[0] or "", row[1] or ""), "validators")


def known_reports(archive: Path) -> Mapping[str, tuple[str, str, str, str]]:
    """url → (when it was last asked, its seed, agency, province) of every report document of the index
    (pages and files), asked of the index when needed; empty without an index."""
    return KnownReports(archive / "index.db")


def archived_copies(archive: Path) -> Mapping[str, tuple[str, int, int]]:
    """url → (WARC file, offset, length) of the latest 200 response of each report or candidate page the
    index holds, asked of the index per URL; empty without an index."""
    return IndexedLatest(archive / "index.db", "warc_file, warc_offset, warc_length",
                         "status = 200 and record_type = 'response' and role in ('report', 'candidate')",
                         lambda row: (row[0], int(row[1]), int(row[2] or 0)), "archived report pages")


def archived_copy(plan: RunPlan, url: str) -> tuple[bytes, str] | None:
    """(body with its content codings undone, Content-Type) of the archived copy of `url`; None when the
    plan holds none or its record cannot be read."""
    where = plan.archived.get(url)
    if where is None or not plan.archive:
        return None
    name, offset, length = where
    folder = Path(plan.archive) / "warc"
    path = folder / name if (folder / name).exists() else folder / f"{name}.open"
    try:
        _target, headers, payload = read_record(path, offset, length)
    except (OSError, StopIteration, ValueError) as exc:
        logger.warning("archived copy of %s at %s@%d cannot be read: %s", url, name, offset, exc)
        return None
    named = [(k.lower(), v) for k, v in headers]
    if any(k == "transfer-encoding" and "chunked" in v.lower() for k, v in named):  # other tools keep framing
        payload = dechunk(payload)
    decoded = inflate(payload, parse_codings(v for k, v in named if k == "content-encoding"))
    if decoded.error:
        logger.warning("archived copy of %s at %s@%d: %s", url, name, offset, decoded.error)
        return None
    return decoded.body, next((v for k, v in named if k == "content-type"), "")


def captured_by(archive: Path, run_ids: set[str]) -> dict[str, list[list[str]]]:
    """The report and attachment URLs the runs `run_ids` captured, each report with the files its archived
    copy links (read from those runs' WARC files only: their warcinfo names the run)."""
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


def resume_chain(archive: Path, current: str) -> list[str]:
    """Run ids of the interrupted harvest that run `current` resumes: the latest run before it that was
    not itself a resume, and the resumes since."""
    runs: list[dict[str, Any]] = []
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
