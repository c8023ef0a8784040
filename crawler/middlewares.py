"""Downloader middlewares: the private-address guard.

A crawler that follows links from the open web must not be steered into an intranet: requests to
private, loopback or link-local addresses are refused unless the request descends from a seed that is
itself on such an address (the demo portals and tests run on 127.0.0.x).
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.settings.declared import setting
from crawler.urls import is_private_host

__all__ = ["PrivateAddressGuard", "RetryBackoff"]

logger = logging.getLogger(__name__)


class PrivateAddressGuard:
    """Refuse requests to private/loopback/link-local hosts unless their seed is on one too."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    def _seed_hosts(self) -> set[str]:
        spider = self.crawler.spider
        seeds = spider.seeds() if spider is not None and hasattr(spider, "seeds") else []
        return {urlsplit(seed.url).hostname or "" for seed in seeds}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressGuard:
        if setting(crawler.settings, "NIANBAO_ALLOW_PRIVATE_ADDRESSES"):
            raise NotConfigured("NIANBAO_ALLOW_PRIVATE_ADDRESSES is on: private addresses allowed")
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = urlsplit(request.url).hostname or ""
        if not is_private_host(host):
            return None
        seed = (request.meta.get("nianbao") or {}).get("seed", "")
        seed_host = urlsplit(seed).hostname or ""
        if seed_host and is_private_host(seed_host):
            return None
        if not seed and host in self._seed_hosts():  # robots.txt and other requests without provenance
            return None
        logger.warning("refused %s: %s is a private/loopback address and its seed %s is not "
                       "(set NIANBAO_ALLOW_PRIVATE_ADDRESSES=True to allow)", request.url, host, seed or "-")
        self.crawler.stats.inc_value("nianbao/refused/private_address")
        raise IgnoreRequest(f"private address {host}")


class RetryBackoff:
    """Exponential back-off for retried requests (Scrapy's RetryMiddleware retries at once).

    A retry waits NIANBAO_RETRY_BACKOFF × 2^(attempt−1) seconds (capped at NIANBAO_RETRY_BACKOFF_MAX)
    before it is sent; 0 turns it off.
    """

    def __init__(self, base: float, cap: float) -> None:
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryBackoff:
        base = setting(crawler.settings, "NIANBAO_RETRY_BACKOFF")
        if base <= 0:
            raise NotConfigured("NIANBAO_RETRY_BACKOFF is 0: retries are sent at once")
        return cls(base, setting(crawler.settings, "NIANBAO_RETRY_BACKOFF_MAX"))

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        attempt = int(request.meta.get("retry_times", 0))
        if attempt:
            delay = min(self.cap, self.base * 2 ** (attempt - 1))
            logger.debug("retry %d of %s after %.1f s", attempt, request.url, delay)
            await asyncio.sleep(delay)
        return None
