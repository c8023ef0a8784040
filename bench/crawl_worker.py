"""One benchmark crawl in its own process (Scrapy's reactor runs once per process); prints JSON figures."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy


class MinimalSpider(scrapy.Spider):
    """The baseline: follow every same-site link, nothing else (stock Scrapy: `allowed_domains` drops the
    ~150 links per page to other sites, which would otherwise be resolved and fetched off the machine)."""

    name = "minimal"

    def __init__(self, start_url: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_url = start_url
        self.allowed_domains = [urlsplit(start_url).hostname or ""]

    async def start(self):  # type: ignore[no-untyped-def]
        yield scrapy.Request(self.start_url)

    def parse(self, response, **_: Any):  # type: ignore[no-untyped-def]
        for href in response.css("a::attr(href)").getall():
            if "search" not in href:
                yield response.follow(href)


def main() -> None:
    spider_name, url, warc = sys.argv[1], sys.argv[2], sys.argv[3] == "on"
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "crawler.settings")
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from crawler.seeds import Seed
    from crawler.spiders.reports import ReportsSpider

    settings = get_project_settings()
    tmp = tempfile.mkdtemp(prefix="nianbao-bench-")
    for name, value in {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 16,
                        "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "LOG_LEVEL": "WARNING", "NIANBAO_MAX_LIST_PAGES": 100000,
                        "NIANBAO_MAX_PAGES_PER_SEED": 1_000_000,
                        "NIANBAO_ARCHIVE": tmp if warc else "", "NIANBAO_WARC_ENABLED": warc, "NIANBAO_RUN_ID": "bench",
                        "LOGSTATS_INTERVAL": 0, "DEPTH_LIMIT": 0, "NIANBAO_INDEX_INTERVAL": 0,
                        "NIANBAO_WARC_GZIP_LEVEL": int(os.environ.get("NIANBAO_BENCH_GZIP_LEVEL", "1"))}.items():
        settings.set(name, value, priority="cmdline")
    if spider_name == "minimal":  # stock Scrapy: none of our middlewares
        settings.set("DOWNLOADER_MIDDLEWARES", {}, priority="cmdline")
    process = CrawlerProcess(settings)
    if spider_name == "minimal":
        crawler = process.create_crawler(MinimalSpider)
        process.crawl(crawler, start_url=url)
    else:
        crawler = process.create_crawler(ReportsSpider)
        process.crawl(crawler, seeds=[Seed(agency="基准局", province="测试省", city="", county="", url=url, line=2)])
    profile_to = os.environ.get("NIANBAO_BENCH_PROFILE")  # a file: cProfile stats of the crawl
    profiler = None
    if profile_to:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    process.start()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    if profiler is not None and profile_to:
        profiler.disable()
        profiler.dump_stats(profile_to)
    pages = crawler.stats.get_value("response_received_count", 0)
    warc_bytes = sum(p.stat().st_size for p in Path(tmp).glob("warc/*")) if warc else 0
    print(json.dumps({"spider": spider_name, "warc": warc, "pages": pages, "wall_s": wall, "cpu_s": cpu,
                      "warc_bytes": warc_bytes}))


if __name__ == "__main__":
    main()
