"""Serve the bundled demo portals: one threaded stdlib HTTP server per site, each on its own loopback IP.

    with DemoPortals() as portals:          # 127.0.0.2, 127.0.0.3, … on one free port
        portals.seeds_csv(path)             # seeds CSV for `nianbao crawl`
        portals.manifest()                  # ground truth, absolute URLs
        portals.request_log                 # every request received: (ip, method, path, headers, status)
        portals.publish_extra_report()      # one more report appears (incremental-crawl test)
        portals.set_night(1)                # the next night: reports edited, withdrawn, templates changed

    python -m crawler.demo.server           # run in the foreground, print the seed URLs
"""

from __future__ import annotations

import csv
import email.utils
import gzip
import hashlib
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["MANIFEST", "SITES", "DemoPortals"]

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
SITES = HERE / "sites"
MANIFEST = HERE / "manifest.json"
FIRST_IP = 2  # 127.0.0.1 is left to whatever else runs on the machine
LAST_MODIFIED = email.utils.formatdate(1737331200, usegmt=True)  # fixed: 2025-01-20, so 304s are stable
RUISHU_PAGE = (b'<html><head><meta charset="utf-8"></head><body><script type="text/javascript" r="m">'
               b'$_ts=window[\'$_ts\'];if(!$_ts){$_ts={};}$_ts.nsd=48231;$_ts.cd="qEjrrrAlDqVc";'
               b'</script><script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVI/c.FxJzG50F.js"></script>'
               b"</body></html>")


