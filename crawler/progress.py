"""Progress of a crawl: a live line on a terminal, periodic log lines otherwise.

Shows pages fetched, reports and attachments found, seeds answered (and blocked) of all, errors and the
page rate. Enabled by default (`NIANBAO_PROGRESS_INTERVAL` seconds, 0 turns it off).
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from twisted.internet import task

from crawler.settings.declared import setting

__all__ = ["Progress"]

logger = logging.getLogger(__name__)


class Progress:
    """Scrapy extension printing the crawl's progress."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.tty = sys.stderr.isatty()
        self.started = time.monotonic()
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = setting(crawler.settings, "NIANBAO_PROGRESS_INTERVAL")
        extension = cls(crawler, interval)
        if interval > 0:
            crawler.signals.connect(extension.opened, signal=signals.spider_opened)
            crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self._loop = task.LoopingCall(self.show)
        self._loop.start(self.interval if not self.tty else 1.0, now=False)

    def line(self) -> str:
        """The progress figures as one line."""
        stats = self.crawler.stats.get_stats() if self.crawler.stats else {}
        spider = self.crawler.spider
        seeds = len(spider.seeds()) if spider is not None and hasattr(spider, "seeds") else 0
        answered = len(getattr(spider, "seed_ok", ()))
        blocked = len(getattr(spider, "blocked", {}))
        pages = stats.get("response_received_count", 0)
        errors = sum(v for k, v in stats.items() if k.startswith(("nianbao/errors/", "nianbao/http/")))
        rate = pages / max(time.monotonic() - self.started, 1e-6)
        return (f"pages {pages} ({rate:.1f}/s) · reports {stats.get('nianbao/found/report', 0)} · "
                f"files {stats.get('nianbao/found/attachment', 0)} · agencies {answered + blocked}/{seeds}"
                f"{f' ({blocked} blocked)' if blocked else ''} · errors {errors}")

    def show(self) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K" + self.line())
            sys.stderr.flush()
        elif time.monotonic() - self.started >= self.interval:
            logger.info("progress: %s", self.line())

    def closed(self, spider: Any) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.tty:
            sys.stderr.write("\r\033[K" + self.line() + "\n")
        logger.info("progress: %s", self.line())
