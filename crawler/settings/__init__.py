"""Scrapy settings for nianbao (`scrapy.cfg` points here): the polite defaults of `base.py`."""

from .base import *  # noqa: F403
