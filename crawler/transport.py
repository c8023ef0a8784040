"""Scrapy's HTTP/1.1 download handler, keeping the headers Twisted takes for itself.

Twisted's HTTP client moves connection-control headers (`Connection`, `Keep-Alive`, `Transfer-Encoding`,
`Content-Length`, `Trailer`, `Upgrade`, …) out of a response's headers into its parser's own list, so
Scrapy, and any archive built on it, never sees them: a `Connection: keep-alive` the server sent would
be missing from the WARC record, undeclared, and a chunked body could not be told from one delimited by
the connection closing. This handler puts them back on the response as received (after the other
headers: their place among them is not kept), so the capture middleware stores them and declares the
one change it must make (the de-chunked body). Everything else is Scrapy's handler, unchanged.

It reaches into two private Scrapy classes; should a Scrapy release change them, it logs a warning
and works as Scrapy's own handler (the capture then infers the framing, as it did before).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.core.downloader.handlers import http11
from scrapy.crawler import Crawler

__all__ = ["ConnectionHeadersHandler", "connection_headers_kept"]

logger = logging.getLogger(__name__)

_kept = False  # set once this process downloads through the handler below

_Protocol: Any = getattr(http11, "_LenientHTTP11ClientProtocol", None)
_Factory: Any = getattr(http11, "_LenientHTTP11ClientFactory", None)


def _restore_connection_headers(response: Any, parser: Any) -> Any:
    kept = getattr(parser, "connHeaders", None)
    headers = getattr(response, "headers", None)
    if kept is None or headers is None:
        return response
    for name, values in kept.getAllRawHeaders():
        headers.setRawHeaders(name, list(values))
    return response


def connection_headers_kept() -> bool:
    """True when HTTP/1.1 responses in this process carry their connection headers (so a missing
    Transfer-Encoding means the body was not chunked)."""
    return _kept


if _Protocol is not None and _Factory is not None:

    class _KeepingProtocol(_Protocol):  # type: ignore[misc, valid-type]
        def request(self, request: Any) -> Any:
            answer = super().request(request)
            parser = getattr(self, "_parser", None)  # this request's parser, reading the answer
            if parser is not None:
                answer.addCallback(_restore_connection_headers, parser)
            return answer

    class _KeepingFactory(_Factory):  # type: ignore[misc, valid-type]
        def buildProtocol(self, addr: Any) -> Any:
            return _KeepingProtocol(self._quiescentCallback)


class ConnectionHeadersHandler(http11.HTTP11DownloadHandler):  # type: ignore[misc]
    """`DOWNLOAD_HANDLERS` entry for http and https: Scrapy's handler, connection headers kept."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        if _Protocol is None or _Factory is None or not hasattr(self, "_pool"):
            logger.warning("this Scrapy's HTTP/1.1 handler has changed: connection headers (Connection, "
                           "Transfer-Encoding, …) will be missing from the WARC records, and chunked framing "
                           "inferred")
            return
        self._pool._factory = _KeepingFactory
        global _kept
        _kept = True
