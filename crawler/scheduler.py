"""The scheduler: Scrapy's, with retries held back by an exponential back-off outside the downloader.

Scrapy's RetryMiddleware sends a retry at once. Waiting inside a downloader middleware (as nianbao
did) keeps the request active: 16 waiting retries fill every download slot and the whole crawl stalls
(10,000 refusing seeds: 50 attempted in 90 s). Here a retry is kept aside until its time, and every
other request goes on meanwhile. A retry waits NIANBAO_RETRY_BACKOFF × 2^(attempt−1) seconds (at most
NIANBAO_RETRY_BACKOFF_MAX); it is sent at the engine's next scheduling pass after that, which comes
with the next answer or, on an idle crawl, within five seconds.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import time
from typing import Any, Self

from scrapy import Request
from scrapy.core.scheduler import Scheduler
from scrapy.crawler import Crawler

from crawler.settings.declared import setting

__all__ = ["BackoffScheduler"]

logger = logging.getLogger(__name__)


class BackoffScheduler(Scheduler):
    """`SCHEDULER`: Scrapy's scheduler plus a heap of retries waiting for their back-off to pass."""

    backoff: float = 0.0
    backoff_max: float = 0.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: list[tuple[float, int, Request]] = []  # (due, order, request)
        self._order = itertools.count()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        scheduler = super().from_crawler(crawler)
        scheduler.backoff = setting(crawler.settings, "NIANBAO_RETRY_BACKOFF")
        scheduler.backoff_max = setting(crawler.settings, "NIANBAO_RETRY_BACKOFF_MAX")
        return scheduler

    def enqueue_request(self, request: Request) -> bool:
        attempt = int(request.meta.get("retry_times", 0))
        if attempt and self.backoff > 0 and request.meta.get("nianbao_backoff_for") != attempt:
            delay = min(self.backoff_max, self.backoff * 2 ** (attempt - 1))
            request.meta["nianbao_backoff_for"] = attempt
            heapq.heappush(self._waiting, (time.monotonic() + delay, next(self._order), request))
            if self.stats is not None:
                self.stats.inc_value("nianbao/retries_delayed")
            logger.debug("retry %d of %s in %.1f s", attempt, request.url, delay)
            return True
        return super().enqueue_request(request)

    def next_request(self) -> Request | None:
        now = time.monotonic()
        while self._waiting and self._waiting[0][0] <= now:
            super().enqueue_request(heapq.heappop(self._waiting)[2])
        return super().next_request()

    def __len__(self) -> int:
        return super().__len__() + len(self._waiting)

    def close(self, reason: str) -> Any:
        if self._waiting:
            logger.info("%d retries were still waiting for their back-off when the crawl closed (%s)",
                        len(self._waiting), reason)
        return super().close(reason)
