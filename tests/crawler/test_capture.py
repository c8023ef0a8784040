"""How the capture declares what the transport changed, with and without the connection headers."""

from __future__ import annotations

import pytest

from crawler.capture import _declare_transport_changes

BODY = b"<html>" + "年报".encode() * 100 + b"</html>"


@pytest.mark.parametrize(("headers", "wire", "known", "expected"), [
    # connection headers kept (crawler.transport): only a de-chunked body is declared
    ([("Transfer-Encoding", "chunked")], "http/1.1", True,
     [("X-Archive-Orig-Transfer-Encoding", "chunked"), ("Content-Length", str(len(BODY)))]),
    ([("Connection", "close")], "http/1.1", True, [("Connection", "close")]),  # ends when the connection closes
    ([("Content-Length", str(len(BODY)))], "http/1.1", True, [("Content-Length", str(len(BODY)))]),
    ([("Content-Length", "99999")], "http/1.1", True,  # a body shorter than announced (DOWNLOAD_FAIL_ON_DATALOSS off)
     [("X-Archive-Orig-Content-Length", "99999"), ("Content-Length", str(len(BODY)))]),
    # Scrapy's own handler: Twisted kept the framing headers, so no length on HTTP/1.1 is taken as chunked
    ([], "http/1.1", False, [("X-Archive-Orig-Transfer-Encoding", "chunked"), ("Content-Length", str(len(BODY)))]),
    ([], "http/1.0", False, [("Content-Length", str(len(BODY)))]),
    ([], "h2", False, [("Content-Length", str(len(BODY)))]),
])
def test_declared_changes(headers: list[tuple[str, str]], wire: str, known: bool,
                          expected: list[tuple[str, str]]) -> None:
    assert _declare_transport_changes(headers, BODY, wire, 200, framing_known=known) == expected
