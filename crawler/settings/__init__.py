"""Default Scrapy settings for nianbao (`scrapy.cfg` points here). Profiles: base, test, prod."""

from .base import *  # noqa: F401,F403
