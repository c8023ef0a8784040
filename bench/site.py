"""A generated loopback portal for the crawl benchmarks: home → 政府信息公开 → 年报 list (下一页 chain) → reports.

Two page profiles: `small` (~2.5 KB pages: little more than the links and a paragraph) and `real` (pages
sized and built like the portal samples in ../shared/samples, whose articles are 22–423 KB with 40–400
links: ~150 links to other government sites, inline script and style, a ~30 KB report text).

    python -m bench.site --reports 5000 --port 0 [--profile real]   # prints the port, serves until killed
"""

from __future__ import annotations

import argparse
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PER_PAGE = 20
FILLER = "<p>" + "本机关认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外。" * 12 + "</p>"


REPORT_TEXT_REAL = FILLER * 24  # ~30 KB of UTF-8, a short annual report
# Site chrome of a real portal: links to other government sites (not followed: off-site), scripts, styles.
CHROME_REAL = (
    "<style>" + "".join(f".c{i}{{margin:{i}px;padding:0 {i}px;color:#{i:06x}}}" for i in range(160)) + "</style>"
    + "<script>" + "".join(f"var m{i}=document.getElementById('m{i}');if(m{i}){{m{i}.onclick=function(){{}}}};"
                           for i in range(110)) + "</script>"
    + '<div class="links">' + "".join(f'<a href="http://www{i}.example.gov.cn/">第{i}政府网站</a>' for i in range(150))
    + "</div>")


class Profile:
    """What the pages look like: `small` or `real`."""

    chrome = ""
    report_text = FILLER


def page(body: str, title: str) -> bytes:
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<div class="nav"><a href="/">首页</a><a href="/zwgk/">政府信息公开</a><a href="/search?q=">搜索</a></div>'
            f"{body}{Profile.chrome}<div class='footer'>网站标识码：0000000001</div></body></html>").encode()


class Handler(BaseHTTPRequestHandler):
    reports = 5000
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle's algorithm on, the body could wait for the
    # client's delayed ACK (40 ms), and crawls ran at either ~540 or ~285 pages/s from run to run.
    disable_nagle_algorithm = True

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        pages = -(-self.reports // PER_PAGE)
        if path == "/robots.txt":
            data, ctype = b"User-agent: *\nDisallow: /search\n", "text/plain"
        elif path == "/":
            data, ctype = page('<a href="/zwgk/">政府信息公开</a>', "门户"), "text/html; charset=utf-8"
        elif path == "/zwgk/":
            data, ctype = (
                page('<a href="/zwgk/zfxxgknb/list_0.html">政府信息公开年报</a>', "政府信息公开"),
                "text/html; charset=utf-8",
            )
        elif path.startswith("/zwgk/zfxxgknb/list_"):
            n = int(path.rsplit("_", 1)[1].split(".")[0])
            items = "".join(
                f'<li><a href="/zwgk/zfxxgknb/t{i}.html">第{i}局{2000 + i % 25}年政府信息公开工作年度报告</a></li>'
                for i in range(n * PER_PAGE, min((n + 1) * PER_PAGE, self.reports))
            )
            nav = f'<a href="list_{n + 1}.html">下一页</a>' if n + 1 < pages else ""
            data, ctype = page(f"<ul>{items}</ul>{nav}", "政府信息公开年报"), "text/html; charset=utf-8"
        elif path.startswith("/zwgk/zfxxgknb/t"):
            number = path[len("/zwgk/zfxxgknb/t"):].split(".")[0]
            data = page(
                f'<div class="TRS_Editor"><h1>第{number}局年度报告</h1>{Profile.report_text}</div>',
                f"第{number}局年度报告",
            )
            ctype = "text/html; charset=utf-8"
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=5000)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--profile", choices=["small", "real"], default="small")
    args = parser.parse_args(argv)
    Handler.reports = args.reports
    if args.profile == "real":
        Profile.chrome, Profile.report_text = CHROME_REAL, REPORT_TEXT_REAL
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
