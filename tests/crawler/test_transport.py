"""The Scrapy internals `crawler.transport` extends: these fail loudly when a Scrapy release changes them."""

from __future__ import annotations

import inspect

from scrapy.core.downloader.handlers import http11

from crawler import transport


def test_scrapy_still_has_the_private_client_classes() -> None:
    assert transport.private_classes_found(), (
        "scrapy.core.downloader.handlers.http11 lost _LenientHTTP11ClientProtocol/_LenientHTTP11ClientFactory: "
        "connection headers will be missing from WARC records; update crawler/transport.py")


def test_the_private_classes_still_work_as_the_handler_expects() -> None:
    factory = http11._LenientHTTP11ClientFactory
    protocol = http11._LenientHTTP11ClientProtocol
    assert "_quiescentCallback" in inspect.getsource(factory), "the factory no longer builds with _quiescentCallback"
    assert callable(getattr(protocol, "request", None))
    assert "_parser" in inspect.getsource(inspect.getmodule(protocol.__mro__[1])), \
        "Twisted's HTTP11ClientProtocol no longer keeps its response parser in _parser"
    assert inspect.iscoroutinefunction(http11.HTTP11DownloadHandler.download_request)
    parser = http11._LenientHTTPClientParser
    assert "_partialHeader" in inspect.getsource(parser.lineReceived), "the lenient parser changed its state"
