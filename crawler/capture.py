"""Capture every exchange Scrapy makes into WARC, as received.

`WarcCaptureMiddleware` sits next to the downloader (priority 990): its `process_response` runs before
decompression (590), redirects (600) and retries (550), so it sees gzip bodies still compressed, every
3xx and every retried 5xx, and robots.txt. What Scrapy's transport does not keep is declared the way
Browsertrix does: a de-chunked body has its `Transfer-Encoding` renamed `X-Archive-Orig-Transfer-Encoding`
and a corrected `Content-Length`; the reason phrase is the standard one for the status.
"""

from __future__ import annotations

import errno
import json
import logging
import time
from http import HTTPStatus
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotConfigured,
    ResponseDataLossError,
)
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import defer
from twisted.internet import error as net
from twisted.web.client import (
    PartialDownloadError,
    RequestTransmissionFailed,
    ResponseFailed,
    ResponseNeverReceived,
)

from archive.warc.crawllog import (
    CONNECT_FAILED,
    CONNECTION_LOST,
    DNS_FAILED,
    ROBOTS_PRECLUDED,
    RUNTIME_ERROR,
    TIMEOUT,
    CrawlLog,
)
from archive.warc.inflate import inflate, parse_codings
from archive.warc.writer import Exchange, WarcWriter, sha1_digest, warc_date
from crawler import __version__
from crawler.plan import RunPlan, run_plan
from crawler.settings.declared import setting
from crawler.signals import warc_committed
from crawler.transport import CONNECTION_HEADERS_KEPT
from extract.decoding import decode_html
from extract.list_detect import detect_list

__all__ = ["WarcCaptureMiddleware", "list_fields"]

logger = logging.getLogger(__name__)


_REASONS = {status.value: status.phrase for status in HTTPStatus}


def _pairs(headers: Any) -> list[tuple[str, str]]:
    """Scrapy Headers → (name, value) pairs, every value of a repeated header kept, in order."""
    # Headers is a dict of normalised name → list of values; reading it as a plain dict skips the
    # per-key normalisation of Headers.items(), which cost more than the rest of this function.
    return [(name.decode("latin-1") if isinstance(name, bytes) else str(name),
             value.decode("latin-1") if isinstance(value, bytes) else str(value))
            for name, values in dict.items(headers) for value in (values if isinstance(values, list) else [values])]


def fetch_status(exception: BaseException) -> int | None:
    """Heritrix's fetch-status code for a fetch that ended in `exception`; None when no fetch was tried."""
    if isinstance(exception, IgnoreRequest):
        return ROBOTS_PRECLUDED if "robots.txt" in str(exception) else None  # others: filtered, never sent
    # Scrapy's own download errors first, then what a handler may still raise from Twisted or asyncio.
    if isinstance(exception, (CannotResolveHostError, net.DNSLookupError)):
        return DNS_FAILED
    if isinstance(exception, (DownloadTimeoutError, net.TimeoutError, defer.TimeoutError, TimeoutError)):
        return TIMEOUT
    if isinstance(exception, (DownloadConnectionRefusedError, net.ConnectError, ConnectionRefusedError)):
        return CONNECT_FAILED  # refused, no route, connect timed out
    if isinstance(exception, (ResponseDataLossError, DownloadFailedError, net.ConnectionLost, net.ConnectionDone,
                              ResponseFailed, ResponseNeverReceived, RequestTransmissionFailed,
                              PartialDownloadError, ConnectionError)):
        return CONNECTION_LOST
    return RUNTIME_ERROR


