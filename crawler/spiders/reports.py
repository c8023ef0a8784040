"""The `reports` discovery spider: portal home → 政府信息公开 column → 年报 column → every list page →
report articles → their attachments. Every decision is logged at DEBUG with its reasons.

Run through `nianbao crawl` (which adds the archive, run id and modes), or as any Scrapy spider:
    scrapy crawl reports -s NIANBAO_SEEDS=seeds.csv -s NIANBAO_ARCHIVE=./archive
"""

from __future__ import annotations

import fnmatch
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
import scrapy
from scrapy.http import Response

from crawler.pagination import (
    PageRequest,
    cdata_links,
    hanweb_proxy_requests,
    hanweb_records,
    jpaas_html,
    jpaas_params,
    jpaas_request,
    trs_pages,
)
from crawler.scoring import LinkDecision, is_attachment_url, score_link
from crawler.seeds import Seed, load_seeds
from crawler.urls import canonical_url, host_key
from extract.classify import classify_title
from extract.decoding import decode_html

__all__ = ["ReportsSpider", "detect_block"]

logger = logging.getLogger(__name__)

_PRIORITY = {"attachment": 30, "report": 20, "candidate": 15, "list": 10, "column": 5, "seed": 0}
_HOP = {"column": "L", "list": "L", "report": "L", "candidate": "L", "attachment": "E"}


