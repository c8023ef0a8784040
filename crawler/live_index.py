"""Keep ARCHIVE/index.db current while the crawl runs.

Every `NIANBAO_INDEX_INTERVAL` seconds, if the previous update has finished, a child process runs
`build_index` (the code path of `nianbao index`) over what the WARC writer has committed so far:
extraction stays off Scrapy's event loop and rows go in batches. When the spider closes, one last
update indexes the rest.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from crawler.settings.declared import setting
from crawler.signals import warc_committed

__all__ = ["LiveIndex"]

logger = logging.getLogger(__name__)


class LiveIndex:
    """Scrapy extension: periodic index updates in a child process."""

    def __init__(self, crawler: Crawler, archive: str, interval: float, workers: int) -> None:
        self.crawler = crawler
        self.archive = archive
        self.interval = interval
        self.workers = workers
        self.child: subprocess.Popen[bytes] | None = None
        self._loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LiveIndex:
        settings = crawler.settings
        interval = setting(settings, "NIANBAO_INDEX_INTERVAL")
        archive = setting(settings, "NIANBAO_ARCHIVE")
        if interval <= 0 or not archive or not setting(settings, "NIANBAO_WARC_ENABLED"):
            raise NotConfigured("live indexing is off (NIANBAO_INDEX_INTERVAL=0 or no archive)")
        workers = setting(settings, "NIANBAO_INDEX_WORKERS") or max(1, (os.cpu_count() or 2) - 1)
        extension = cls(crawler, archive, interval, workers)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self, spider: Any) -> None:
        self._loop = task.LoopingCall(self.tick)
        self._loop.start(self.interval, now=False)

    def _committed(self) -> dict[str, int]:
        """How far the crawl's open WARC files are written, as the capture middleware answers."""
        committed: dict[str, int] = {}
        for _receiver, answer in self.crawler.signals.send_catch_log(warc_committed):
            if isinstance(answer, dict):
                committed.update(answer)
        return committed

    def tick(self) -> None:
        """Start an update unless one is still running."""
        if self.child is not None:
            code = self.child.poll()
            if code is None:
                return
            self._finished(code)
        self.child = self._start(self.workers)

    def _start(self, workers: int) -> subprocess.Popen[bytes]:
        committed = self._committed()
        command = [sys.executable, "-m", "archive.index.live", self.archive,
                   *(f"{name}={size}" for name, size in committed.items()), "--workers", str(workers)]
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        logger.debug("live index update started (pid %d): %s", child.pid, committed)
        return child

    def _finished(self, code: int) -> None:
        stats = self.crawler.stats
        if stats is not None:
            stats.inc_value("nianbao/index/live_updates" if code == 0 else "nianbao/index/live_failures")
        if code != 0:
            logger.warning("a live index update failed (exit %d); the final update after the crawl redoes it", code)
        self.child = None

    def closed(self, spider: Any) -> None:
        """Let a running update finish, then index what the crawl wrote since (so `scrapy crawl` leaves a
        complete index too; `nianbao crawl`'s own final update then finds nothing left but the run record)."""
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.child is not None:
            self._finished(self.child.wait())
        self.child = self._start(os.cpu_count() or 1)  # the crawl is over: every core
        self._finished(self.child.wait())
