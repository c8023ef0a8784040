"""A generated loopback portal for the crawl benchmarks: home → 政府信息公开 → 年报 list (下一页 chain) → reports.

    python -m bench.site --reports 5000 --port 0     # prints the port, serves until killed
"""

from __future__ import annotations

import argparse
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PER_PAGE = 20
FILLER = "<p>" + "本机关认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外。" * 12 + "</p>"


def page(body: str, title: str) -> bytes:
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
            f'<div class="nav"><a href="/">首页</a><a href="/zwgk/">政府信息公开</a><a href="/search?q=">搜索</a></div>'
            f"{body}<div class='footer'>网站标识码：0000000001</div></body></html>").encode()


class Handler(BaseHTTPRequestHandler):
    reports = 5000
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        pages = -(-self.reports // PER_PAGE)
        if path == "/robots.txt":
            data, ctype = b"User-agent: *\nDisallow: /search\n", "text/plain"
        elif path == "/":
            data, ctype = page('<a href="/zwgk/">政府信息公开</a>', "门户"), "text/html; charset=utf-8"
        elif path == "/zwgk/":
            data, ctype = page('<a href="/zwgk/zfxxgknb/list_0.html">政府信息公开年报</a>', "政府信息公开"), "text/html; charset=utf-8"
        elif path.startswith("/zwgk/zfxxgknb/list_"):
            n = int(path.rsplit("_", 1)[1].split(".")[0])
            items = "".join(f'<li><a href="/zwgk/zfxxgknb/t{i}.html">第{i}局{2000 + i % 25}年政府信息公开工作年度报告</a></li>'
                            for i in range(n * PER_PAGE, min((n + 1) * PER_PAGE, self.reports)))
            nav = f'<a href="list_{n + 1}.html">下一页</a>' if n + 1 < pages else ""
            data, ctype = page(f"<ul>{items}</ul>{nav}", "政府信息公开年报"), "text/html; charset=utf-8"
        elif path.startswith("/zwgk/zfxxgknb/t"):
            n = path[len("/zwgk/zfxxgknb/t"):].split(".")[0]
            data = page(f'<div class="TRS_Editor"><h1>第{n}局年度报告</h1>{FILLER}</div>', f"第{n}局年度报告")
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
    args = parser.parse_args(argv)
    Handler.reports = args.reports
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
