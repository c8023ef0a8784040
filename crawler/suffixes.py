"""The public suffix list, offline: Scrapy's cookie middleware asks tldextract, whose default is to
download the list from publicsuffix.org on first use. A crawler must not depend on that (and offline
it logged ~350 lines of tracebacks before falling back): use the snapshot tldextract ships.

Why the private attribute: Scrapy builds its `TLDExtract` at import time as the module global
`_split_domain` and offers no setting for it. `tests/crawler/test_suffixes.py` fails if that changes.
"""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from tldextract import TLDExtract

__all__ = ["OFFLINE_SUFFIXES", "OfflineSuffixList", "use_offline_suffix_list"]

logger = logging.getLogger(__name__)

# suffix_list_urls=(): the snapshot bundled with tldextract, never the network; no cache directory needed.
OFFLINE_SUFFIXES = TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def use_offline_suffix_list() -> bool:
    """Point Scrapy's cookie middleware at the bundled suffix list; False when Scrapy changed."""
    from scrapy.downloadermiddlewares import cookies

    if not hasattr(cookies, "_split_domain"):
        logger.warning("scrapy.downloadermiddlewares.cookies has no _split_domain any more: cookies may make "
                       "tldextract download the public suffix list")
        return False
    cookies._split_domain = OFFLINE_SUFFIXES  # type: ignore[attr-defined]
    return True


class OfflineSuffixList:
    """Scrapy extension: applies the offline suffix list when the crawler starts, then steps aside."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OfflineSuffixList:
        use_offline_suffix_list()
        raise NotConfigured  # nothing to keep running: the splitter stays replaced
