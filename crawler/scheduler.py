"""The scheduler: Scrapy's, with retries held back by an exponential back-off outside the downloader,
and requests to a paused host held back until the pause ends.

Scrapy's RetryMiddleware sends a retry at once. Waiting inside a downloader middleware (as nianbao
did) keeps the request active: 16 waiting retries fill every download slot and the whole crawl stalls
(10,000 refusing seeds: 50 attempted in 90 s). Here a retry is kept aside until its time, and every
other request goes on meanwhile. A retry waits NIANBAO_RETRY_BACKOFF × 2^(attempt−1) seconds (at most
NIANBAO_RETRY_BACKOFF_MAX); it is sent at the engine's next scheduling pass after that, which comes
with the next answer or, on an idle crawl, within five seconds.

A host can be paused (`pause_host`: a cluster worker does it when the host answered 429/503 or an
anti-bot challenge, here or on another worker): its requests are kept aside the same way until the pause
ends, so they wait without filling the download slots. The scheduler also counts its requests per seed
(`pending_seeds`), so a cluster worker sees when a site has nothing left here.
"""

from __future__ import annotations

import collections
import heapq
import itertools
import logging
import time
from typing import Any, Self

from scrapy import Request
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler

from crawler.settings.declared import setting
from crawler.urls import host_key

__all__ = ["BackoffScheduler", "scheduler_of", "seed_of"]

logger = logging.getLogger(__name__)


def seed_of(request: Request) -> str:
    """The seed URL a request was made for ('' for a request without the spider's provenance)."""
    return str((request.meta.get("nianbao") or {}).get("seed", ""))


class BackoffScheduler(Scheduler):
    """`SCHEDULER`: Scrapy's scheduler plus a heap of requests waiting for a retry back-off or a host pause."""

    backoff: float = 0.0
    backoff_max: float = 0.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: list[tuple[float, int, Request]] = []  # (due, order, request)
        self._order = itertools.count()
        self._paused: dict[str, float] = {}  # host key → monotonic time its pause ends
        self.pending_seeds: collections.Counter[str] = collections.Counter()  # seed URL → requests held here

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        scheduler = super().from_crawler(crawler)
        scheduler.backoff = setting(crawler.settings, "NIANBAO_RETRY_BACKOFF")
        scheduler.backoff_max = setting(crawler.settings, "NIANBAO_RETRY_BACKOFF_MAX")
        return scheduler

    def pause_host(self, host: str, until: float) -> None:
        """Send no request to `host` (a `host_key`) before monotonic time `until`."""
        self._paused[host] = max(until, self._paused.get(host, 0.0))

    def paused_until(self, host: str) -> float:
        """The monotonic time the pause of `host` ends (0.0: not paused now)."""
        until = self._paused.get(host, 0.0)
        if until and until <= time.monotonic():
            del self._paused[host]
            return 0.0
        return until

    def enqueue_request(self, request: Request) -> bool:
        attempt = int(request.meta.get("retry_times", 0))
        if attempt and self.backoff > 0 and request.meta.get("nianbao_backoff_for") != attempt:
            delay = min(self.backoff_max, self.backoff * 2 ** (attempt - 1))
            request.meta["nianbao_backoff_for"] = attempt
            self._hold(request, time.monotonic() + delay)
            if self.stats is not None:
                self.stats.inc_value("nianbao/retries_delayed")
            logger.debug("retry %d of %s in %.1f s", attempt, request.url, delay)
            self.pending_seeds[seed_of(request)] += 1
            return True
        queued = super().enqueue_request(request)
        if queued:
            self.pending_seeds[seed_of(request)] += 1
        return queued

    def _hold(self, request: Request, due: float) -> None:
        heapq.heappush(self._waiting, (due, next(self._order), request))

    def next_request(self) -> Request | None:
        now = time.monotonic()
        while self._waiting and self._waiting[0][0] <= now:
            due = heapq.heappop(self._waiting)[2]
            if not self._held_for_pause(due) and not super().enqueue_request(due):
                self._count_out(due)
        while (request := super().next_request()) is not None:
            if not self._held_for_pause(request):
                self._count_out(request)
                return request
        return None

    def _held_for_pause(self, request: Request) -> bool:
        """Keep `request` aside while its host is paused; it already passed the duplicate filter, so it
        comes back marked `dont_filter`."""
        until = self.paused_until(host_key(request.url))
        if not until:
            return False
        self._hold(request if request.dont_filter else request.replace(dont_filter=True), until)
        if self.stats is not None:
            self.stats.inc_value("nianbao/host_pause_waits")
        return True

    def _count_out(self, request: Request) -> None:
        seed = seed_of(request)
        self.pending_seeds[seed] -= 1
        if self.pending_seeds[seed] <= 0:
            del self.pending_seeds[seed]

    def __len__(self) -> int:
        return super().__len__() + len(self._waiting)

    def close(self, reason: str) -> Any:
        if self._waiting:
            logger.info("%d retries were still waiting for their back-off when the crawl closed (%s)",
                        len(self._waiting), reason)
        return super().close(reason)


def scheduler_of(crawler: Crawler) -> BackoffScheduler | None:
    """The running crawl's scheduler when it is ours (Scrapy has no public view of it)."""
    engine = crawler.engine
    scheduler = engine._slot.scheduler if engine and engine._slot else None
    return scheduler if isinstance(scheduler, BackoffScheduler) else None