_SCRIPT_OR_STYLE = re.compile(rb"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(rb"<[^>]*>")


def _visible_bytes(body: bytes) -> int:
    """Bytes of text a reader would see (scripts, styles, tags and whitespace removed)."""
    text = _TAG.sub(b"", _SCRIPT_OR_STYLE.sub(b"", body[:200000]))
    return len(re.sub(rb"\s+", b"", text))


def detect_block(status: int, body: bytes, set_cookie: str = "") -> str:
    """Name of the anti-bot appliance answering instead of the site ('' if none).

    A challenge is the appliance's status (瑞数 412/202, 加速乐 521) or a page that is nothing but its
    script. Protected sites keep the script on their real pages too (瑞数's `$_ts` bootstrap sits in
    every article of fzgg.gansu.gov.cn): a page with content is the site, not a block."""
    head = body[:20000]
    ruishu = b"$_ts" in head or b"FSSBBIl1UgzbN7N80S" in head
    jiasule = b"__jsl_clearance" in head or "__jsluid" in set_cookie  # its script spells the name out in pieces
    waf = b"yunsuo_session_verify" in head or b"_waf_" in head
    if status in (202, 412) and ruishu:
        return "ruishu"
    if status == 521:
        return "jiasule"
    if (ruishu or jiasule or waf) and _visible_bytes(body) < 200:
        return "ruishu" if ruishu else "jiasule" if jiasule else "waf"
    return ""


class ReportsSpider(scrapy.Spider):
    """Finds every annual report (and its attachments) of each seed's agency."""

    name = "reports"
    handle_httpstatus_list = [304, 404, 403, 410, 412, 500, 502, 503, 521]

    def __init__(self, seeds: list[Seed] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._seeds = seeds
        self.blocked: dict[str, str] = {}  # seed URL → appliance
        self.seed_ok: set[str] = set()
        self.validators: dict[str, tuple[str, str]] = {}  # filled in start() from the settings
        self.skip_urls: dict[str, list[list[str]]] = {}

    # --- settings ---

    def _setting(self, name: str, default: Any = None) -> Any:
        return self.crawler.settings.get(name, default)

    @property
    def max_list_pages(self) -> int:
        return int(self._setting("NIANBAO_MAX_LIST_PAGES", 50))

    @property
    def max_nav_depth(self) -> int:
        return int(self._setting("NIANBAO_MAX_NAV_DEPTH", 4))

    @property
    def aggregator_hosts(self) -> list[str]:
        return [h.strip().lower() for h in self.crawler.settings.getlist("NIANBAO_AGGREGATOR_HOSTS", ["*.gov.cn"])
                if h.strip()]

    def aggregator_may_lead_to(self, url: str) -> bool:
        """Whether an aggregation page may send the crawl to `url`'s host (other agencies' report columns)."""
        host = (urlsplit(url).hostname or "").lower()
        return any(fnmatch.fnmatchcase(host, pattern) for pattern in self.aggregator_hosts)

    def seeds(self) -> list[Seed]:
        """Seeds passed in, or read from the NIANBAO_SEEDS file (for `scrapy crawl reports`)."""
        if self._seeds is None:
            path = self._setting("NIANBAO_SEEDS")
            if not path:
                raise ValueError("no seeds: pass -s NIANBAO_SEEDS=seeds.csv (or use `nianbao crawl --seeds`)")
            self._seeds = load_seeds(Path(path), self._setting("NIANBAO_PROVINCE") or None)
        return self._seeds

    # --- start ---

    async def start(self) -> AsyncIterator[Any]:
        validators = self._setting("NIANBAO_VALIDATORS") or {}
        self.validators = dict(validators)
        # --resume: url → attachment links read from its archived copy (so a skipped report's files still come)
        self.skip_urls = dict(self._setting("NIANBAO_SKIP_URLS") or {})
        for seed in self.seeds():
            url = canonical_url(seed.url)
            provenance = {"seed": url, "agency": seed.agency, "province": seed.province, "city": seed.city,
                          "county": seed.county, "via": "", "link_text": "", "hop_path": "", "role": "seed",
                          "reason": "seed", "run_id": self._setting("NIANBAO_RUN_ID", "")}
            state = {"allowed": [host_key(url)], "nav": 0, "page": 1, "aggregator": seed.kind == "aggregator",
                     "list_key": ""}
            role = "list" if seed.kind == "aggregator" else "seed"
            yield scrapy.Request(url, errback=self.failed, priority=0,
                                 meta={"nianbao": provenance, "nb": state, "role": role})

    # --- callbacks ---

    def failed(self, failure: Any) -> None:
        """A request that never got an answer (DNS, timeout, refused): recorded, the crawl goes on."""
        request = failure.request
        message = failure.getErrorMessage()
        if "robots.txt" in message:
            self.crawler.stats.inc_value("nianbao/robots_disallowed")
            logger.info("not fetched %s: disallowed by robots.txt", request.url)
            return
        reason = failure.value.__class__.__name__
        self.crawler.stats.inc_value(f"nianbao/errors/{reason}")
        logger.warning("failed %s: %s (%s)", request.url, message, reason)

    def parse(self, response: Response, **_: Any) -> Iterator[Any]:
        meta = response.meta
        role: str = meta.get("role", "seed")
        provenance: dict[str, str] = meta["nianbao"]
        seed = provenance["seed"]
        stats = self.crawler.stats
        set_cookie = b"; ".join(response.headers.getlist("Set-Cookie")).decode("latin-1")
        appliance = detect_block(response.status, response.body, set_cookie)
        if appliance:
            self.blocked[seed] = appliance
            stats.inc_value(f"nianbao/blocked/{appliance}")
            logger.warning("blocked by %s at %s (agency %s): its reports cannot be listed", appliance, response.url,
                           provenance.get("agency"))
            return
        if response.status == 304:
            stats.inc_value("nianbao/unchanged")
            yield self._item(response, role, changed=False)
            return
        if response.status >= 400:
            stats.inc_value(f"nianbao/http/{response.status}")
            return
        self.seed_ok.add(seed)
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
        if role == "attachment" or (is_attachment_url(response.url) and "html" not in content_type):
            yield self._item(response, "attachment")
            return
        body = response.body
        if "json" in content_type or body[:1] in (b"{", b"["):
            html = jpaas_html(response.text if hasattr(response, "text") else body.decode("utf-8", "replace"))
            yield from self._follow_links(response, _links_in(html, response.url), "list")
            if html and "<a" in html and meta.get("jpaas"):
                page = meta["nb"]["page"] + 1
                if page <= self.max_list_pages:
                    values, size = meta["jpaas"]
                    yield self._page_request(response, jpaas_request(response.url, values, page, size),
                                             extra={"jpaas": meta["jpaas"]})
            return
        text = decode_html(body, content_type).text
        if "xml" in content_type and "<recordset>" in text:
            yield from self._follow_links(response, cdata_links(text), "list")
            return
        if role == "candidate":  # an article of a report column: a report only if its own page says so
            title = _title(text)
            verdict = classify_title(title)
            if not (verdict.is_report and verdict.year is not None):
                stats.inc_value("nianbao/candidates/not_report")
                logger.debug("archived %s, not a report: page title %r", response.url, title[:60])
                return
            stats.inc_value("nianbao/candidates/report")
            role = "report"
        if role == "report":
            yield self._item(response, "report", title=_title(text))
            # From a report page only its files matter: navigation was scored on the way in.
            files = [(h, t) for h, t in _links_in(text, response.url) if is_attachment_url(urljoin(response.url, h))]
            yield from self._follow_links(response, files, "report")
            return
        links = _links_in(text, response.url)
        page_role = role
        if role in ("list", "seed", "column"):
            records = hanweb_records(text)
            if records:
                page_role = "list"
                links = records + links
        yield from self._follow_links(response, links, page_role)
        if page_role == "list" or role == "list":
            yield from self._paginate(response, text)

    # --- helpers ---

    def _paginate(self, response: Response, text: str) -> Iterator[scrapy.Request]:
        cap = self.max_list_pages
        for page in trs_pages(response.url, text, cap):
            yield self._page_request(response, page)
        for page in hanweb_proxy_requests(response.url, text, cap):
            yield self._page_request(response, page)
        params = jpaas_params(text)
        if params:
            yield self._page_request(response, jpaas_request(response.url, params[0], 1, params[1]),
                                     extra={"jpaas": params})

    def _page_request(self, response: Response, page: PageRequest, extra: dict[str, Any] | None = None) -> scrapy.Request:
        provenance = {**response.meta["nianbao"], "via": response.url, "link_text": f"page {page.page}",
                      "hop_path": response.meta["nianbao"]["hop_path"] + "P", "role": "list",
                      "reason": f"list pagination, page {page.page} of at most {self.max_list_pages}"}
        state = {**response.meta["nb"], "page": page.page}
        logger.debug("follow %s (list page %d): %s", page.url, page.page, provenance["reason"])
        return scrapy.Request(page.url, method=page.method, body=page.body or None, headers=dict(page.headers) or None,
                              errback=self.failed, priority=_PRIORITY["list"],
                              meta={"nianbao": provenance, "nb": state, "role": "list", **(extra or {})})

    def _follow_links(self, response: Response, links: list[tuple[str, str]], page_role: str) -> Iterator[scrapy.Request]:
        state = response.meta["nb"]
        provenance = response.meta["nianbao"]
        allowed = set(state["allowed"])
        seen: set[str] = set()
        for href, text in links:
            href = href.strip()
            if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
                continue
            url = canonical_url(urljoin(response.url, href))
            if url in seen or not url.startswith(("http://", "https://")):
                continue
            seen.add(url)
            decision = score_link(url, text, page_role)
            if decision.role == "drop":
                logger.debug("drop %s %r: %s", url, text[:40], decision.reason)
                continue
            new_allowed = allowed
            link_provenance = provenance
            if host_key(url) not in allowed:
                if decision.role == "attachment" and page_role == "report":
                    pass  # attachments are fetched wherever a report page links them
                elif state.get("aggregator") and decision.role in ("list", "report") and page_role == "list":
                    if not self.aggregator_may_lead_to(url):
                        logger.debug("drop %s %r: an aggregator leads only to NIANBAO_AGGREGATOR_HOSTS (%s)", url,
                                     text[:40], ", ".join(self.aggregator_hosts))
                        continue
                    new_allowed = allowed | {host_key(url)}
                    if decision.role == "list":  # the aggregator links another agency's report column
                        link_provenance = {**provenance, "agency": _agency_from_link(text) or provenance["agency"]}
                else:
                    logger.debug("drop %s %r: another site (%s), not followed from this seed", url, text[:40],
                                 host_key(url))
                    continue
            if decision.role in ("report", "candidate", "attachment") and url in self.skip_urls:
                yield from self._resumed(url, text, decision.role, link_provenance, state)
                continue
            request = self._link_request(response, url, text, decision, state, link_provenance, new_allowed, page_role)
            if request is not None:
                yield request

    def _link_request(self, response: Response, url: str, text: str, decision: LinkDecision, state: dict[str, Any],
                      provenance: dict[str, str], allowed: set[str], page_role: str) -> scrapy.Request | None:
        role = decision.role
        nav, page, list_key = state["nav"], state["page"], state.get("list_key", "")
        if role == "column":
            nav += 1
            if nav > self.max_nav_depth:
                logger.debug("drop %s: navigation depth %d > %d", url, nav, self.max_nav_depth)
                return None
        elif role == "list":
            is_pagination = decision.reason.startswith("pagination") and page_role == "list"
            page = page + 1 if is_pagination else 1
            if page > self.max_list_pages:
                self.crawler.stats.inc_value("nianbao/page_cap_reached")
                logger.info("page cap (%d) reached at %s: not following %s", self.max_list_pages, response.url, url)
                return None
            if not is_pagination:
                nav += 1
                if nav > self.max_nav_depth + 2:
                    logger.debug("drop %s: navigation depth %d", url, nav)
                    return None
        headers: dict[str, str] = {}
        if role in ("report", "candidate", "attachment") and url in self.validators:
            etag, last_modified = self.validators[url]
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        hop = _HOP.get(role, "L") if not decision.reason.startswith("pagination") else "P"
        new_provenance = {**provenance, "via": response.url, "link_text": text[:200],
                          "hop_path": provenance["hop_path"] + hop, "role": role,
                          "reason": f"{decision.reason} (score {decision.score:.2f})"}
        new_state = {**state, "allowed": sorted(allowed), "nav": nav, "page": page, "list_key": list_key}
        logger.debug("follow %s as %s: %s", url, role, new_provenance["reason"])
        return scrapy.Request(url, headers=headers or None, errback=self.failed,
                              priority=_PRIORITY.get(role, 0),
                              meta={"nianbao": new_provenance, "nb": new_state, "role": role})

    def _resumed(self, url: str, text: str, role: str, provenance: dict[str, str],
                 state: dict[str, Any]) -> Iterator[scrapy.Request]:
        """A report or file the interrupted harvest already captured: not refetched; a report's files still are."""
        logger.debug("skip %s: already captured in this harvest (--resume)", url)
        self.crawler.stats.inc_value("nianbao/resume_skipped")
        if role != "candidate":  # a candidate's archived page decided, in its own run, whether it was a report
            self.crawler.stats.inc_value(f"nianbao/found/{role}")
        if role == "attachment":
            return
        for attachment, link_text in self.skip_urls.get(url, []):
            if attachment in self.skip_urls:
                self.crawler.stats.inc_value("nianbao/resume_skipped")
                continue
            meta_provenance = {**provenance, "via": url, "link_text": link_text[:200],
                               "hop_path": provenance["hop_path"] + "LE", "role": "attachment",
                               "reason": "file linked from a report page (read from its archived copy on --resume)"}
            yield scrapy.Request(attachment, errback=self.failed, priority=_PRIORITY["attachment"],
                                 meta={"nianbao": meta_provenance, "nb": state, "role": "attachment"})

    def _item(self, response: Response, role: str, title: str = "", changed: bool = True) -> dict[str, Any]:
        provenance = response.meta["nianbao"]
        title = title or provenance.get("link_text", "")
        verdict = classify_title(title)
        self.crawler.stats.inc_value(f"nianbao/found/{role}")
        return {"url": response.url, "role": role, "title": title, "year": verdict.year,
                "is_report": verdict.is_report if role == "report" else None, "agency": provenance.get("agency", ""),
                "province": provenance.get("province", ""), "seed": provenance.get("seed", ""),
                "via": provenance.get("via", ""), "status": response.status, "changed": changed}


def attachment_links(body: bytes, content_type: str, url: str) -> list[list[str]]:
    """[absolute URL, link text] of the files a report page links (used by --resume on archived copies)."""
    text = decode_html(body, content_type).text
    links = []
    for href, link_text in _links_in(text, url):
        absolute = canonical_url(urljoin(url, href.strip()))
        if is_attachment_url(absolute):
            links.append([absolute, link_text])
    return links


def _links_in(html: str, base: str) -> list[tuple[str, str]]:
    """(href, text or title) of every <a> in an HTML fragment or page."""
    if not html or "<a" not in html.lower():
        return []
    try:
        root = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return []
    links = []
    for anchor in root.iter("a"):
        href = anchor.get("href")
        if href:
            text = re.sub(r"\s+", " ", anchor.text_content() or "").strip()
            title = re.sub(r"\s+", " ", anchor.get("title") or "").strip()
            cut = text.rstrip(".…· ")
            # Lists cut long titles ("…2023年政府信息公开工...") and keep the whole one in title="…".
            if title and not re.fullmatch(r"\d{1,4}|[<>«»‹›]+", text) and (len(text) < 4 or (
                    len(title) > len(cut) and title.replace(" ", "").startswith(cut.replace(" ", "")))):
                text = title
            links.append((href, text))
    return links


_COLUMN_SUFFIX = re.compile(r"(政府)?(信息|資訊)?(公开|公開)?(工作)?(年度)?(报告|報告|年报|年報)(专栏|專欄)?$")


def _agency_from_link(text: str) -> str:
    """安顺市西秀区人民政府政府信息公开年报 → 安顺市西秀区人民政府."""
    name = _COLUMN_SUFFIX.sub("", re.sub(r"\s+", "", text))
    return name if 3 <= len(name) <= 40 else ""


def _title(html: str) -> str:
    match = re.search(r"""<meta\s+name=["']ArticleTitle["']\s+content=["']([^"']+)""", html, re.IGNORECASE)
    if match:
        return match.group(1).strip()
    match = re.search(r"<title>(.*?)</title>", html, re.DOTALL | re.IGNORECASE)
    return re.sub(r"\s+", " ", match.group(1)).strip() if match else ""