# 加速乐 (Knownsec): HTTP 521, a tracking cookie, and a script that sets __jsl_clearance_s and reloads.
JIASULE_PAGE = (b"<script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')+('r')+('a')"
                b"+('n')+('c')+('e')+('_')+('s')+('=')+('1732700000.337|0|')+('qjXzKCmY%2F9dE3hQ')+"
                b"';max-age=3600;path=/';location.href=location.pathname+location.search</script>")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Crawlers drop connections (a killed crawl, a cancelled download): not the server's problem.
        logger.debug("connection from %s ended abruptly", client_address, exc_info=True)

    def __init__(self, address: tuple[str, int], portals: DemoPortals, site: dict[str, Any]) -> None:
        self.portals = portals
        self.site = site
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "nianbao-demo/1"

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s %s", self.server.site["id"], format % args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        portals, site = self.server.portals, self.server.site
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status = self._answer(method, portals, site, body)
        with portals.lock:
            portals.request_log.append((site["ip"], method, self.path, dict(self.headers.items()), status))

    def _answer(self, method: str, portals: DemoPortals, site: dict[str, Any], body: bytes) -> int:
        path = urlsplit(self.path).path
        doc = portals.tonight(portals.lookup(site["id"], path))
        if site.get("blocked"):
            return self._challenge(site["blocked"], method)
        if doc is None or (doc.get("extra") and not portals.extra_published):
            return self._send(404, "<html><body><h1>404 页面不存在</h1></body></html>".encode(),
                              {"Content-Type": "text/html; charset=utf-8"}, method)
        if doc["status"] in (301, 302):
            location = f"http://{site['ip']}:{portals.port}{doc['location']}"
            return self._send(doc["status"], b"", {"Location": location, "Content-Type": "text/html"}, method)
        if doc.get("flaky"):
            with portals.lock:
                first = path not in portals.flaky_seen
                portals.flaky_seen.add(path)
            if first:
                return self._send(503, b"Service Temporarily Unavailable", {"Content-Type": "text/plain",
                                                                              "Retry-After": "0"}, method)
        dynamic = doc.get("dynamic")
        if dynamic:
            if dynamic == "jpage-proxy" and method != "POST":
                return self._send(405, b"POST only", {"Content-Type": "text/plain", "Allow": "POST"}, method)
            data = portals.dynamic(site, dynamic, self.path, body)
            return self._send(200, data, {"Content-Type": doc["content_type"]}, method)
        if doc["file"] is None:  # a declared error page (e.g. the navigation's dead link)
            return self._send(doc["status"], f"<html><body><h1>{doc['status']}</h1></body></html>".encode(),
                              {"Content-Type": "text/html; charset=utf-8"}, method)
        return self._file(portals, doc, method)

    def _challenge(self, appliance: str, method: str) -> int:
        """What an anti-bot appliance answers instead of the site: 加速乐 521, 瑞数 412."""
        if appliance == "jiasule":
            return self._send(521, JIASULE_PAGE, {"Content-Type": "text/html", "Set-Cookie":
                              "__jsluid_h=5f1e7a0c9b2d4e3f; max-age=31536000; path=/; HttpOnly"}, method)
        return self._send(412, RUISHU_PAGE, {"Content-Type": "text/html; charset=utf-8",
                                            "Set-Cookie": "FSSBBIl1UgzbN7N80S=abc; Path=/; HttpOnly"}, method)

    def _file(self, portals: DemoPortals, doc: dict[str, Any], method: str) -> int:
        """A stored page or file, answering conditional requests, gzip and cookies as its entry says."""
        data = portals.file_bytes(doc)
        etag = '"' + hashlib.sha1(data).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag or (
                not self.headers.get("If-None-Match") and self.headers.get("If-Modified-Since") == LAST_MODIFIED):
            return self._send(304, b"", {"ETag": etag, "Last-Modified": LAST_MODIFIED}, method)
        headers = {"Content-Type": doc["content_type"], "ETag": etag, "Last-Modified": LAST_MODIFIED}
        if doc.get("content_encoding") == "gzip":
            data = gzip.compress(data, mtime=0)
            headers["Content-Encoding"] = "gzip"
            headers["Vary"] = "Accept-Encoding"
        extra: list[tuple[str, str]] = []
        if doc.get("cookies"):
            extra = [("Set-Cookie", "JSESSIONID=9F2C4A1B; Path=/; HttpOnly"), ("Set-Cookie", "lang=zh-CN; Path=/")]
        if doc.get("role") == "attachment":
            extra.append(("Content-Disposition", attachment_disposition(doc)))
        return self._send(200, data, headers, method, extra, chunked=bool(doc.get("chunked")))

    def _send(self, status: int, data: bytes, headers: dict[str, str], method: str,
              extra: list[tuple[str, str]] | None = None, chunked: bool = False) -> int:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        for name, value in extra or []:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if method != "HEAD" and status != 304:
            if chunked:
                for start in range(0, len(data), 1000):
                    piece = data[start:start + 1000]
                    self.wfile.write(f"{len(piece):X}\r\n".encode() + piece + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.wfile.write(data)
        return status


def attachment_disposition(doc: dict[str, Any]) -> str:
    """Content-Disposition of an attachment as these portals send it: the Chinese file name as raw bytes
    (UTF-8 on TRS sites, GBK on older ones), not RFC 6266's filename*=. Returned as the Latin-1 reading of
    those bytes, which is how http.server writes a header line."""
    name = f"{doc['title']}.{doc['kind']}"
    raw = name.encode("utf-8" if doc["site"] == "trs" else "gbk")
    return 'attachment; filename="' + raw.decode("latin-1") + '"'


class DemoPortals:
    """The demo agencies' sites, started on loopback; a context manager that stops them cleanly."""

    def __init__(self, port: int = 0, host_prefix: str = "127.0.0.") -> None:
        self.manifest_data: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
        self.lock = threading.Lock()
        self.request_log: list[tuple[str, str, str, dict[str, str], int]] = []
        self.flaky_seen: set[str] = set()
        self.extra_published = False
        self.night = 0
        self.trap_pages = 0
        self._docs = {(d["site"], d["path"]): d for d in self.manifest_data["documents"]}
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self.port = port
        for index, site in enumerate(self.manifest_data["sites"]):
            site["ip"] = f"{host_prefix}{FIRST_IP + index}"
        self._start(port)

    def _start(self, port: int) -> None:
        sites = self.manifest_data["sites"]
        for attempt in range(20):
            servers: list[_Server] = []
            try:
                servers.append(_Server((sites[0]["ip"], port), self, sites[0]))
                self.port = servers[0].server_address[1]
                servers += [_Server((site["ip"], self.port), self, site) for site in sites[1:]]
                break
            except OSError:
                # The free port of the first address is taken on another one: try another port.
                for server in servers:
                    server.server_close()
                if port or attempt == 19:
                    raise
        self._servers = servers
        for server in servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                      name=f"demo-{server.site['id']}", daemon=True)
            thread.start()
            self._threads.append(thread)

    # --- content ---

    def host(self, site_id: str) -> str:
        """host:port of a site."""
        return f"{self.site(site_id)['ip']}:{self.port}"

    def site(self, site_id: str) -> dict[str, Any]:
        """A site's manifest entry (with its ip)."""
        return next(s for s in self.manifest_data["sites"] if s["id"] == site_id)

    def lookup(self, site_id: str, path: str) -> dict[str, Any] | None:
        """The manifest document served at `path` ('/x/' and '/x/index.html' alike)."""
        doc = self._docs.get((site_id, path))
        if doc is None and path.endswith("/index.html"):
            doc = self._docs.get((site_id, path[: -len("index.html")]))
        if doc is None and site_id == "modern" and path.startswith("/zwgk/ndbg/archive/list_"):
            doc = self._docs.get((site_id, "/zwgk/ndbg/archive/list_1.html"))
        return doc

    def tonight(self, doc: dict[str, Any] | None) -> dict[str, Any] | None:
        """A document as served on the current night: its entry with the latest of its `nights` variants
        (a changed file, or a status such as 404 with no file) up to tonight applied."""
        if doc is None or not doc.get("nights"):
            return doc
        served = dict(doc)
        for night in sorted(doc["nights"], key=int):
            if int(night) <= self.night:
                served.update(doc["nights"][night])
        return served

    def set_night(self, night: int) -> None:
        """Switch every site to night `night` (0 = as built): edits, withdrawals and template changes."""
        self.night = night

    def file_bytes(self, doc: dict[str, Any]) -> bytes:
        """A static file's bytes with `__HOST_<site>__` placeholders filled in and, after night 0, what a
        CMS changes in a page's template every night (its `nightly_template`: counter, menu, clock)."""
        data = (SITES / doc["file"]).read_bytes()
        if self.night and doc.get("nightly_template"):
            values = {"count": 126 + 37 * self.night, "night": self.night, "day": 20 + self.night,
                      "hour": self.night % 10}
            for built, nightly in doc["nightly_template"]:
                data = data.replace(built.encode(), nightly.format(**values).encode())
        if b"__HOST_" in data:
            for site in self.manifest_data["sites"]:
                data = data.replace(f"__HOST_{site['id']}__".encode(), self.host(site["id"]).encode())
        return data

    def dynamic(self, site: dict[str, Any], name: str, raw_path: str, body: bytes) -> bytes:
        """Answers of the dynamic endpoints: the Hanweb jpage list and proxy, the pagination trap."""
        if name == "trap":
            number = int(urlsplit(raw_path).path.rsplit("_", 1)[-1].split(".")[0] or 1)
            with self.lock:
                self.trap_pages += 1
            return (
                f'<!doctype html><html><head><meta charset="utf-8"><title>年报资料汇编 第{number}页</title></head><body>'
                f'<ul class="list"><li><a href="/zwgk/ndbg/">信息公开年度报告</a></li></ul>'
                f'<div class="pagination"><a href="list_{number + 1}.html">下一页</a></div></body></html>'
            ).encode()
        jpage = site["jpage"]
        records = list(jpage["records"])
        if self.extra_published:
            records.insert(0, jpage["extra_record"])
        items = [
            f'<li><a href="{r["href"]}" title="{r["title"]}" target="_blank">{r["title"]}</a><span>{r["date"]}</span></li>'
            for r in records
        ]
        if name == "jpage-proxy":
            query = parse_qs(urlsplit(raw_path).query)
            form = parse_qs(body.decode("utf-8", "replace"))
            if form.get("columnid", [""])[0] != jpage["columnid"] or form.get("unitid", [""])[0] != jpage["unitid"]:
                return b'<?xml version="1.0" encoding="utf-8"?><datastore><totalrecord>0</totalrecord><recordset></recordset></datastore>'
            start = int(query.get("startrecord", ["1"])[0])
            end = int(query.get("endrecord", [str(len(items))])[0])
            chosen = "".join(f"<record><![CDATA[{item}]]></record>" for item in items[start - 1:end])
            return (
                f'<?xml version="1.0" encoding="utf-8"?><datastore><nextgroup><![CDATA[]]></nextgroup>'
                f"<totalrecord>{len(items)}</totalrecord><totalpage>{-(-len(items) // jpage['perpage'])}</totalpage>"
                f"<recordset>{chosen}</recordset></datastore>"
            ).encode()
        inline = "".join(f"<record><![CDATA[{item}]]></record>" for item in items[: jpage["perpage"]])
        unit, col, web = jpage["unitid"], jpage["columnid"], jpage["webid"]
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>信息公开年报 - {site["agency"]}</title></head><body>
<div class="bt-position">当前位置：<a href="/">首页</a> &gt; <a href="/col/col1229/index.html">信息公开</a> &gt; 信息公开年报</div>
<div id="{unit}"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid={web}&path=/&columnid={col}&unitid={unit}&webname=%E5%BE%B7%E6%B8%85&permissiontype=0"></a>]]></nextgroup>
<recordset>{inline}</recordset></datastore></script></div>
<script language="javascript" src="/module/web/jpage/jpage.js"></script>
<script>var jpage = new JPage({{ perPage: {jpage["perpage"]}, totalRecord: {len(items)},
 proxyUrl: "/module/web/jpage/dataproxy.jsp", unitid: "{unit}", col: 1, appid: 1, webid: {web}, path: "/",
 columnid: {col}, sourceContentType: 1, webname: "德清县应急管理局", permissiontype: 0 }});</script>
