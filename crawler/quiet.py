"""Log hygiene: a site that does not answer is one warning line, not a traceback.

Scrapy's robots.txt middleware logs a failed robots.txt download at ERROR with its traceback, once
per host; with thousands of unreachable seeds the terminal drowns. The crawl log already records
each failed fetch with its Heritrix code, so the traceback is dropped and the line kept, as a warning.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

__all__ = ["NetworkErrorsWithoutTracebacks"]

_NOISY = ("scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry")


class _DropTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info or record.levelno >= logging.ERROR:
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class NetworkErrorsWithoutTracebacks:
    """Scrapy extension: installs the filter on Scrapy's robots.txt and retry loggers, then steps aside."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NetworkErrorsWithoutTracebacks:
        for name in _NOISY:
            logger = logging.getLogger(name)
            if not any(isinstance(f, _DropTraceback) for f in logger.filters):
                logger.addFilter(_DropTraceback())
        raise NotConfigured  # nothing to keep running: the filter stays installed
