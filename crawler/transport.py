"""Scrapy's HTTP/1.1 download handler, keeping the headers Twisted takes for itself.

Twisted's HTTP client moves connection-control headers (`Connection`, `Keep-Alive`, `Transfer-Encoding`,
`Content-Length`, `Trailer`, `Upgrade`, …) out of a response's headers into its parser's own list, so
Scrapy, and any archive built on it, never sees them: a `Connection: keep-alive` the server sent would
be missing from the WARC record, undeclared, and a chunked body could not be told from one delimited by
the connection closing. This handler puts them back on the response as received (after the other
headers: their place among them is not kept), so the capture middleware stores them and declares the
one change it must make (the de-chunked body). Everything else is Scrapy's handler, unchanged.

Why not the public API: Scrapy's handler exposes neither the parser nor a hook between Twisted's
response and Scrapy's, so the headers can only be put back from a subclass of its (private) client
protocol and factory. This module is the only place that touches them; `tests/crawler/test_transport.py`
fails when a Scrapy release changes them. Then the handler logs a warning and works as Scrapy's own
(the capture infers the framing, as it did before). A response that came through the keeping path has
`request.meta[CONNECTION_HEADERS_KEPT]` set, so the capture knows a missing Transfer-Encoding means
the body was not chunked.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from scrapy import Request
from scrapy.core.downloader.handlers import http11
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.scheduler import scheduler_of
from crawler.urls import host_key

__all__ = ["CONNECTION_HEADERS_KEPT", "ConnectionHeadersHandler", "private_classes_found"]

logger = logging.getLogger(__name__)

CONNECTION_HEADERS_KEPT = "nianbao_connection_headers_kept"

_Protocol: Any = getattr(http11, "_LenientHTTP11ClientProtocol", None)
_Factory: Any = getattr(http11, "_LenientHTTP11ClientFactory", None)
_Parser: Any = getattr(http11, "_LenientHTTPClientParser", None)

# Header lines HTTP does not allow (no colon; a name with bytes outside the token set) are declared under
# this name, their bytes as received, instead of being dropped (Scrapy) or failing the answer (Twisted).
INVALID_HEADER = b"X-Archive-Orig-Invalid-Header"


def _restore_connection_headers(response: Any, parser: Any) -> Any:
    kept = getattr(parser, "connHeaders", None)
    headers = getattr(response, "headers", None)
    if kept is None or headers is None:
        return response
    for name, values in kept.getAllRawHeaders():
        headers.setRawHeaders(name, list(values))
    invalid = getattr(parser, "nianbao_invalid", None)
    if invalid:
        headers.setRawHeaders(INVALID_HEADER, list(invalid))
        logger.info("%d header line(s) HTTP does not allow kept as %s: %r", len(invalid), INVALID_HEADER.decode(),
                    invalid[:3])
    return response


def private_classes_found() -> bool:
    """Whether this Scrapy still has the two private classes the handler extends."""
    return _Protocol is not None and _Factory is not None and _Parser is not None


if _Protocol is not None and _Factory is not None and _Parser is not None:

    class _DeclaringParser(_Parser):  # type: ignore[misc, valid-type]
        """Scrapy's lenient parser, keeping the header lines it would drop or Twisted would refuse."""

        def lineReceived(self, line: bytes) -> None:
            partial = getattr(self, "_partialHeader", None)
            if partial is not None and (not line.rstrip(b"\r") or line[:1] not in b" \t"):
                header = b"".join(partial)
                if b":" not in header:
                    self.__dict__.setdefault("nianbao_invalid", []).append(header)
            super().lineReceived(line)

        def headerReceived(self, name: bytes, value: bytes) -> None:
            try:
                super().headerReceived(name, value)
            except ValueError:  # twisted.web.http_headers.InvalidHeaderName: a name with non-token bytes
                self.__dict__.setdefault("nianbao_invalid", []).append(name + b": " + value)

    class _KeepingProtocol(_Protocol):  # type: ignore[misc, valid-type]
        def request(self, request: Any) -> Any:
            answer = super().request(request)
            parser = getattr(self, "_parser", None)  # this request's parser, reading the answer
            if parser is not None:
                parser.__class__ = _DeclaringParser  # as Scrapy itself swaps in its lenient parser
                answer.addCallback(_restore_connection_headers, parser)
            return answer

    class _KeepingFactory(_Factory):  # type: ignore[misc, valid-type]
        def buildProtocol(self, addr: Any) -> Any:
            return _KeepingProtocol(self._quiescentCallback)


class ConnectionHeadersHandler(http11.HTTP11DownloadHandler):  # type: ignore[misc]
    """`DOWNLOAD_HANDLERS` entry for http and https: Scrapy's handler, connection headers kept."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.crawler = crawler
        self.keeps = private_classes_found() and hasattr(self, "_pool")
        if not self.keeps:
            logger.warning("this Scrapy's HTTP/1.1 handler has changed: connection headers (Connection, "
                           "Transfer-Encoding, …) will be missing from the WARC records, and chunked framing "
                           "inferred")
            return
        self._pool._factory = _KeepingFactory

    async def download_request(self, request: Request) -> Response:
        await self._wait_for_host(request)
        response: Response = await super().download_request(request)
        if self.keeps:
            request.meta[CONNECTION_HEADERS_KEPT] = True
        return response

    async def _wait_for_host(self, request: Request) -> None:
        """Send nothing to a host the crawl has paused (it answered 429/503 or an anti-bot challenge,
        `crawler.middlewares.HostBackoff`): a request that sat in its download slot while the pause began
        leaves when the pause ends."""
        scheduler = scheduler_of(self.crawler)
        if scheduler is None:
            return
        host = host_key(request.url)
        while (until := scheduler.paused_until(host)) > 0:
            if self.crawler.stats is not None:
                self.crawler.stats.inc_value("nianbao/host_backoff_waits")
            await asyncio.sleep(max(0.0, until - time.monotonic()))
