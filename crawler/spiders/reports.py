"""The `reports` discovery spider (issue #3 fills it in)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import scrapy


class ReportsSpider(scrapy.Spider):
    name = "reports"

    async def start(self) -> AsyncIterator[Any]:
        return
        yield
