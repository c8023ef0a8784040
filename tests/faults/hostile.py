"""A hostile portal on loopback: one agency site whose report list leads to what breaks crawlers.

Every case keeps one ordinary report (`/xxgk/ndbg/t2023.html`) beside the hostile part, so a test can tell
"survived and archived the rest" from "survived by doing nothing". Cases:
bomb (a 1 GiB gzip answer of ~1 MB), endless (a chunked body that never ends), stall (headers, then
silence), malformed (a header line without a colon, a garbage status line), more-trap (pages 1..∞ whose
"更多" links lead to yet another page), fan-out (every list page links 20 new list pages), links (a list
page with 100,000 links, in scope and off site).
"""

from __future__ import annotations

import random
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["CASES", "HostilePortal", "gzip_bomb"]

CASES = ("control", "bomb", "endless", "stall", "malformed", "more-trap", "fan-out", "links")
AGENCY = "测试市应急管理局"


def gzip_bomb(size: int) -> bytes:
    """A gzip stream of `size` zero bytes (~1/1000 of it), built without holding `size` bytes."""
    chunk = bytes(1 << 20)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    parts = [b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"]
    for _ in range(size // len(chunk)):
        parts.append(block)
        crc = zlib.crc32(chunk, crc)
    parts.append(compressor.flush() + struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(parts)


def _page(title: str, body: str) -> bytes:
    return f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>{body}</body></html>'.encode()


def _report(year: int) -> bytes:
    body = "".join(f"<p>一、总体情况 {year}年，{AGENCY}主动公开政府信息{n}条。</p>" for n in range(20))
    return _page(f"{AGENCY}{year}年政府信息公开工作年度报告", body)


class _Handler(BaseHTTPRequestHandler):
    server: HostilePortal
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.server.log(parts.path + (f"?{parts.query}" if parts.query else ""))
        route = _ROUTES.get(parts.path)
        if route is None and parts.path.startswith("/xxgk/ndbg/f"):
            route = _fan_out
        if route is None:
            self._send(404, _page("404", "没有这个页面"))
            return
        route(self, parse_qs(parts.query))

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "text/html; charset=utf-8", **(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _home(h: _Handler, _q: Any) -> None:
    h._send(200, _page(AGENCY, '<a href="/xxgk/">政府信息公开</a>'))


def _column(h: _Handler, _q: Any) -> None:
    h._send(200, _page("政府信息公开", '<a href="/xxgk/ndbg/">政府信息公开年报</a>'))


def _list(h: _Handler, query: dict[str, list[str]]) -> None:
    case, page = h.server.case, int(query.get("page", ["1"])[0])
    first = f'<li><a href="/xxgk/ndbg/t2023.html">{AGENCY}2023年政府信息公开工作年度报告</a></li>'
    links = [first] if page == 1 else []
    if case in ("bomb", "endless", "stall", "malformed"):
        links.append(f'<li><a href="/xxgk/ndbg/{case}.html">{AGENCY}2022年政府信息公开工作年度报告</a></li>')
    if case == "malformed":
        links.append(f'<li><a href="/xxgk/ndbg/garbage.html">{AGENCY}2021年政府信息公开工作年度报告</a></li>')
    if case == "more-trap":
        links += [f'<a href="/xxgk/ndbg/?page={page + 1}">下一页</a>',
                  f'<a href="/xxgk/ndbg/more?page={page + 1}">更多</a>']
    if case == "fan-out":
        links += [f'<a href="/xxgk/ndbg/f{random.randrange(10**9)}/">政府信息公开年报</a>' for _ in range(20)]
    if case == "links":
        links += [f'<a href="x{n}.html">年报{n}</a>' for n in range(50_000)]  # ~3 MB: under DOWNLOAD_MAXSIZE
        links += [f'<a href="http://w{n}.x.cn/">{n}</a>' for n in range(50_000)]
    h._send(200, _page("政府信息公开年报", "<ul>" + "".join(links) + "</ul>"))


def _fan_out(h: _Handler, query: dict[str, list[str]]) -> None:
    _list(h, query or {"page": ["1"]})


def _bomb(h: _Handler, _q: Any) -> None:
    h._send(200, h.server.bomb, {"Content-Encoding": "gzip"})


def _endless(h: _Handler, _q: Any) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b"<p>" + "无尽的正文".encode() * 400 + b"</p>"
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and not h.server.stopping.is_set():
            h.wfile.write(frame)
    except OSError:
        pass  # the crawler hung up: what it should do


def _stall(h: _Handler, _q: Any) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    h.wfile.write(b"<html><body>")
    h.wfile.flush()
    h.server.stopping.wait(60)


def _malformed(h: _Handler, _q: Any) -> None:
    body = _report(2022)
    h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nX-Broken-Line-Without-Colon\r\n"
                  + "文件名: 年报.pdf\r\n".encode("gbk")  # a header name in GBK: not an HTTP token
                  + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    h.close_connection = True


def _garbage(h: _Handler, _q: Any) -> None:
    h.wfile.write(b"HTXP/9.9 ??? \xff\xfe nonsense\r\n\r\n<html>")
    h.close_connection = True


_ROUTES = {"/": _home, "/xxgk/": _column, "/xxgk/ndbg/": _list, "/xxgk/ndbg/more": _list,
           "/xxgk/ndbg/t2023.html": lambda h, q: h._send(200, _report(2023)), "/xxgk/ndbg/bomb.html": _bomb,
           "/xxgk/ndbg/endless.html": _endless, "/xxgk/ndbg/stall.html": _stall,
           "/xxgk/ndbg/malformed.html": _malformed, "/xxgk/ndbg/garbage.html": _garbage}


class HostilePortal(ThreadingHTTPServer):
    """The portal for one case, on 127.0.0.`host` and a free port; a context manager."""

    daemon_threads = True

    def __init__(self, case: str, host: str = "127.0.0.2") -> None:
        super().__init__((host, 0), _Handler)
        self.case = case
        self.bomb = gzip_bomb(1 << 30) if case == "bomb" else b""
        self.stopping = threading.Event()
        self.requests: list[str] = []
        self._lock = threading.Lock()

    def log(self, path: str) -> None:
        with self._lock:
            self.requests.append(path)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/"

    def seeds(self, folder: Path) -> Path:
        path = folder / "seeds.csv"
        path.write_text(f"agency,province,city,county,url\n{AGENCY},测试省,测试市,,{self.url}\n", encoding="utf-8")
        return path

    def __enter__(self) -> HostilePortal:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
