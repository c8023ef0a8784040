"""One cluster worker's run: join (or start) the cluster run, lock, crawl claimed sites, write the records.

Called by `crawler.run.run_crawl` when the request names a Redis URL. Each worker writes
runs/RUN+WORKER.json; the worker that finds no site left writes runs/RUN.json, the run's record: every
worker, summed figures, the sites crawled again after a lease expired, the URLs scheduled again and the
hosts backed off (host → answers that paused it).
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from pathlib import Path
from typing import Any

from archive.lock import ArchiveLocked, acquire_lock, live_lock_holder, release_lock
from crawler.cluster.claims import ClusterConflict, ClusterWorker, open_run
from crawler.cluster.state import RedisGone, connect, key, mask_url
from crawler.plan import close_plan, make_plan, new_run_id
from crawler.run import (
    EXIT_FAILED,
    EXIT_LOCKED,
    EXIT_OK,
    CrawlOutcome,
    CrawlRequest,
    _now,
    _run_scrapy,
    _update_index,
    _write_run,
    run_stats,
    summary_line,
)
from crawler.settings.declared import setting

__all__ = ["cluster_settings", "run_worker", "worker_name"]

logger = logging.getLogger(__name__)


def worker_name(name: str | None) -> str:
    """The worker's name: given, or host-pid; only characters safe in a file name."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name or f"{socket.gethostname()}-{os.getpid()}")


def cluster_settings(settings: Any) -> int:
    """Settings a cluster worker needs: the shared duplicate filter, the host-token middleware and the
    download handler that re-checks a held host when the request leaves; returns
    the number of sites to claim at a time."""
    settings.set("DUPEFILTER_CLASS", "crawler.cluster.spider.SharedDupeFilter", priority="cmdline")
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["crawler.cluster.spider.HostTokenMiddleware"] = 950  # after robots.txt, before capture
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
    handlers.update(http="crawler.cluster.spider.HostGuardHandler", https="crawler.cluster.spider.HostGuardHandler")
    settings.set("DOWNLOAD_HANDLERS", handlers, priority="cmdline")
    return int(setting(settings, "NIANBAO_CLUSTER_SITES"))


def _project_settings(request: CrawlRequest) -> Any:
    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    settings = get_project_settings()
    for override, value in request.overrides.items():
        settings.set(override, value, priority="cmdline")
    return settings


def _join(request: CrawlRequest, name: str) -> ClusterWorker:
    """Connect, then join or start the cluster run (ClusterConflict, RedisGone on failure)."""
    url = request.cluster or ""
    settings = _project_settings(request)
    wait = float(setting(settings, "NIANBAO_CLUSTER_REDIS_WAIT"))
    client = connect(url)
    run_id, started = open_run(client, request.seeds, str(Path(request.archive).resolve()), request.run_name,
                               new_run_id(), wait)
    logger.info("%s cluster run %s on %s as worker %s", "started" if started else "joined", run_id,
                mask_url(url), name)
    return ClusterWorker(client, run_id, name, url, lease=float(setting(settings, "NIANBAO_CLUSTER_LEASE")),
                         wait=wait, host_delay=settings.getfloat("DOWNLOAD_DELAY"))


def run_worker(request: CrawlRequest) -> CrawlOutcome:
    """Be one worker of the cluster run named by `request.cluster` (a Redis URL)."""
    archive = Path(request.archive)
    name = worker_name(request.worker)
    holder = live_lock_holder(archive)
    if holder is not None:
        return CrawlOutcome(EXIT_LOCKED, messages=[f"nianbao crawl: {archive} is being written by run "
                                                   f"{holder.get('run_id')} (pid {holder.get('pid')})"])
    try:
        cluster = _join(request, name)
        acquire_lock(archive, cluster.run_id, f"lock.{name}")
    except (ClusterConflict, ArchiveLocked) as exc:
        logger.error("%s", exc)
        return CrawlOutcome(EXIT_LOCKED, messages=[f"nianbao crawl: {exc}"])
    except RedisGone as exc:
        return CrawlOutcome(EXIT_FAILED, messages=[f"nianbao crawl: {exc}"])
    try:
        return _crawl(request, cluster, archive)
    except RedisGone as exc:  # what was crawled is in the WARCs; `--resume` goes on from there
        logger.error("%s", exc)
        return CrawlOutcome(EXIT_FAILED, messages=[f"nianbao crawl: {exc}; the WARCs written so far are kept"])
    finally:
        release_lock(archive, f"lock.{name}")


