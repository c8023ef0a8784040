"""The reports spider as a cluster worker: its seeds come from site claims, a few sites at a time.

`ClusterReportsSpider.start()` claims a batch of sites, yields their seeds' requests, waits until the
engine has nothing of the batch left (no request scheduled, downloading or being parsed), marks the batch
done and claims the next; when every site left is claimed by others it waits for their leases, and it
ends when the run has no site left. `HostTokenMiddleware` holds back a request to a host this worker does
not hold until the host's token is free; `SharedDupeFilter` keeps one fingerprint set for the whole run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.http import Response
from twisted.internet import task

from crawler.cluster.claims import ClusterWorker
from crawler.spiders.reports import ReportsSpider
from crawler.transport import ConnectionHeadersHandler
from crawler.urls import host_key

__all__ = ["ClusterReportsSpider", "HostGuardHandler", "HostTokenMiddleware", "SharedDupeFilter"]

logger = logging.getLogger(__name__)

POLL = 0.2  # seconds between checks of the engine (batch finished?) and of a busy host's token


class ClusterReportsSpider(ReportsSpider):
    """`ReportsSpider` whose seeds are the sites this worker claims."""

    cluster: ClusterWorker
    batch_size: int = 8

    def __init__(self, *args: Any, cluster: ClusterWorker, batch_size: int = 8, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cluster = cluster
        self.batch_size = batch_size
        self._renewal: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ClusterReportsSpider:
        spider: ClusterReportsSpider = super().from_crawler(crawler, *args, **kwargs)  # type: ignore[assignment]
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        self._renewal = task.LoopingCall(self._renew)
        self._renewal.start(max(0.5, self.cluster.lease / 3), now=False)
        while True:
            batch = self.cluster.claim(self.batch_size)
            if batch is None:
                logger.info("cluster run %s: no site left", self.cluster.run_id)
                return
            if not batch:  # every site left is someone else's: wait for them, or for a lease to expire
                self._report()
                await asyncio.sleep(1.0)
                continue
            self._seeds = [seed for site in batch for seed in site.seeds]
            logger.info("claimed %d sites: %s", len(batch), ", ".join(site.key for site in batch))
            async for request in super().start():
                yield request
            await self._batch_finished()
            self.cluster.finish([site.key for site in batch])
            self._report()

    async def _batch_finished(self) -> None:
        """Wait until the engine holds no request of the batch (every request of this worker is one)."""
        engine = self.crawler.engine
        assert engine is not None
        while True:
            await asyncio.sleep(POLL)
            scheduler = engine._slot.scheduler if engine._slot else None  # Scrapy has no public view of it
            if (not engine.downloader.active and (engine.scraper.slot is None or engine.scraper.slot.is_idle())
                    and not (scheduler and scheduler.has_pending_requests())):
                return

    def _renew(self) -> None:
        try:
            self.cluster.renew()
            self._report()
        except Exception:  # a failed renewal must not stop the loop: the next one tries again
            logger.exception("renewing the cluster leases failed")

    def _report(self) -> None:
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        errors = sum(v for k, v in stats.items() if k.startswith("nianbao/errors/"))
        self.cluster.report({"pages": stats.get("downloader/response_count", 0), "errors": errors,
                             "blocked": len(self.blocked), "state": "crawling"})

    def _closed(self, spider: Any, reason: str) -> None:
        if self._renewal is not None and self._renewal.running:
            self._renewal.stop()


class HostTokenMiddleware:
    """Downloader middleware: a request to a host this worker does not hold waits for the host's token."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostTokenMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        cluster = getattr(self.crawler.spider, "cluster", None)
        if not isinstance(cluster, ClusterWorker):
            return
        host = host_key(request.url)
        request.meta["nianbao_held"] = cluster.holds(host)  # re-checked when the slot sends it
        waited = False
        while not cluster.host_token(host):
            if not waited and self.crawler.stats is not None:
                self.crawler.stats.inc_value("nianbao/cluster/host_waits")
            waited = True
            await asyncio.sleep(POLL)


class HostGuardHandler(ConnectionHeadersHandler):
    """The HTTP download handler, which runs when the download slot sends the request (after its delay):
    a request let through as its worker's own host waits for the host's token if the worker no longer
    holds the host by then (it stalled longer than its lease and another worker took the site)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.cluster_crawler = crawler

    async def download_request(self, request: Request) -> Response:
        cluster = getattr(self.cluster_crawler.spider, "cluster", None)
        if isinstance(cluster, ClusterWorker) and request.meta.get("nianbao_held"):
            host = host_key(request.url)
            if not cluster.holds(host):
                while not cluster.host_token(host):
                    await asyncio.sleep(POLL)
        return await super().download_request(request)


class SharedDupeFilter(RFPDupeFilter):
    """One fingerprint set for the whole cluster run (requests of claimed sites); local for the rest."""

    crawler: Crawler | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SharedDupeFilter:
        dupefilter: SharedDupeFilter = super().from_crawler(crawler)  # type: ignore[assignment]
        dupefilter.crawler = crawler
        return dupefilter

    def request_seen(self, request: Request) -> bool:
        cluster = getattr(self.crawler.spider, "cluster", None) if self.crawler else None
        provenance = request.meta.get("nianbao") or {}
        if isinstance(cluster, ClusterWorker) and provenance.get("seed"):
            seen = cluster.seen(self.request_fingerprint(request), provenance["seed"], request.url)
            if seen is not None:
                return seen
        return super().request_seen(request)