def _declare_transport_changes(headers: list[tuple[str, str]], body: bytes, wire: str,
                               status: int, framing_known: bool = True) -> list[tuple[str, str]]:
    """Headers consistent with the body we have: transport framing declared, Content-Length corrected.

    With `crawler.transport`'s handler the response keeps the Transfer-Encoding it came with: a chunked
    body, which the transport de-chunked, is declared `X-Archive-Orig-Transfer-Encoding: chunked` with a
    Content-Length added. Without it (`framing_known` false), Twisted has kept the framing headers to
    itself, and a missing Content-Length on an HTTP/1.1 answer is taken to mean chunked.
    """
    out: list[tuple[str, str]] = []
    has_length = False
    for name, value in headers:
        lower = name.lower()
        if lower == "transfer-encoding":
            out.append(("X-Archive-Orig-Transfer-Encoding", value))
        elif lower == "content-length":
            has_length = True
            if value.strip() != str(len(body)):
                out.append(("X-Archive-Orig-Content-Length", value))
                out.append(("Content-Length", str(len(body))))
            else:
                out.append((name, value))
        else:
            out.append((name, value))
    dechunked = any(n == "X-Archive-Orig-Transfer-Encoding" for n, _ in out)
    if not has_length and not dechunked and not framing_known and wire == "http/1.1" and status not in (204, 304):
        out.append(("X-Archive-Orig-Transfer-Encoding", "chunked"))
        dechunked = True
    if not has_length and (dechunked or not framing_known):
        out.append(("Content-Length", str(len(body))))
    return out


