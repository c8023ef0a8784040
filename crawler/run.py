"""`run_crawl`: one crawl run into an archive folder — lock, plan, Scrapy, run record, index update.

Modes: `full` (default), `incremental` (conditional requests for reports and attachments already
captured; list pages always refetched), `harvest` (a province), `resume` (restart from the seeds,
refetch lists, skip report and attachment URLs the interrupted harvest already captured — read from
the WARCs themselves, which a SIGKILL leaves readable). The library never prints: what the user should
read comes back in `CrawlOutcome.messages`.

With `cluster` (a Redis URL) the process is one worker of a cluster run (`crawler.cluster`): it joins the
active run or starts it, takes its own lock (ARCHIVE/lock.WORKER), crawls the sites it claims and writes
its own run record (runs/RUN+WORKER.json); the worker that finds the run finished writes runs/RUN.json,
naming every worker.

`nianbao crawl` and `scrapy crawl reports` (what Scrapyd runs: `crawler/commands/crawl.py`) both come
here. What the flags say can also be said with settings (`-s`, or Scrapyd's `setting=`): NIANBAO_MODE,
NIANBAO_CLUSTER, NIANBAO_CLUSTER_WORKER and NIANBAO_RUN_ID (a single run's id, or the cluster run); a
flag wins over its setting.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from archive.atomic import write_atomic
from archive.index.build import build_index
from archive.lock import ArchiveLocked, acquire_lock, live_worker_locks, release_lock
from crawler.plan import RunPlan, close_plan, make_plan, new_run_id
from crawler.seeds import Seed
from crawler.settings.validate import check_overrides

__all__ = ["CrawlOutcome", "CrawlRequest", "checked_request", "new_run_id", "resolve_request", "run_crawl"]

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_LOCKED = 0, 1, 2, 3
_MODE_FLAGS: dict[str, dict[str, bool]] = {"full": {}, "incremental": {"incremental": True},
                                           "resume": {"resume": True}}
_REQUEST_SETTINGS = {"NIANBAO_MODE", "NIANBAO_CLUSTER", "NIANBAO_CLUSTER_WORKER"}  # become the request's fields


@dataclass(frozen=True)
class CrawlRequest:
    """What the user asked for: seeds, archive, mode flags, setting overrides."""

    seeds: list[Seed]
    seeds_path: Path
    archive: Path
    province: str | None = None
    incremental: bool = False
    resume: bool = False
    overrides: Mapping[str, str] = field(default_factory=dict)
    loglevel: str = "INFO"
    cluster: str | None = None  # Redis URL of a cluster run
    worker: str | None = None  # this worker's name in the cluster run (default host-pid)
    run_name: str | None = None  # the cluster run to start or join (default: the active one, or a new id)

    @property
    def mode(self) -> str:
        return "resume" if self.resume else "incremental" if self.incremental else \
            "harvest" if self.province else "full"


@dataclass
class CrawlOutcome:
    """The exit code (0 ok, 1 most seeds failed, 3 locked), the run record, and lines for the user."""

    code: int
    record: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _write_run(archive: Path, record: Mapping[str, Any], name: str = "") -> str:
    """Write DIR/runs/NAME.json (NAME: the run id) atomically; '' or why it could not be written (a full disk)."""
    runs = archive / "runs"
    path = runs / f"{name or record['id']}.json"
    try:
        runs.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(record, ensure_ascii=False, indent=1, default=str).encode("utf-8"))
    except OSError as exc:
        logger.error("could not write the run record %s: %s", path, exc)
        return f"nianbao crawl: could not write the run record in {runs} ({exc.strerror or exc})"
    return ""


def resolve_request(request: CrawlRequest) -> CrawlRequest:
    """The request with what its settings ask for and its flags do not: NIANBAO_MODE, NIANBAO_CLUSTER,
    NIANBAO_CLUSTER_WORKER, and NIANBAO_RUN_ID as the cluster run's name (a flag wins). The first three
    leave the overrides: they are not Scrapy's business, and the Redis URL may hold a password."""
    given = {name: value.strip() for name, value in request.overrides.items() if isinstance(value, str)}
    changes: dict[str, Any] = {}
    if not (request.incremental or request.resume):
        changes.update(_MODE_FLAGS.get(given.get("NIANBAO_MODE", ""), {}))
    for name, attribute in (("NIANBAO_CLUSTER", "cluster"), ("NIANBAO_CLUSTER_WORKER", "worker")):
        if given.get(name) and getattr(request, attribute) is None:
            changes[attribute] = given[name]
    if (changes.get("cluster") or request.cluster) and given.get("NIANBAO_RUN_ID") and request.run_name is None:
        changes["run_name"] = given["NIANBAO_RUN_ID"]
    overrides = {name: value for name, value in request.overrides.items() if name not in _REQUEST_SETTINGS}
    return dataclasses.replace(request, overrides=overrides, **changes)


