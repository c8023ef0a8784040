"""The reports spider as a cluster worker: its seeds come from site claims, a few sites at a time.

`ClusterReportsSpider.start()` claims up to NIANBAO_CLUSTER_SITES sites, yields their seeds' requests, and
as soon as one of them has nothing left in the worker (no request scheduled, downloading or being parsed)
marks it done and claims another, so a slow site never leaves the worker idle while sites are waiting;
when every site left is claimed by others it waits for their leases, and it ends when the run has no site
left. `HostTokenMiddleware` holds back a request to a host this worker does not hold until the host's token
is free, and pauses a host for the whole cluster when it answers 429/503 or an anti-bot challenge
(`crawler.cluster.backoff`); `HostGuardHandler` checks both again when the request leaves its download
slot; `SharedDupeFilter` keeps one fingerprint set for the whole run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter
from scrapy.http import Response
from twisted.internet import task

from crawler.cluster.backoff import backoff_of
from crawler.cluster.claims import ClusterWorker, Site
from crawler.middlewares import HostBackoff
from crawler.scheduler import BackoffScheduler, scheduler_of, seed_of
from crawler.seeds import Seed
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
        self._starting: list[Seed] | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ClusterReportsSpider:
        spider: ClusterReportsSpider = super().from_crawler(crawler, *args, **kwargs)  # type: ignore[assignment]
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        self._renewal = task.LoopingCall(self._renew)
        self._renewal.start(max(0.5, self.cluster.lease / 3), now=False)
        active: list[str] = []  # claimed sites with requests left in this worker
        next_claim = 0.0  # monotonic time of the next claim: at once when a site finished, else every second
        while True:
            if len(active) < self.batch_size and time.monotonic() >= next_claim:
                next_claim = time.monotonic() + 1.0
                batch = self.cluster.claim(self.batch_size - len(active))
                if batch is None and not active:
                    logger.info("cluster run %s: no site left", self.cluster.run_id)
                    return
                async for request in self._start_sites(batch or []):
                    yield request
                active += [site.key for site in batch or []]
                self._report()
            await asyncio.sleep(POLL if active else 1.0)  # idle: every site left is someone else's
            finished = self._finished(active)
            if finished:
                self.cluster.finish(finished)
                active = [site_key for site_key in active if site_key not in finished]
                next_claim = 0.0
                self._report()

    def seeds(self) -> list[Seed]:
        """The seeds of every site this worker holds now (the private-address guard lets their hosts'
        robots.txt through); while `ReportsSpider.start()` reads them, the seeds of the sites just claimed."""
        if self._starting is not None:
            return self._starting
        return [seed for site in self.cluster.sites.values() for seed in site.seeds]

    async def _start_sites(self, sites: list[Site]) -> AsyncIterator[Any]:
        """The seed requests of newly claimed sites."""
        if not sites:
            return
        logger.info("claimed %d sites: %s", len(sites), ", ".join(site.key for site in sites))
        self._starting = [seed for site in sites for seed in site.seeds]
        try:
            async for request in super().start():
                self._starting = None  # read when its first request was made
                yield request
        finally:
            self._starting = None

    def _finished(self, active: list[str]) -> list[str]:
        """The sites of `active` that have no request left in this worker: none scheduled (or waiting for a
        back-off), downloading or being parsed. Without `BackoffScheduler` (it counts requests per seed),
        only a worker with nothing left at all has finished its sites."""
        engine = self.crawler.engine
        assert engine is not None
        slot = engine._slot  # Scrapy has no public view of the scheduler or the requests in progress
        if slot is None:
            return []
        if not isinstance(slot.scheduler, BackoffScheduler):
            idle = (not engine.downloader.active and (engine.scraper.slot is None or engine.scraper.slot.is_idle())
                    and not slot.scheduler.has_pending_requests())
            return list(active) if idle else []
        seeds = [*slot.scheduler.pending_seeds, *(seed_of(request) for request in slot.inprogress)]
        busy = {self.cluster.seed_sites.get(seed) for seed in seeds}
        return [site_key for site_key in active if site_key not in busy]

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


class HostTokenMiddleware(HostBackoff):
    """Downloader middleware: a request to a host this worker does not hold waits for the host's token; a
    request to a backed-off host goes back to the scheduler until the back-off ends; an answer that asks
    for a back-off (429, 503, an anti-bot challenge) pauses its host for every worker."""

    CAP = "NIANBAO_CLUSTER_BACKOFF_MAX"

    async def process_request(self, request: Request) -> Request | None:
        cluster = getattr(self.crawler.spider, "cluster", None)
        if not isinstance(cluster, ClusterWorker):
            return None
        host = host_key(request.url)
        request.meta["nianbao_held"] = cluster.holds(host)  # re-checked when the slot sends it
        waited = False
        while not cluster.host_token(host):
            pause = cluster.backoff_left(host)
            scheduler = scheduler_of(self.crawler)
            # a robots.txt request is not the scheduler's (the middleware awaits it): it waits here
            if pause > 0 and scheduler is not None and request.meta.get("nianbao"):
                scheduler.pause_host(host, time.monotonic() + pause)
                self._count("nianbao/cluster/backoff_deferred")
                return request.replace(dont_filter=True)  # it passed the duplicate filter already
            if not waited:
                self._count("nianbao/cluster/host_waits")
            waited = True
            await asyncio.sleep(POLL)
        if not request.meta["nianbao_held"]:
            request.meta["nianbao_token_at"] = time.monotonic()
        return None

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        cluster = getattr(self.crawler.spider, "cluster", None)
        if not isinstance(cluster, ClusterWorker):
            return response
        backoff = backoff_of(request, response, self.base, self.cap)
        if backoff is not None:
            host = host_key(request.url)
            seconds = cluster.back_off(host, backoff.seconds, backoff.reason)
            scheduler = scheduler_of(self.crawler)
            if scheduler is not None:
                scheduler.pause_host(host, time.monotonic() + seconds)
            self._count("nianbao/cluster/backoffs")
            logger.warning("%s answered %s: no worker sends it anything for %.1f s", host, backoff.reason, seconds)
        return response

    def _count(self, name: str) -> None:
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value(name)


class HostGuardHandler(ConnectionHeadersHandler):
    """The HTTP download handler, which runs when the download slot sends the request (after its delay):
    a request let through as its worker's own host waits for the host's token if the worker no longer
    holds the host by then (it stalled longer than its lease and another worker took the site); a request
    to a borrowed host takes the host's token again when it sat in the slot so long (a busy or stalled
    worker) that the token would lapse less than half a delay after it leaves; no request leaves while
    its host is backed off (the back-off may have begun while it sat in the slot); and two requests to one
    host leave at least the least download delay apart (what the slot allows: half the delay when
    randomised), counted from the later of the previous request's start here and its answer (from now
    while it has no answer), so requests that waited here together, or that a stalled event loop let out
    late, do not reach the host in a burst."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.cluster_crawler = crawler
        self.spacing = 0.5 if crawler.settings.getbool("RANDOMIZE_DOWNLOAD_DELAY") else 1.0
        self._next_send: dict[str, float] = {}  # host key → monotonic time the next request may leave
        self._unanswered: dict[str, int] = {}  # host key → requests sent from here and not answered yet

    async def download_request(self, request: Request) -> Response:
        cluster = getattr(self.cluster_crawler.spider, "cluster", None)
        if not isinstance(cluster, ClusterWorker):
            return await super().download_request(request)
        await self._wait_to_send(cluster, request)
        host = host_key(request.url)
        self._unanswered[host] = self._unanswered.get(host, 0) + 1
        try:
            return await super().download_request(request)
        finally:
            # a request leaves when its connection is up and the event loop gets to it, later than this
            # handler ran (much later on a busy machine): the next one is booked after its answer too
            self._unanswered[host] -= 1
            self._reserve(host, cluster.host_delay * self.spacing, after=time.monotonic())

    async def _wait_to_send(self, cluster: ClusterWorker, request: Request) -> None:
        host = host_key(request.url)
        while True:
            while (pause := cluster.backoff_left(host)) > 0:
                self._count("nianbao/cluster/backoff_waits")
                await asyncio.sleep(pause)
            if self._token_lapsing(cluster, request) or (request.meta.get("nianbao_held") and not cluster.holds(host)):
                while not cluster.host_token(host):  # refused while the host is backed off, too
                    await asyncio.sleep(POLL)
                request.meta.update(nianbao_held=False, nianbao_token_at=time.monotonic())
            wait = self._reserve(host, cluster.host_delay * self.spacing)
            if wait <= 0:
                return
            self._count("nianbao/cluster/sends_spaced")
            await asyncio.sleep(wait)
            if cluster.backoff_left(host) <= 0 and not self._token_lapsing(cluster, request):
                return

    def _reserve(self, host: str, spacing: float, after: float | None = None) -> float:
        """Book the next send to `host` (no sooner than `spacing` after the last one booked, or after
        monotonic time `after`: an answer); the seconds to wait for this one (none with `after`)."""
        now = time.monotonic()
        if after is not None:
            self._next_send[host] = max(self._next_send.get(host, 0.0), after + spacing)
            return 0.0
        at = max(now, self._next_send.get(host, 0.0))
        if self._unanswered.get(host):  # the one under way may leave only now (a stalled event loop)
            at = max(at, now + spacing)
        self._next_send[host] = at + spacing
        return at - now

    def _count(self, name: str) -> None:
        if self.cluster_crawler.stats is not None:
            self.cluster_crawler.stats.inc_value(name)

    def _token_lapsing(self, cluster: ClusterWorker, request: Request) -> bool:
        """Whether a borrowed host's token, taken for `request` before the slot, ends within half a host
        delay: the next worker's request could then follow this one closer than one worker sends them."""
        taken = request.meta.get("nianbao_token_at")
        if taken is None or time.monotonic() - taken <= 1.5 * cluster.host_delay:
            return False
        self._count("nianbao/cluster/tokens_taken_again")
        return True


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