class WarcCaptureMiddleware:
    """Downloader middleware writing request, response (or revisit) and metadata records for each exchange."""

    def __init__(self, crawler: Crawler, writer: WarcWriter, crawl_log: CrawlLog, plan: RunPlan) -> None:
        self.crawler = crawler
        self.writer = writer
        self.crawl_log = crawl_log
        self.run_id = plan.run_id
        # url → (payload digest, WARC-Date): the archive's, asked per URL, and this run's own captures
        self.archived = plan.known_digests
        self.known: dict[str, tuple[str, str]] = {}
        self.debug = crawler.settings.get("LOG_LEVEL") in ("DEBUG", logging.DEBUG)
        self.counts = {"warc/records": 0, "warc/responses": 0, "warc/revisits": 0,
                       "new_documents": 0, "changed_documents": 0, "unchanged_documents": 0}
        self._addresses: dict[Any, str] = {}
        self.stopping = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCaptureMiddleware:
        settings = crawler.settings
        archive = setting(settings, "NIANBAO_ARCHIVE")
        if not archive or not setting(settings, "NIANBAO_WARC_ENABLED"):
            raise NotConfigured("no WARC capture (NIANBAO_ARCHIVE unset or NIANBAO_WARC_ENABLED off)")
        plan = run_plan(crawler)
        writer = WarcWriter(Path(archive) / "warc", prefix=setting(settings, "NIANBAO_WARC_PREFIX"),
                            worker=setting(settings, "NIANBAO_WARC_WORKER"),
                            max_size=setting(settings, "NIANBAO_WARC_MAX_SIZE"),
                            gzip_level=setting(settings, "NIANBAO_WARC_GZIP_LEVEL"),
                            warcinfo=_warcinfo(settings, plan), fsync=setting(settings, "NIANBAO_WARC_FSYNC"),
                            fault_after_bytes=setting(settings, "NIANBAO_FAULT_KILL_AFTER_BYTES"))
        middleware = cls(crawler, writer, CrawlLog(Path(archive) / "logs" / f"crawl-{plan.run_id}.log"), plan)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        crawler.signals.connect(writer.committed, signal=warc_committed)
        return middleware

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        request.meta["nianbao_started"] = time.monotonic()  # per attempt: a retry or redirect copies the meta

    def process_response(self, request: Request, response: Response, spider: Spider | None = None) -> Response:
        try:
            self._archive(request, response)
        except OSError as exc:  # the archive's disk, not the page: nothing more can be archived
            self._stop_archiving(response.url, exc)
        except Exception:  # archiving must never kill the crawl; the log names the URL
            logger.exception("could not archive %s", response.url)
            self.crawler.stats.inc_value("nianbao/warc/errors")
        return response

    def _stop_archiving(self, url: str, exc: OSError) -> None:
        """A write failed (a full disk): stop the crawl, leaving the open WARC file for `verify --repair`."""
        self.crawler.stats.inc_value("nianbao/warc/errors")
        if self.stopping:
            return
        self.stopping = True
        reason = "disk-full" if exc.errno == errno.ENOSPC else "archive-write-failed"
        self.crawler.stats.set_value("nianbao/archive_error", reason)
        logger.error("could not archive %s: %s. The crawl stops; the WARC file stays .open for "
                     "`nianbao verify --repair`", url, exc)
        if self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        """A fetch without an HTTP answer (timeout, refused, dropped, robots.txt): one crawl-log line, then
        Scrapy's retry and the spider's errback carry on as before."""
        status = fetch_status(exception)
        if status is None:
            return
        try:
            # robots.txt stops a request before it is sent: no duration
            self._log(request, self._provenance(request), status=status, size=None, content_type="", digest="",
                      note=f"err={type(exception).__name__}", timed=status != ROBOTS_PRECLUDED)
        except Exception:  # logging must never kill the crawl either
            logger.exception("could not log the failed fetch of %s", request.url)

    def _archive(self, request: Request, response: Response) -> None:
        parts = urlparse_cached(request)  # parsed once already by the downloader
        target = parts.path or "/"
        if parts.params:
            target += ";" + parts.params
        if parts.query:
            target += "?" + parts.query
        request_headers = _pairs(request.headers)
        if not dict.__contains__(request.headers, b"Host"):  # Twisted adds it when sending; Headers keys are Title-Case
            request_headers.insert(0, ("Host", parts.netloc))
        body = response.body
        wire = (getattr(response, "protocol", None) or "HTTP/1.1").lower()  # "http/1.1", "http/1.0", "h2"
        # The record's status line is HTTP/1.x whatever the wire spoke (as Browsertrix writes h2 answers);
        # WARC-Protocol says what it was.
        protocol = wire.upper() if wire.startswith("http/1") else "HTTP/1.1"
        reason = _REASONS.get(response.status, "")
        exchange = Exchange(
            url=request.url, method=request.method, request_target=target, request_headers=request_headers,
            request_body=request.body or b"", status=response.status, reason=reason, protocol=protocol,
            response_headers=_declare_transport_changes(_pairs(response.headers), body, wire, response.status,
                                                        framing_known=bool(request.meta.get(CONNECTION_HEADERS_KEPT))),
            body=body, wire_protocol=wire,
            ip_address=self._address(response.ip_address), fetched_at=warc_date())
        digest = sha1_digest(body)
        previous = self.known.get(request.url) or self.archived.get(request.url)
        # A revisit refers to the earlier capture of this URL: (its URI, its WARC-Date).
        revisit = (request.url, previous[1]) if (previous and previous[0] == digest and response.status == 200
                                                 and body) else None
        provenance = self._provenance(request)
        if provenance.get("role") == "list" and response.status == 200:
            provenance.update(list_fields(response))
        records = self.writer.exchange_records(exchange, provenance, revisit_of=revisit, body_digest=digest)
        (name, offset, _length), *_ = self.writer.write(records)
        role = provenance.get("role", "")
        if response.status == 200 and body and role in ("report", "attachment"):
            self.counts["unchanged_documents" if revisit else "changed_documents" if previous else "new_documents"] += 1
        if not revisit and response.status == 200 and body:
            self.known[request.url] = (digest, exchange.fetched_at)
        # Counted here, put in the stats at close: Scrapy's stats collector costs ~1 µs a call.
        self.counts["warc/revisits" if revisit else "warc/responses"] += 1
        self.counts["warc/records"] += len(records)
        self._log(request, provenance, status=response.status, size=len(body),
                  content_type=(response.headers.get("Content-Type") or b"").decode("latin-1"), digest=digest,
                  note="revisit" if revisit else "", when=exchange.fetched_at)
        if self.debug:  # a disabled logger.debug still builds its record: ~5% of archiving's cost
            logger.debug("archived %s %s in %s@%d", response.status, request.url, name, offset)

    def _log(self, request: Request, provenance: dict[str, Any], *, status: int, size: int | None, content_type: str,
             digest: str, note: str, when: str = "", timed: bool = True) -> None:
        """One crawl-log line for this attempt at `request`; a retry is annotated `attempt=N`."""
        started = request.meta.get("nianbao_started")
        attempt = provenance["retry_times"] + 1
        notes = [n for n in (note, f"attempt={attempt}" if attempt > 1 else "") if n]
        self.crawl_log.write(status=status, size=size, url=request.url, hop_path=str(provenance.get("hop_path", "")),
                             via=str(provenance.get("via", "")), content_type=content_type,
                             duration_ms=int((time.monotonic() - started) * 1000) if started and timed else 0,
                             digest=digest, annotations=",".join(notes), when=when)

    def _provenance(self, request: Request) -> dict[str, Any]:
        """The metadata record's fields: the spider's provenance, this run, the redirect hop, the retry count."""
        provenance = dict(request.meta.get("nianbao") or {})
        provenance["run_id"] = self.run_id
        redirected_from = request.meta.get("redirect_urls")
        if redirected_from:
            provenance["via"] = redirected_from[-1]
            provenance["hop_path"] = str(provenance.get("hop_path", "")) + "R"
        provenance["retry_times"] = request.meta.get("retry_times", 0)
        return provenance

    def _address(self, ip: Any) -> str:
        """The server's address as text; ipaddress's str() is slow and a crawl meets few addresses."""
        if not ip:
            return ""
        text = self._addresses.get(ip)
        if text is None:
            text = self._addresses[ip] = str(ip)
        return text

    def close(self, spider: Spider | None = None) -> None:
        """Close the WARC file (renamed from .open) and the crawl log."""
        for name, count in self.counts.items():
            if count:
                self.crawler.stats.set_value(f"nianbao/{name}", count)
        for what, close in (("the WARC file (or its manifest)", self.writer.close),
                            ("the crawl log", self.crawl_log.close)):
            try:
                close()
            except OSError as exc:  # a full disk at the very end: the records are written, `verify --repair` ends it
                self.stopping = True
                reason = "disk-full" if exc.errno == errno.ENOSPC else "archive-write-failed"
                self.crawler.stats.set_value("nianbao/archive_error", reason)
                logger.error("could not close %s: %s; run `nianbao verify --repair`", what, exc)