def checked_request(request: CrawlRequest) -> tuple[CrawlRequest, list[str]]:
    """The resolved request, and what is wrong with its settings, one line each (as `nianbao crawl -s`
    says it)."""
    problems = check_overrides(dict(request.overrides))
    if problems:
        return request, problems
    request = resolve_request(request)
    if request.worker and not request.cluster:
        problems.append("a worker name (--worker, NIANBAO_CLUSTER_WORKER) needs a cluster "
                        "(--cluster or NIANBAO_CLUSTER=redis://HOST:PORT/DB)")
    return request, problems


def run_crawl(request: CrawlRequest) -> CrawlOutcome:
    """Crawl the request's seeds into its archive; see `CrawlOutcome` for the result."""
    request, problems = checked_request(request)
    if problems:
        logger.error("invalid settings: %s", "; ".join(problems))
        return CrawlOutcome(EXIT_USAGE, messages=[f"nianbao crawl: invalid -s: {'; '.join(problems)}"])
    archive = Path(request.archive)
    archive.mkdir(parents=True, exist_ok=True)
    if request.cluster:
        from crawler.cluster.worker import run_worker

        return run_worker(request)
    run_id = str(request.overrides.get("NIANBAO_RUN_ID", "")).strip() or new_run_id()
    refused = _lock(archive, run_id)
    if refused is not None:
        return refused
    try:
        return _crawl_locked(request, archive, run_id)
    finally:
        release_lock(archive)


def _lock(archive: Path, run_id: str) -> CrawlOutcome | None:
    """Take DIR/lock for run `run_id`; None, or the outcome of a refusal (another crawl writes there)."""
    try:
        workers = live_worker_locks(archive)
        if workers:
            raise ArchiveLocked(f"{archive} is being written by cluster run {workers[0].get('run_id')} "
                                f"({len(workers)} worker(s) here); join it with --cluster, or wait for it")
        acquire_lock(archive, run_id)
    except ArchiveLocked as exc:
        logger.error("%s", exc)
        return CrawlOutcome(EXIT_LOCKED, messages=[f"nianbao crawl: {exc}"])
    return None


def _crawl_locked(request: CrawlRequest, archive: Path, run_id: str) -> CrawlOutcome:
    """The run itself, under the archive lock: run record, plan, Scrapy, figures, index update."""
    record: dict[str, Any] = {"id": run_id, "started": _now(), "finished": None, "mode": request.mode,
                              "seeds_file": str(request.seeds_path), "province": request.province or "",
                              "seeds": [seed.__dict__ for seed in request.seeds], "stats": {}}
    _write_run(archive, record)
    plan = make_plan(archive, request.mode, run_id)
    if plan.resumes:
        record["resumes"] = list(plan.resumes)
    outcome = CrawlOutcome(EXIT_OK, record)
    spider, stats, items = _run_scrapy(request, plan, outcome.messages)
    close_plan(plan)
    record["stats"] = run_stats(request.seeds, spider, stats, items)
    record["found"] = items
    record["finished"] = _now()
    outcome.messages += [m for m in (_write_run(archive, record), _stop_reason(record, archive),
                                     _update_index(archive)) if m]
    logger.debug("run %s finished: %s", run_id, json.dumps(record["stats"], ensure_ascii=False))
    failed = len(request.seeds) - record["stats"]["seeds_answered"] - len(record["stats"]["blocked"])
    outcome.messages.append(summary_line(record, getattr(spider, "seed_errors", {})))
    outcome.code = EXIT_FAILED if (request.seeds and failed > len(request.seeds) / 2) or \
        record["stats"]["archive_error"] else EXIT_OK
    return outcome


