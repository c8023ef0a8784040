"""The `reports` discovery spider: portal home → 政府信息公开 column → 年报 column → every list page →
report articles → their attachments. Every decision is logged at DEBUG with its reasons.

Run through `nianbao crawl` (which makes the run's plan: archive, run id, mode), or as any Scrapy spider:
    scrapy crawl reports -s NIANBAO_SEEDS=seeds.csv -s NIANBAO_ARCHIVE=./archive
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response

from archive.index.groups import report_unit
from crawler.pages import agency_from_link, detect_block, file_links, links_in, page_title
from crawler.pagination import (
    PageRequest,
    cdata_links,
    hanweb_proxy_requests,
    hanweb_records,
    jpaas_article_list,
    jpaas_html,
    jpaas_params,
    jpaas_request,
    trs_dynamic_pages,
    trs_pages,
)
from crawler.plan import RunPlan, archived_copy, default_plan
from crawler.scoring import LinkDecision, disclosure_target, is_attachment_url, score_link
from crawler.seeds import Seed, load_seeds
from crawler.settings.declared import setting
from crawler.urls import canonical_url, host_key, in_scope, own_domain, quick_host_key, sibling_host
from extract.classify import classify_title
from extract.decoding import decode_html
from extract.list_detect import detect_list

__all__ = ["Nav", "ReportsSpider"]

logger = logging.getLogger(__name__)

_PRIORITY = {"attachment": 30, "report": 20, "candidate": 15, "list": 10, "column": 5, "seed": 0}
_HOP = {"column": "L", "list": "L", "report": "L", "candidate": "L", "attachment": "E"}


@dataclass(frozen=True)
class Nav:
    """Where a request stands on the way from its seed (`request.meta["nav"]`): how its page is handled."""

    role: str  # seed | column | list | candidate | report | attachment
    allowed: tuple[str, ...]  # site keys this walk may fetch pages from (`key/path/`: that path and below)
    depth: int = 0  # navigation hops so far
    page: int = 1  # page number within a report list
    aggregator: bool = False  # descends from an aggregator seed
    jpaas: tuple[dict[str, str], int] | None = None  # a JPaaS list's query (values, page size)
    list_root: str = ""  # first page of the list this page belongs to: pages are counted per list


def _elsewhere(href: str, sites: set[str], domain: str) -> bool:
    """True when an absolute href's host is neither one of `sites` nor under the seed's `domain`: decided
    on the string, before joining, canonicalising or scoring (False when it cannot tell)."""
    key = quick_host_key(href)
    if key is None or key in sites:
        return False
    host = key.split(":", 1)[0]
    return not (domain and (host == domain or host.endswith("." + domain) or f"www.{host}" == domain))


class ReportsSpider(scrapy.Spider):
    """Finds every annual report (and its attachments) of each seed's agency."""

    name = "reports"
    handle_httpstatus_list: ClassVar[list[int]] = [304, 404, 403, 410, 412, 500, 502, 503, 521]
    # from the settings, in from_crawler
    max_list_pages: int
    max_nav_depth: int
    max_seed_pages: int
    max_links: int
    aggregator_hosts: list[str]
    recheck_days: float

    def __init__(self, seeds: list[Seed] | None = None, plan: RunPlan | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._seeds = seeds
        self._plan = plan
        self.blocked: dict[str, str] = {}  # seed URL → appliance
        self.seed_ok: set[str] = set()
        self.seed_errors: dict[str, str] = {}  # seed URL → why its own page never answered
        self._list_pages: Counter[str] = Counter()  # list root → pages requested
        self._list_urls: set[str] = set()  # list pages counted (a link seen again is the scheduler's duplicate)
        self._seed_pages: Counter[str] = Counter()  # seed → answers received
        self._capped_seeds: set[str] = set()
        self._linked: set[str] = set()  # report, candidate and file URLs linked or answered in this run
        self._rechecked = False
        self.debug = True  # from LOG_LEVEL in from_crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ReportsSpider:
        spider: ReportsSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.max_list_pages = setting(settings, "NIANBAO_MAX_LIST_PAGES")
        spider.max_nav_depth = setting(settings, "NIANBAO_MAX_NAV_DEPTH")
        spider.max_seed_pages = setting(settings, "NIANBAO_MAX_PAGES_PER_SEED")
        spider.max_links = setting(settings, "NIANBAO_MAX_LINKS_PER_PAGE")
        spider.aggregator_hosts = [h.lower() for h in setting(settings, "NIANBAO_AGGREGATOR_HOSTS")]
        spider.recheck_days = setting(settings, "NIANBAO_RECHECK_DAYS")
        spider.debug = settings.get("LOG_LEVEL") in ("DEBUG", logging.DEBUG)
        crawler.signals.connect(spider._recheck_unlinked, signal=signals.spider_idle)
        return spider

    def _debug(self, message: str, *args: Any) -> None:
        """Log at DEBUG, only when LOG_LEVEL is DEBUG: Scrapy leaves the root logger at NOTSET, so a
        logger.debug that no handler will take still builds its record (one or more per page)."""
        if self.debug:
            logger.debug(message, *args)

    @property
    def plan(self) -> RunPlan:
        """The run's plan; a plain `scrapy crawl` gets one from its settings (a new run id unless set)."""
        if self._plan is None:
            self._plan = default_plan(self.crawler.settings)
        return self._plan

    def aggregator_may_lead_to(self, url: str) -> bool:
        """Whether an aggregation page may send the crawl to `url`'s host (other agencies' report columns)."""
        host = (urlsplit(url).hostname or "").lower()
        return any(fnmatch.fnmatchcase(host, pattern) for pattern in self.aggregator_hosts)

    def seeds(self) -> list[Seed]:
        """Seeds passed in, or read from the NIANBAO_SEEDS file (for `scrapy crawl reports`)."""
        if self._seeds is None:
            path = setting(self.crawler.settings, "NIANBAO_SEEDS")
            if not path:
                raise ValueError("no seeds: pass -s NIANBAO_SEEDS=seeds.csv (or use `nianbao crawl --seeds`)")
            self._seeds = load_seeds(Path(path), setting(self.crawler.settings, "NIANBAO_PROVINCE") or None)
        return self._seeds

    # --- start ---

    async def start(self) -> AsyncIterator[Any]:
        for seed in self.seeds():
            url = canonical_url(seed.url)
            provenance = {"seed": url, "agency": seed.agency, "province": seed.province, "city": seed.city,
                          "county": seed.county, "via": "", "link_text": "", "hop_path": "", "role": "seed",
                          "reason": "seed", "run_id": self.plan.run_id}
            nav = Nav(role="list" if seed.is_aggregator else "seed", allowed=(host_key(url),),
                      aggregator=seed.is_aggregator)
            yield scrapy.Request(url, errback=self.failed, priority=0, meta={"nianbao": provenance, "nav": nav})

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
        provenance = request.meta.get("nianbao") or {}
        if not provenance.get("hop_path"):  # the seed's own page
            self.seed_errors[provenance.get("seed", request.url)] = reason
        logger.warning("failed %s: %s (%s)", request.url, message, reason)

    def parse(self, response: Response, **_: Any) -> Iterator[Any]:
        """Dispatch a page by what the spider expected (its `Nav.role`) and what it turned out to be."""
        nav: Nav = response.meta["nav"]
        self._seed_pages[response.meta["nianbao"]["seed"]] += 1
        self._linked.add(response.url)
        if not self._answered(response):
            if response.status == 304:
                yield self._item(response, nav.role, changed=False)
                yield from self._unchanged_page_files(response, nav)
            return
        content_type = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
        if nav.role == "attachment" or (is_attachment_url(response.url) and "html" not in content_type):
            yield self._item(response, "attachment")
        elif "json" in content_type or response.body[:1] in (b"{", b"["):
            yield from self._parse_jpaas(response, nav)
        else:
            yield from self._parse_html(response, nav, decode_html(response.body, content_type).text, content_type)

    def _answered(self, response: Response) -> bool:
        """False for an answer without a page to read: an anti-bot challenge, a 304, an HTTP error."""
        provenance = response.meta["nianbao"]
        set_cookie = b"; ".join(response.headers.getlist("Set-Cookie")).decode("latin-1")
        appliance = detect_block(response.status, response.body, set_cookie)
        stats = self.crawler.stats
        if appliance:
            self.blocked[provenance["seed"]] = appliance
            stats.inc_value(f"nianbao/blocked/{appliance}")
            logger.warning("blocked by %s at %s (agency %s): its reports cannot be listed", appliance, response.url,
                           provenance.get("agency"))
            return False
        if response.status == 304:
            stats.inc_value("nianbao/unchanged")
            return False
        if response.status >= 400:
            stats.inc_value(f"nianbao/http/{response.status}")
            return False
        self.seed_ok.add(provenance["seed"])
        return True

    def _parse_jpaas(self, response: Response, nav: Nav) -> Iterator[Any]:
        """A JPaaS list answer (JSON holding an HTML fragment): its links, then the next page."""
        html = jpaas_html(response.text if hasattr(response, "text") else response.body.decode("utf-8", "replace"))
        yield from self._follow_links(response, links_in(html, response.url), "list")
        if html and "<a" in html and nav.jpaas:
            values, size = nav.jpaas
            request = self._page_request(response, jpaas_request(response.url, values, nav.page + 1, size), nav.jpaas)
            if request is not None:
                yield request

    def _parse_html(self, response: Response, nav: Nav, text: str, content_type: str) -> Iterator[Any]:
        if "xml" in content_type and "<recordset>" in text:  # a Hanweb dataproxy.jsp page of records
            yield from self._follow_links(response, cdata_links(text), "list")
            return
        role = nav.role
        if role == "candidate":
            if not self._candidate_is_report(response, text):
                return
            role = "report"
        if role == "report":
            yield self._item(response, "report", title=page_title(text))
            yield from self._report_files(response, text)
            return
        yield from self._parse_navigation(response, nav, text)

    def _report_files(self, response: Response, text: str) -> Iterator[scrapy.Request]:
        """From a report page only its files matter: navigation was scored on the way in."""
        yield from self._follow_links(response, file_links(text, response.url), "report")

    def _unchanged_page_files(self, response: Response, nav: Nav) -> Iterator[scrapy.Request]:
        """A report page that answered 304: its files are still asked (conditionally), from the links of
        its archived copy. Agencies replace a corrected PDF under the same URL while the page stays as it was."""
        if nav.role not in ("report", "candidate"):
            return
        copy = archived_copy(self.plan, response.url)
        if copy is None:
            self.crawler.stats.inc_value("nianbao/unchanged_without_copy")
            logger.info("%s answered 304 but no archived copy is known: its files are not asked", response.url)
            return
        body, content_type = copy
        text = decode_html(body, content_type).text
        if nav.role == "candidate" and not self._candidate_is_report(response, text):
            return
        self.crawler.stats.inc_value("nianbao/unchanged_pages_read")
        self._debug("%s answered 304: following the files of its archived copy", response.url)
        yield from self._report_files(response, text)

    def _candidate_is_report(self, response: Response, text: str) -> bool:
        """An article of a report column is a report only if its own page's title says so."""
        title = page_title(text)
        verdict = classify_title(title)
        if verdict.is_report and verdict.year is not None:
            self.crawler.stats.inc_value("nianbao/candidates/report")
            return True
        self.crawler.stats.inc_value("nianbao/candidates/not_report")
        self._debug("archived %s, not a report: page title %r", response.url, title[:60])
        return False

    def _parse_navigation(self, response: Response, nav: Nav, text: str) -> Iterator[Any]:
        """A portal, column or list page: follow what scores, and page through a list."""
        sites = {entry.partition("/")[0] for entry in nav.allowed}
        domain = own_domain(response.meta["nianbao"]["seed"])
        keep = None if nav.aggregator else (lambda href: not _elsewhere(href.strip(), sites, domain))
        links = links_in(text, response.url, keep=keep)
        page_role = nav.role
        if nav.role in ("list", "seed", "column"):
            records = hanweb_records(text) + jpaas_article_list(text)
            if records:
                page_role = "list"
                links = records + links
        yield from self._follow_links(response, links, page_role)
        if page_role == "list" or nav.role == "list":
            yield from self._paginate(response, text)

    # --- requests ---

    def _paginate(self, response: Response, text: str) -> Iterator[scrapy.Request]:
        cap = self.max_list_pages
        pages = [*trs_pages(response.url, text, cap), *hanweb_proxy_requests(response.url, text, cap)]
        extent = detect_list(text)
        if extent is not None and extent.incomplete:
            # Recorded in this page's metadata record (crawler.capture.list_fields): the index compares
            # what the crawl reached of the list with what it declares.
            self.crawler.stats.inc_value(f"nianbao/lists_declaring_more/{extent.form}")
            logger.info("list %s shows %d of the %d items its script declares (%s)", response.url, extent.shown,
                        extent.declared, extent.form)
            if not pages:
                pages = trs_dynamic_pages(response.url, extent, cap)
        requests = [self._page_request(response, page) for page in pages]
        params = jpaas_params(text)
        if params:
            requests.append(self._page_request(response, jpaas_request(response.url, params[0], 1, params[1]),
                                               params))
        yield from (request for request in requests if request is not None)

    def _page_request(self, response: Response, page: PageRequest,
                      jpaas: tuple[dict[str, str], int] | None = None) -> scrapy.Request | None:
        nav: Nav = response.meta["nav"]
        root = nav.list_root or response.url
        if not self._count_list_page(root, response.url, page.url) or not self._count_seed_page(response, page.url):
            return None
        provenance = {**response.meta["nianbao"], "via": response.url, "link_text": f"page {page.page}",
                      "hop_path": response.meta["nianbao"]["hop_path"] + "P", "role": "list", "list_root": root,
                      "reason": f"list pagination, page {page.page} of at most {self.max_list_pages}"}
        nav = dataclasses.replace(nav, role="list", page=page.page, jpaas=jpaas, list_root=root)
        self._debug("follow %s (list page %d): %s", page.url, page.page, provenance["reason"])
        return scrapy.Request(page.url, method=page.method, body=page.body or None,
                              headers=dict(page.headers) or None, errback=self.failed, priority=_PRIORITY["list"],
                              meta={"nianbao": provenance, "nav": nav})

    def _follow_links(self, response: Response, links: list[tuple[str, str]],
                      page_role: str) -> Iterator[scrapy.Request]:
        nav: Nav = response.meta["nav"]
        # `list_root` names the list a list page belongs to: never inherited by what the page links
        provenance = {k: v for k, v in response.meta["nianbao"].items() if k != "list_root"}
        links = self._capped(response, links)
        may_leave = page_role == "report" or (nav.aggregator and page_role == "list")
        sites = {entry.partition("/")[0] for entry in nav.allowed}
        domain = own_domain(provenance["seed"])
        seen: set[str] = set()
        for href, text in links:
            href = href.strip()
            if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
                continue
            if not may_leave and _elsewhere(href, sites, domain):
                continue
            absolute = urljoin(response.url, href)
            if not may_leave and not in_scope(absolute, nav.allowed) and not sibling_host(absolute, provenance["seed"]):
                continue  # another site: nothing more is done for it (a portal page links ~150 of them)
            url = canonical_url(absolute)
            if url in seen or not url.startswith(("http://", "https://")):
                continue
            seen.add(url)
            decision = score_link(url, text, page_role)
            if decision.role == "drop":
                self._debug("drop %s %r: %s", url, text[:40], decision.reason)
                continue
            scope = self._scope(nav, provenance, url, text, decision, page_role)
            if scope is None:
                continue
            allowed, link_provenance = scope
            if decision.role in ("report", "candidate", "attachment") and url in self.plan.skip_urls:
                yield from self._resumed(url, decision.role, link_provenance, nav)
                continue
            request = self._link_request(response, url, text, decision, nav, link_provenance, allowed, page_role)
            if request is not None:
                yield request

    def _capped(self, response: Response, links: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """The first NIANBAO_MAX_LINKS_PER_PAGE links of a page; the cut is counted and logged."""
        if len(links) <= self.max_links:
            return links
        self.crawler.stats.inc_value("nianbao/links_cut")
        logger.warning("%s has %d links: only the first %d (NIANBAO_MAX_LINKS_PER_PAGE) are considered",
                       response.url, len(links), self.max_links)
        return links[: self.max_links]

    def _count_list_page(self, root: str, at: str, url: str) -> bool:
        """Count one more page of the list starting at `root`; False past NIANBAO_MAX_LIST_PAGES."""
        if url in self._list_urls:
            return True  # counted when first linked; the scheduler drops the repeat
        if self._list_pages[root] >= self.max_list_pages:
            self.crawler.stats.inc_value("nianbao/page_cap_reached")
            logger.info("page cap (%d pages of the list at %s) reached at %s: not following %s",
                        self.max_list_pages, root, at, url)
            return False
        self._list_pages[root] += 1
        self._list_urls.add(url)
        return True

    def _count_seed_page(self, response: Response, url: str) -> bool:
        """False once this seed's answers reached NIANBAO_MAX_PAGES_PER_SEED (logged once per seed)."""
        seed = response.meta["nianbao"]["seed"]
        if self._seed_pages[seed] < self.max_seed_pages:
            return True
        if seed not in self._capped_seeds:
            self._capped_seeds.add(seed)
            self.crawler.stats.inc_value("nianbao/seed_cap_reached")
            logger.warning("seed %s reached NIANBAO_MAX_PAGES_PER_SEED (%d pages): not following %s and the rest "
                           "of this seed", seed, self.max_seed_pages, url)
        return False

    def _scope(self, nav: Nav, provenance: dict[str, str], url: str, text: str, decision: LinkDecision,
               page_role: str) -> tuple[tuple[str, ...], dict[str, str]] | None:
        """(sites allowed beyond this link, its provenance), or None when its host is out of this walk."""
        key = host_key(url)
        if in_scope(url, nav.allowed):
            return nav.allowed, self._filed(provenance, url, text, decision, nav)
        if decision.role == "attachment" and page_role == "report":
            return nav.allowed, provenance  # attachments are fetched wherever a report page links them
        if nav.aggregator and decision.role in ("list", "report") and page_role == "list":
            if not self.aggregator_may_lead_to(url):
                self._debug("drop %s %r: an aggregator leads only to NIANBAO_AGGREGATOR_HOSTS (%s)", url,
                            text[:40], ", ".join(self.aggregator_hosts))
                return None
            if decision.role == "list":  # the aggregator links another agency's report column
                provenance = {**provenance, "agency": agency_from_link(text) or provenance["agency"]}
            return tuple(sorted({*nav.allowed, key})), provenance
        if decision.role in ("column", "list") and sibling_host(url, provenance["seed"]):
            return self._sibling_scope(nav, provenance, url, text, decision)
        self._debug("drop %s %r: another site (%s), not followed from this seed", url, text[:40], key)
        return None

    def _sibling_scope(self, nav: Nav, provenance: dict[str, str], url: str, text: str,
                       decision: LinkDecision) -> tuple[tuple[str, ...], dict[str, str]] | None:
        """A portal's 信息公开 platform on a sibling host (xxgk.X.gov.cn for www.X.gov.cn): in scope through
        disclosure navigation only — a disclosure host, or a disclosure column's path and below on it.
        Another agency's site under the same domain (sthjj.X.gov.cn's home page) is not."""
        why, prefix = disclosure_target(url)
        host = urlsplit(url).hostname or ""
        if not why:
            self._debug("drop %s %r: sibling host %s, but not a disclosure page (another agency's site?)", url,
                        text[:40], host)
            return None
        entry = host_key(url) + prefix
        note = (f"sibling host {host} of {own_domain(provenance['seed'])} through disclosure navigation "
                f"({decision.reason}; {why})")
        if entry not in nav.allowed:
            self.crawler.stats.inc_value("nianbao/sibling_hosts")
            logger.info("in scope of seed %s: %s%s, %s", provenance["seed"], host, prefix, note)
        return tuple(sorted({*nav.allowed, entry})), {**provenance, "scope": note}

    def _filed(self, provenance: dict[str, str], url: str, text: str, decision: LinkDecision,
               nav: Nav) -> dict[str, str]:
        """A report listed on a sibling host whose title names another reporting unit is filed under that
        unit, as an aggregator's are (a county's 信息公开 platform lists every department's report)."""
        if decision.role != "report" or nav.aggregator or host_key(url) == host_key(provenance["seed"]):
            return provenance
        unit = report_unit(text)
        if not unit or unit in provenance["agency"]:
            return provenance
        return {**provenance, "agency": unit}

    def _next_nav(self, response: Response, url: str, decision: LinkDecision, nav: Nav,
                  page_role: str) -> tuple[int, int, str] | None:
        """(navigation depth, list page, list root) of a link, or None when a depth or page cap stops it.

        Every list page reached from a page of a list on the same host (numbered pages, 下一页, 更多)
        counts against that list's NIANBAO_MAX_LIST_PAGES, whatever page number it claims."""
        depth, page, root = nav.depth, nav.page, ""
        if decision.role == "column":
            depth += 1
            if depth > self.max_nav_depth:
                self._debug("drop %s: navigation depth %d > %d", url, depth, self.max_nav_depth)
                return None
        elif decision.role == "list":
            is_pagination = decision.reason.startswith("pagination") and page_role == "list"
            same_list = page_role == "list" and host_key(url) == host_key(response.url)
            root = (nav.list_root or response.url) if same_list else url
            page = page + 1 if is_pagination else 1
            if not is_pagination:
                depth += 1
                if depth > self.max_nav_depth + 2:
                    self._debug("drop %s: navigation depth %d", url, depth)
                    return None
            if not self._count_list_page(root, response.url, url):
                return None
        return depth, page, root

    def _link_request(self, response: Response, url: str, text: str, decision: LinkDecision, nav: Nav,
                      provenance: dict[str, str], allowed: tuple[str, ...], page_role: str) -> scrapy.Request | None:
        position = self._next_nav(response, url, decision, nav, page_role)
        if position is None or not self._count_seed_page(response, url):
            return None
        role = decision.role
        if role in ("report", "candidate", "attachment"):
            self._linked.add(url)
        headers = self._conditional_headers(url) if role in ("report", "candidate", "attachment") else {}
        hop = _HOP.get(role, "L") if not decision.reason.startswith("pagination") else "P"
        new_provenance = {**provenance, "via": response.url, "link_text": text[:200],
                          "hop_path": provenance["hop_path"] + hop, "role": role,
                          "reason": f"{decision.reason} (score {decision.score:.2f})"}
        if role == "list":  # the list's first page: its further pages are counted (and recorded) under it
            new_provenance["list_root"] = position[2] or url
        new_nav = dataclasses.replace(nav, role=role, allowed=allowed, depth=position[0], page=position[1],
                                      list_root=position[2])
        self._debug("follow %s as %s: %s", url, role, new_provenance["reason"])
        return scrapy.Request(url, headers=headers or None, errback=self.failed, priority=_PRIORITY.get(role, 0),
                              meta={"nianbao": new_provenance, "nav": new_nav})

    def _recheck_unlinked(self) -> None:
        """When the crawl is otherwise done: ask, conditionally, the known reports no page linked in this run
        and not asked for NIANBAO_RECHECK_DAYS, so a withdrawn report's 404/410 is archived (twice in a row
        marks it withdrawn in the index). Incremental runs only: the plan knows the reports then."""
        if self._rechecked or not self.plan.known_reports:
            return
        self._rechecked = True
        cutoff = (dt.datetime.now(dt.UTC) - dt.timedelta(days=self.recheck_days)).strftime("%Y-%m-%dT%H:%M:%S")
        due = [(url, known) for url, known in self.plan.known_reports.items()
               if url not in self._linked and known[0][:19] <= cutoff]
        for url, (last, seed, agency, province) in due:
            provenance = {"seed": seed, "agency": agency, "province": province, "city": "", "county": "",
                          "via": "", "link_text": "", "hop_path": "I", "role": "report", "run_id": self.plan.run_id,
                          "reason": f"withdrawal check: no page linked it in this run (last asked {last[:10]})"}
            self.crawler.engine.crawl(scrapy.Request(url, headers=self._conditional_headers(url) or None,
                                                     errback=self.failed, priority=_PRIORITY["report"],
                                                     meta={"nianbao": provenance,
                                                           "nav": Nav(role="report", allowed=(host_key(url),))}))
        if due:
            self.crawler.stats.set_value("nianbao/withdrawal_checks", len(due))
            logger.info("asking %d known reports no page linked in this run (withdrawal check)", len(due))
            raise DontCloseSpider

    def _conditional_headers(self, url: str) -> dict[str, str]:
        """If-None-Match / If-Modified-Since from the archived copy's validators (incremental runs)."""
        etag, last_modified = self.plan.validators.get(url, ("", ""))
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return headers

    def _resumed(self, url: str, role: str, provenance: dict[str, str], nav: Nav) -> Iterator[scrapy.Request]:
        """A report or file the interrupted harvest already captured: not refetched; a report's files still are."""
        self._debug("skip %s: already captured in this harvest (--resume)", url)
        stats = self.crawler.stats
        stats.inc_value("nianbao/resume_skipped")
        if role != "candidate":  # a candidate's archived page decided, in its own run, whether it was a report
            stats.inc_value(f"nianbao/found/{role}")
        if role == "attachment":
            return
        for attachment, link_text in self.plan.skip_urls.get(url, []):
            if attachment in self.plan.skip_urls:
                stats.inc_value("nianbao/resume_skipped")
                continue
            meta_provenance = {**provenance, "via": url, "link_text": link_text[:200],
                               "hop_path": provenance["hop_path"] + "LE", "role": "attachment",
                               "reason": "file linked from a report page (read from its archived copy on --resume)"}
            yield scrapy.Request(attachment, errback=self.failed, priority=_PRIORITY["attachment"],
                                 meta={"nianbao": meta_provenance, "nav": dataclasses.replace(nav, role="attachment")})

    def _item(self, response: Response, role: str, title: str = "", changed: bool = True) -> dict[str, Any]:
        provenance = response.meta["nianbao"]
        title = title or provenance.get("link_text", "")
        verdict = classify_title(title)
        self.crawler.stats.inc_value(f"nianbao/found/{role}")
        return {"url": response.url, "role": role, "title": title, "year": verdict.year,
                "is_report": verdict.is_report if role == "report" else None, "agency": provenance.get("agency", ""),
                "province": provenance.get("province", ""), "seed": provenance.get("seed", ""),
                "via": provenance.get("via", ""), "status": response.status, "changed": changed}
