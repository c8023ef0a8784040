"""A generated country on loopback: many tiny agency portals, each on its own 127.0.x.y address.

Every site is home → 政府信息公开 → 年报 list → two reports, built like a small county portal; one more
address serves a provincial aggregator whose list links the first sites' 年报 columns. One asyncio
loop (in a thread) serves every address, so hundreds of sites cost one thread; every request is logged
with its address, path and arrival time (`time.monotonic()`), so a test can measure the request rate each
host saw across all crawler processes. Optionally every report links a PDF on one shared file host, a test
answers some requests itself (`intercept`: 429s), and some sites answer slowly (`slow`).

    with Country(300) as country:
        country.seeds_csv(path)
        country.log            # [(ip, path, monotonic time), ...]
"""

from __future__ import annotations

import asyncio
import csv
import functools
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["Country", "address"]

YEARS = (2023, 2024)


def address(index: int) -> str:
    """The loopback address of site `index`: 127.0.1.1, 127.0.1.2, … (127.0.0.x is the demo portals')."""
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def agency(index: int) -> str:
    return f"测试{index}县人民政府"


def _page(title: str, body: str) -> bytes:
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body><div class="nav"><a href="/">首页</a></div>{body}</body></html>').encode()


def aggregator_page(sites: int, path: str) -> bytes | None:
    """The provincial aggregator: a list of the first sites' 年报 columns (on their own hosts)."""
    if path == "/":
        return _page("测试省人民政府", '<a href="/zwgk/nb/">政府信息公开年报</a>')
    if path == "/zwgk/nb/":
        items = "".join(f'<li><a href="http://{{host{i}}}/xxgk/ndbg/">{agency(i)}政府信息公开年报</a></li>'
                        for i in range(min(sites, 20)))
        return _page("全省政府信息公开年报", f"<ul>{items}</ul>")
    return None


def page_for(index: int, path: str, files: str = "") -> bytes | None:
    """The body of `path` on site `index`; None for a 404. With `files` (a host:port), each report links
    its PDF on that shared file host."""
    name = agency(index)
    if path == "/":
        return _page(name, '<a href="/xxgk/">政府信息公开</a>')
    if path == "/xxgk/":
        return _page("政府信息公开", '<a href="/xxgk/ndbg/">政府信息公开年报</a>')
    if path == "/xxgk/ndbg/":
        items = "".join(f'<li><a href="/xxgk/ndbg/t{year}.html">{name}{year}年政府信息公开工作年度报告</a></li>'
                        for year in YEARS)
        return _page("政府信息公开年报", f"<ul>{items}</ul>")
    for year in YEARS:
        if path == f"/xxgk/ndbg/t{year}.html":
            body = "".join(f"<p>一、总体情况 {year}年，{name}主动公开政府信息{n + index}条。</p>" for n in range(8))
            if files:
                body += f'<p><a href="http://{files}/files/{index}-{year}.pdf">附件：{year}年度报告（PDF）</a></p>'
            return _page(f"{name}{year}年政府信息公开工作年度报告", body)
    return None


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

# a test's hook: (address, path, arrival time) → (status, extra headers) instead of the page, or None
Intercept = Callable[[str, str, float], "tuple[int, dict[str, str]] | None"]


class Country:
    """`sites` portals on loopback, one port shared by every address; a context manager. With `file_host`,
    one more address serves every report's PDF (a province's shared file server, fetched by every worker);
    `intercept` lets a test answer some requests itself (429s)."""

    def __init__(self, sites: int, port: int = 0, file_host: bool = False) -> None:
        self.sites = sites
        self.file_host = file_host
        self.intercept: Intercept | None = None
        self.slow: dict[str, float] = {}  # address → seconds each of its answers waits (a slow site)
        self.log: list[tuple[str, str, float]] = []
        self.client_ports: dict[tuple[str, float], int] = {}  # (address, arrival time) → the client's port
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._servers: list[asyncio.Server] = []
        self.port = port or _free_port()
        self._thread = threading.Thread(target=self._run, name="country", daemon=True)
        self._thread.start()
        self._ready.wait(30)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()

    async def _start(self) -> None:
        for index in range(self.sites + 1 + self.file_host):  # then the aggregator, then the file host
            server = await asyncio.start_server(functools.partial(self._serve, index), address(index),
                                                self.port, reuse_address=True)
            self._servers.append(server)

    async def _serve(self, index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode("latin-1").split("?")[0]
                now = time.monotonic()
                self.log.append((address(index), path, now))
                self.client_ports[(address(index), now)] = int(writer.get_extra_info("peername")[1])
                if address(index) in self.slow:
                    await asyncio.sleep(self.slow[address(index)])
                writer.write(self._answer(index, path, now))
                await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    def _answer(self, index: int, path: str, now: float) -> bytes:
        """The whole HTTP answer to `path` on site `index`."""
        special = self.intercept(address(index), path, now) if self.intercept else None
        if special is not None:
            status, headers = special
            return _http(f"{status} Refused", _page(str(status), "请稍后再试"), headers)
        content_type, body = "text/html; charset=utf-8", None
        if index < self.sites:
            body = page_for(index, path, self.files_host if self.file_host else "")
        elif index == self.sites:
            body = self._aggregator(path)
        elif path.startswith("/files/") and path.endswith(".pdf"):
            content_type, body = "application/pdf", PDF
        if body is None:
            return _http("404 Not Found", _page("404", "没有这个页面"), {})
        return _http("200 OK", body, {"Content-Type": content_type})

    @property
    def files_host(self) -> str:
        """host:port of the shared file host (with `file_host`)."""
        return f"{address(self.sites + 1)}:{self.port}"

    def _aggregator(self, path: str) -> bytes | None:
        body = aggregator_page(self.sites, path)
        if body is None:
            return None
        for i in range(min(self.sites, 20)):
            body = body.replace(f"{{host{i}}}".encode(), f"{address(i)}:{self.port}".encode())
        return body

    def url(self, index: int, path: str = "/") -> str:
        return f"http://{address(index)}:{self.port}{path}"

    def report_urls(self) -> set[str]:
        return {self.url(i, f"/xxgk/ndbg/t{year}.html") for i in range(self.sites) for year in YEARS}

    def seeds_csv(self, path: Path, extra_rows: list[list[str]] | None = None, aggregator: bool = True) -> Path:
        """Write the seeds CSV of every site (plus `extra_rows`, and the aggregator unless told not to) and
        return its path."""
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["agency", "province", "city", "county", "url", "kind"])
            writer.writerows(extra_rows or [])
            if aggregator:
                writer.writerow(["测试省人民政府", "测试省", "", "", self.url(self.sites, "/zwgk/nb/"), "aggregator"])
            for index in range(self.sites):
                writer.writerow([agency(index), "测试省", "测试市", f"测试{index}县", self.url(index), "portal"])
        return path

    def close(self) -> None:
        async def stop() -> None:
            for server in self._servers:
                server.close()
        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> Country:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _http(status: str, body: bytes, headers: dict[str, str]) -> bytes:
    fields = {"Content-Type": "text/html; charset=utf-8", **headers, "Content-Length": str(len(body))}
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    return f"HTTP/1.1 {status}\r\n{head}\r\n".encode("latin-1") + body


def _free_port() -> int:
    """A port free on the first address (the others are checked when bound)."""
    with socket.socket() as probe:
        probe.bind((address(0), 0))
        return int(probe.getsockname()[1])