def _run_scrapy(request: CrawlRequest, plan: RunPlan, messages: list[str],
                cluster: Any = None) -> tuple[Any, dict[str, Any], list[dict[str, Any]]]:
    """Run the reports spider under the plan (as a cluster worker when `cluster` is given: a
    `crawler.cluster.claims.ClusterWorker`); (spider, stats, items found)."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    from crawler.spiders.reports import ReportsSpider

    settings = crawl_settings(request, messages)
    spider_class: type[ReportsSpider] = ReportsSpider
    kwargs: dict[str, Any] = {"seeds": request.seeds, "plan": plan}
    if cluster is not None:
        from crawler.cluster.spider import ClusterReportsSpider
        from crawler.cluster.worker import cluster_settings

        spider_class, kwargs["seeds"] = ClusterReportsSpider, []
        kwargs.update(cluster=cluster, batch_size=cluster_settings(settings))
    process = CrawlerProcess(settings)
    # Scrapy leaves the root logger at NOTSET, so every page's "Crawled (200)" DEBUG record is built and then
    # dropped by the handler; at the run's level it is never built.
    logging.getLogger().setLevel(settings.get("LOG_LEVEL") or "INFO")
    crawler = process.create_crawler(spider_class)
    items: list[dict[str, Any]] = []

    def collect(item: Mapping[str, Any], **_: Any) -> None:
        items.append(dict(item))

    crawler.signals.connect(collect, signal=signals.item_scraped, weak=False)
    process.crawl(crawler, **kwargs)
    process.start()
    return crawler.spider, dict(crawler.stats.get_stats() if crawler.stats else {}), items


def _stop_reason(record: Mapping[str, Any], archive: Path) -> str:
    """What to do when the crawl was stopped by the archive rather than by the sites."""
    if record["stats"].get("archive_error") != "disk-full":
        return ""
    return (f"nianbao crawl: the disk holding {archive} is full; the crawl stopped. Free space, then run "
            f"`nianbao verify --archive {archive} --repair` and `nianbao crawl ... --resume`")


def summary_line(record: Mapping[str, Any], seed_errors: Mapping[str, str]) -> str:
    """One line for the end of a run: what was found, and which seeds failed and why."""
    stats = record["stats"]
    seeds, answered, blocked = stats["seeds"], stats["seeds_answered"], len(stats["blocked"])
    failed = seeds - answered - blocked
    line = (f"run {record['id']}: {stats['reports_found']} reports, {stats['attachments_found']} attachments, "
            f"{stats['pages_fetched']} pages; {answered} of {seeds} seeds answered"
            + (f", {blocked} blocked by anti-bot appliances" if blocked else ""))
    if failed > 0:
        causes = [f"{seed} ({why})" for seed, why in sorted(seed_errors.items())[:5]]
        if len(causes) < failed:
            causes.append(f"{failed - len(causes)} more without an answer before the crawl ended"
                          if not causes else f"and {failed - len(causes)} more")
        line += f". {failed} of {seeds} seeds failed: {', '.join(causes)}"
    return line


def crawl_settings(request: CrawlRequest, messages: list[str]) -> Any:
    """The project's settings with the request's archive, log level and overrides applied."""
    from scrapy.utils.project import get_project_settings

    from crawler import __version__
    from crawler.settings.declared import setting

    settings = get_project_settings()
    settings.set("LOG_LEVEL", request.loglevel, priority="cmdline")
    settings.set("NIANBAO_ARCHIVE", str(request.archive), priority="cmdline")
    settings.set("LOG_FILE_APPEND", True, priority="cmdline")
    for name, value in request.overrides.items():
        settings.set(name, value, priority="cmdline")
    if "USER_AGENT" not in request.overrides:
        contact = setting(settings, "NIANBAO_CONTACT_URL")
        settings.set("USER_AGENT", f"nianbao/{__version__} (+{contact}; annual-report archiving crawler)",
                     priority="cmdline")
    if not settings.getbool("ROBOTSTXT_OBEY"):
        logger.warning("ROBOTSTXT_OBEY is off: robots.txt will NOT be respected on any site of this run")
        messages.append("nianbao crawl: WARNING: robots.txt is not obeyed in this run (ROBOTSTXT_OBEY=False)")
    settings.set("LOG_INSTALL_ROOT_HANDLER", True, priority="cmdline")
    return settings


def run_stats(seeds: list[Seed], spider: Any, stats: Mapping[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """The run record's summary of Scrapy's stats and the spider's findings."""
    return {
        "seeds": len(seeds), "seeds_answered": len(getattr(spider, "seed_ok", set())),
        "blocked": dict(getattr(spider, "blocked", {})),
        "pages_fetched": stats.get("downloader/response_count", 0),
        "reports_found": sum(1 for i in items if i["role"] == "report"),
        "attachments_found": sum(1 for i in items if i["role"] == "attachment"),
        "new": stats.get("nianbao/new_documents", 0), "changed": stats.get("nianbao/changed_documents", 0),
        "unchanged": stats.get("nianbao/unchanged", 0) + stats.get("nianbao/unchanged_documents", 0),
        "revisits": stats.get("nianbao/warc/revisits", 0),
        "errors": {k.split("/", 2)[-1]: v for k, v in stats.items() if k.startswith("nianbao/errors/")},
        "http_errors": {k.rsplit("/", 1)[-1]: v for k, v in stats.items() if k.startswith("nianbao/http/")},
        "page_cap_reached": stats.get("nianbao/page_cap_reached", 0),
        "seed_cap_reached": stats.get("nianbao/seed_cap_reached", 0),
        "links_cut": stats.get("nianbao/links_cut", 0),
        "host_backoffs": stats.get("nianbao/host_backoffs", 0),
        "resume_skipped": stats.get("nianbao/resume_skipped", 0),
        "live_index_updates": stats.get("nianbao/index/live_updates", 0),
        "finish_reason": stats.get("finish_reason", ""),
        "archive_error": stats.get("nianbao/archive_error", ""),
    }


def _update_index(archive: Path) -> str:
    """Bring ARCHIVE/index.db up to date through the same code path as `nianbao index`; '' or why not."""
    try:
        build_index(archive, progress=False)
    except (OSError, sqlite3.OperationalError) as exc:  # a full disk: nothing to debug, something to do
        logger.error("index update failed: %s", exc)
        return f"nianbao crawl: the index could not be updated ({exc}); run `nianbao index --archive {archive}`"
    except Exception:  # the WARCs are the truth: a failed index update is logged, `nianbao index` redoes it
        logger.exception("index update failed; run `nianbao index --archive %s`", archive)
        return f"nianbao crawl: the index update failed; run `nianbao index --archive {archive}`"
    return ""
