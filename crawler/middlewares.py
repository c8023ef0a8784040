"""Downloader middlewares: the private-address guard.

A crawler that follows links from the open web must not be steered into an intranet: requests to
private, loopback or link-local addresses are refused unless the request descends from a seed that is
itself on such an address (the demo portals and tests run on 127.0.0.x).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

from crawler.settings.declared import setting
from crawler.urls import is_private_host

__all__ = ["PrivateAddressGuard"]

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
