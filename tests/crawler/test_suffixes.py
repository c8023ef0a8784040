"""Cookies never make the crawler download the public suffix list."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.demo.server import DemoPortals
from crawler.suffixes import OFFLINE_SUFFIXES

ROOT = Path(__file__).resolve().parents[2]


def test_scrapy_still_keeps_its_suffix_splitter_where_we_replace_it() -> None:
    from scrapy.downloadermiddlewares import cookies

    assert hasattr(cookies, "_split_domain"), "Scrapy moved _split_domain: update crawler/suffixes.py"
    assert OFFLINE_SUFFIXES("www.xixiu.gov.cn").top_domain_under_public_suffix == "xixiu.gov.cn"


@pytest.mark.e2e
def test_a_crawl_with_cookies_and_an_empty_cache_never_asks_publicsuffix_org(tmp_path: Path) -> None:
    """A fresh machine: no tldextract cache. The modern demo site sets cookies on its home page."""
    env = {**os.environ, "TLDEXTRACT_CACHE": str(tmp_path / "empty-cache"), "HOME": str(tmp_path)}
    with DemoPortals() as portals:
        seeds = tmp_path / "seeds.csv"
        seeds.write_text("agency,province,city,county,url\n杭州市生态环境局,浙江省,杭州市,,"
                         f"{portals.url('modern', '/')}\n", encoding="utf-8")
        done = subprocess.run([sys.executable, "-m", "crawler.cli", "crawl", "--seeds", str(seeds), "--archive",
                               str(tmp_path / "a"), "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                               "-s", "NIANBAO_RETRY_BACKOFF=0", "-s", "NIANBAO_INDEX_INTERVAL=0", "-L", "INFO"],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    log = done.stdout + done.stderr
    assert done.returncode == 0, log[-3000:]
    assert "publicsuffix" not in log.lower() and "tldextract" not in log.lower(), log[-3000:]
    assert not (tmp_path / "empty-cache").exists() or not any((tmp_path / "empty-cache").rglob("*suffix*"))
