"""Downloader middlewares: the private-address guard, and the back-off of a host that asked for one.

A crawler that follows links from the open web must not be steered into an intranet: requests to
private, loopback or link-local addresses are refused unless the request descends from a seed that is
itself on such an address (the demo portals and tests run on 127.0.0.x).

A host that answers 429 or 503, or whose anti-bot appliance answers instead of the site, is paused: its
queued requests wait in the scheduler and any already in its download slot wait at send time
(`crawler.transport`) until its Retry-After has passed (else the attempt's retry back-off), at most
NIANBAO_RETRY_BACKOFF_MAX. A cluster worker pauses the host for every worker instead
(`crawler.cluster.spider.HostTokenMiddleware`, up to NIANBAO_CLUSTER_BACKOFF_MAX).
"""

from __future__ import annotations

import logging
import time
from typing import Self
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from crawler.cluster.backoff import backoff_of
from crawler.scheduler import scheduler_of
from crawler.settings.declared import setting
from crawler.urls import host_key, is_private_host

__all__ = ["HostBackoff", "PrivateAddressGuard"]

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


class HostBackoff:
    """Pause a host that answered 429/503 or an anti-bot challenge (single-machine crawls; `CAP` names the
    setting that bounds the pause)."""

    CAP = "NIANBAO_RETRY_BACKOFF_MAX"

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.base = float(setting(crawler.settings, "NIANBAO_RETRY_BACKOFF"))
        self.cap = float(setting(crawler.settings, self.CAP))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        if getattr(self.crawler.spider, "cluster", None) is not None:
            return response  # the cluster's middleware pauses the host for every worker
        backoff = backoff_of(request, response, self.base, self.cap)
        scheduler = scheduler_of(self.crawler)
        if backoff is None or scheduler is None:
            return response
        host = host_key(request.url)
        scheduler.pause_host(host, time.monotonic() + backoff.seconds)
        if self.crawler.stats is not None:
            self.crawler.stats.inc_value("nianbao/host_backoffs")
        logger.warning("%s answered %s: nothing more is sent to it for %.1f s", host, backoff.reason, backoff.seconds)
        return response