<div id="footer">网站标识码：3305210001</div></body></html>""".encode()

    # --- public API ---

    def url(self, site_id: str, path: str) -> str:
        """Absolute URL of `path` on a site."""
        return f"http://{self.host(site_id)}{path}"

    def manifest(self) -> dict[str, Any]:
        """Ground truth with absolute URLs (`url` on every document, `seed` and `ip` on every site)."""
        data = json.loads(json.dumps(self.manifest_data))
        for site in data["sites"]:
            site["seed"] = self.url(site["id"], site["seed_path"])
        for doc in data["documents"]:
            doc["url"] = self.url(doc["site"], doc["path"])
            if doc.get("parent"):
                doc["parent_url"] = self.url(doc["site"], doc["parent"])
            if doc.get("location"):
                doc["location_url"] = self.url(doc["site"], doc["location"])
        return data

    def seeds_csv(self, path: Path | str) -> Path:
        """Write the seeds CSV (agency,province,city,county,url,kind) and return its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["agency", "province", "city", "county", "url", "kind"])
            for site in self.manifest_data["sites"]:
                writer.writerow([site["agency"], site["province"], site["city"], site["county"],
                                 self.url(site["id"], site["seed_path"]), site["kind"]])
        return path

    def publish_extra_report(self) -> str:
        """Make one more report appear on the Hanweb list; returns its URL."""
        self.extra_published = True
        return self.url("hanweb", self.site("hanweb")["jpage"]["extra_record"]["href"])

    def close(self) -> None:
        """Stop every server and wait for their threads."""
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers, self._threads = [], []

    def __enter__(self) -> DemoPortals:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def main() -> None:
    """Run the demo portals in the foreground until Ctrl-C."""
    logging.basicConfig(level=logging.INFO)
    with DemoPortals() as portals:
        for site in portals.manifest()["sites"]:
            print(f"{site['agency']:<16} {site['seed']}")
        print("Ctrl-C to stop.")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
