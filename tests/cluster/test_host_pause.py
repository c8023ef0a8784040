"""The scheduler keeps a paused host's requests aside until the pause ends, and counts requests per seed
(what a cluster worker reads to finish a site as soon as it has nothing left)."""

from __future__ import annotations

import time

from scrapy import Request, Spider
from scrapy.utils.test import get_crawler

from crawler.scheduler import BackoffScheduler


def _scheduler() -> BackoffScheduler:
    # the crawl's default queue (DownloaderAwarePriorityQueue) needs a running engine; the pause is above it
    crawler = get_crawler(Spider, settings_dict={"NIANBAO_RETRY_BACKOFF": 0.2,
                                                 "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue"})
    crawler.spider = Spider("t")
    scheduler = BackoffScheduler.from_crawler(crawler)
    scheduler.open(crawler.spider)
    return scheduler


def _request(url: str, seed: str) -> Request:
    return Request(url, meta={"nianbao": {"seed": seed}})


def test_a_paused_host_waits_and_other_hosts_go_on() -> None:
    scheduler = _scheduler()
    for n in range(3):
        scheduler.enqueue_request(_request(f"http://127.0.1.1:8080/p{n}", "http://127.0.1.1:8080/"))
    scheduler.enqueue_request(_request("http://127.0.1.2:8080/", "http://127.0.1.2:8080/"))
    assert scheduler.pending_seeds == {"http://127.0.1.1:8080/": 3, "http://127.0.1.2:8080/": 1}
    scheduler.pause_host("127.0.1.1:8080", time.monotonic() + 0.3)
    first = scheduler.next_request()
    assert first is not None and first.url == "http://127.0.1.2:8080/"
    assert scheduler.next_request() is None  # the paused host's three requests wait
    assert len(scheduler) == 3 and scheduler.has_pending_requests()
    assert scheduler.pending_seeds == {"http://127.0.1.1:8080/": 3}
    time.sleep(0.35)
    urls = [request.url for request in iter(scheduler.next_request, None)]
    assert sorted(urls) == [f"http://127.0.1.1:8080/p{n}" for n in range(3)]
    assert scheduler.pending_seeds == {} and len(scheduler) == 0


def test_a_retry_waits_for_its_host_pause_when_that_is_longer() -> None:
    scheduler = _scheduler()
    retry = _request("http://127.0.1.1:8080/a", "http://127.0.1.1:8080/").replace(dont_filter=True)
    retry.meta["retry_times"] = 1
    scheduler.pause_host("127.0.1.1:8080", time.monotonic() + 0.5)
    scheduler.enqueue_request(retry)  # its own back-off: 0.2 s
    time.sleep(0.25)
    assert scheduler.next_request() is None
    time.sleep(0.3)
    released = scheduler.next_request()
    assert released is not None and released.url == "http://127.0.1.1:8080/a"