_LIST_BYTES = 4 * 1024 * 1024  # a list page larger than this is not a CMS list worth reading for its size


def list_fields(response: Response) -> dict[str, str]:
    """`list_shown`, `list_declared`, `list_form` of a list page whose script declares the list's size
    (extract.list_detect), for its metadata record: the index compares what the crawl reached with it."""
    codings = parse_codings(v.decode("latin-1") for v in response.headers.getlist("Content-Encoding"))
    decoded = inflate(response.body, codings, max_bytes=_LIST_BYTES)
    if decoded.error or b"<" not in decoded.body[:4096]:
        return {}
    content_type = (response.headers.get("Content-Type") or b"").decode("latin-1")
    extent = detect_list(decode_html(decoded.body, content_type).text)
    if extent is None:
        return {}
    return {"list_shown": str(extent.shown), "list_declared": str(extent.declared), "list_form": extent.form}


def _warcinfo(settings: BaseSettings, plan: RunPlan) -> dict[str, str]:
    """The fields of each WARC file's warcinfo record: software, run, operator, politeness settings."""
    info = {
        "software": f"nianbao/{__version__} (Scrapy, warcio)",
        "format": "WARC File Format 1.1",
        "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        "isPartOf": plan.run_id,
        "operator": setting(settings, "NIANBAO_OPERATOR"),
        "http-header-user-agent": settings.get("USER_AGENT", ""),
        "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
        "nianbao-run-id": plan.run_id,
        "nianbao-mode": plan.mode,
        "nianbao-settings": json.dumps({k: settings.get(k) for k in (
            "DOWNLOAD_DELAY", "CONCURRENT_REQUESTS_PER_DOMAIN", "ROBOTSTXT_OBEY", "DEPTH_LIMIT",
            "NIANBAO_MAX_LIST_PAGES", "NIANBAO_WARC_MAX_SIZE")}, ensure_ascii=False, default=str),
    }
    contact = setting(settings, "NIANBAO_CONTACT_URL")
    if contact:
        info["contact"] = contact
    return info