def _crawl(request: CrawlRequest, cluster: ClusterWorker, archive: Path) -> CrawlOutcome:
    # resume: Redis was lost; the new run skips what the interrupted one captured (read from the WARCs)
    mode = "resume" if request.resume else "incremental" if request.incremental else "full"
    record: dict[str, Any] = {"id": cluster.run_id, "started": _now(), "finished": None, "mode": mode,
                              "seeds_file": str(request.seeds_path), "province": request.province or "",
                              "seeds": [], "stats": {}, "cluster": _cluster_fields(cluster)}
    record_name = f"{cluster.run_id}+{cluster.name}"
    _write_run(archive, record, record_name)
    plan = make_plan(archive, mode, cluster.run_id)
    outcome = CrawlOutcome(EXIT_OK, record)
    spider, stats, items = _run_scrapy(request, plan, outcome.messages, cluster=cluster)
    close_plan(plan)
    seeds = cluster.crawled_seeds
    record.update(seeds=[seed.__dict__ for seed in seeds], stats=run_stats(seeds, spider, stats, items),
                  found=items, finished=_now(), cluster=_cluster_fields(cluster))
    cluster.report({"pages": record["stats"]["pages_fetched"], "errors": sum(record["stats"]["errors"].values()),
                    "blocked": len(record["stats"]["blocked"]), "state": "finished"})
    outcome.messages += [m for m in (_write_run(archive, record, record_name),) if m]
    if cluster.close_run_if_done():
        outcome.messages += [m for m in (_write_run(archive, run_record(archive, cluster)),) if m]
    outcome.messages += [m for m in (_update_index(archive),) if m]
    failed = len(seeds) - record["stats"]["seeds_answered"] - len(record["stats"]["blocked"])
    outcome.messages.append(f"worker {cluster.name}: " + summary_line(record, getattr(spider, "seed_errors", {})))
    outcome.code = EXIT_FAILED if (seeds and failed > len(seeds) / 2) or record["stats"]["archive_error"] \
        else EXIT_OK
    return outcome


def _cluster_fields(cluster: ClusterWorker) -> dict[str, Any]:
    return {"run": cluster.run_id, "worker": cluster.name, "redis": mask_url(cluster.url),
            "sites_done": list(cluster.done), "reclaimed": list(cluster.reclaimed),
            "backed_off_hosts": dict(sorted(cluster.backed_off.items()))}


def run_record(archive: Path, cluster: ClusterWorker) -> dict[str, Any]:
    """The cluster run's record: its workers' records joined (a killed worker is named, without figures)."""
    records = []
    for path in sorted((archive / "runs").glob(f"{cluster.run_id}+*.json")):
        try:
            records.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            continue
    workers = sorted(cluster.call(cluster.client.hkeys, key(cluster.run_id, "workers")))
    reclaimed = cluster.call(cluster.client.hgetall, key(cluster.run_id, "reclaimed"))
    stats: dict[str, Any] = {}
    for worker_record in records:
        for name, value in worker_record.get("stats", {}).items():
            if isinstance(value, int):
                stats[name] = stats.get(name, 0) + value
            elif isinstance(value, dict):
                merged = stats.setdefault(name, {})
                for sub, count in value.items():
                    merged[sub] = merged.get(sub, 0) + count if isinstance(count, int) else count
    return {"id": cluster.run_id, "started": min((r["started"] for r in records), default=_now()),
            "finished": _now(), "mode": records[0]["mode"] if records else "full",
            "seeds": list({seed["url"]: seed for r in records for seed in r.get("seeds", [])}.values()),
            "stats": stats,
            "cluster": {"run": cluster.run_id, "workers": workers, "redis": mask_url(cluster.url),
                        "reclaimed_sites": reclaimed, "refetched_urls": cluster.refetched(),
                        "backed_off_hosts": cluster.backed_off_hosts()}}
