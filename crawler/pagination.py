"""List pagination as government CMSs write it: pure functions from a page's URL and HTML to more requests.

- TRS WCM: `createPageHTML(countPage, currentPage, "index", "html")` or `var countPage = N` → index_1.html …
- Hanweb jcms jpage: records inline in `<script type="text/xml"><datastore>`; the rest by POST to
  `/module/web/jpage/dataproxy.jsp?startrecord=…&endrecord=…&perpage=…` with the column's form fields.
- Hanweb JPaaS: `api-gateway/jpaas-publish-server/front/page/build/unit?…&paramJson={"pageNo":N,"pageSize":M}`,
  the list's HTML in the JSON's `data.html`.
- TRS "动静结合": the static page shows the newest items, its `list2.trsapi` script declares the rest
  (`extract.list_detect`); the CMS's static page names (index_1.htm …) are tried for them.
- Query pagination (`InfoPublic.aspx?…&page=N`, `iList.jsp?…&cur_page=N`) and 下一页 links are ordinary
  links, scored in `crawler.scoring`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlencode, urljoin, urlsplit

from extract.list_detect import ListExtent

__all__ = [
    "PageRequest",
    "cdata_links",
    "hanweb_proxy_requests",
    "hanweb_records",
    "jpaas_article_list",
    "jpaas_html",
    "jpaas_params",
    "jpaas_request",
    "trs_dynamic_pages",
    "trs_pages",
]


@dataclass(frozen=True)
class PageRequest:
    """A further page of a list: URL, method, body, headers, page number."""

    url: str
    page: int
    method: str = "GET"
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


_CREATE_PAGE = re.compile(
    r"""createPageHTML\(\s*['"]?(\d+)['"]?\s*,\s*['"]?(\d+)['"]?\s*,\s*['"]([\w.-]+)['"]\s*,\s*['"](\w+)['"]"""
)
_COUNT_PAGE = re.compile(r"var\s+countPage\s*=\s*['\"]?(\d+)")
_CURRENT_PAGE = re.compile(r"var\s+currentPage\s*=\s*['\"]?(\d+)")


def trs_pages(url: str, html: str, cap: int) -> list[PageRequest]:
    """The other static pages of a TRS list (only from its first page, so each is requested once)."""
    match = _CREATE_PAGE.search(html)
    if match:
        total, current, name, ext = int(match.group(1)), int(match.group(2)), match.group(3), match.group(4)
    else:
        count = _COUNT_PAGE.search(html)
        if not count:
            return []
        total = int(count.group(1))
        current_match = _CURRENT_PAGE.search(html)
        current = int(current_match.group(1)) if current_match else 0
        last = urlsplit(url).path.rsplit("/", 1)[-1]
        name, ext = "index", (last.rsplit(".", 1)[-1] if "." in last else "html")
    if current != 0 or total <= 1 or not name.startswith("index"):
        return []  # an article's createPageHTML(1, 0, "t2019…", "shtml") is not a list
    return [PageRequest(urljoin(url, f"{name}_{n}.{ext}"), n + 1) for n in range(1, min(total, cap))]


def trs_dynamic_pages(url: str, extent: ListExtent, cap: int) -> list[PageRequest]:
    """Static page names (index_1.htm …) for the items a TRS 动静结合 list declares beyond its first page."""
    if extent.form != "trs-dynamic" or extent.per_page <= 0 or extent.declared <= extent.shown:
        return []
    last = urlsplit(url).path.rsplit("/", 1)[-1]
    name, ext = last.rsplit(".", 1) if "." in last else ("index", "html")
    if name != "index":
        return []  # only the list's first page leads to the others
    total = -(-extent.declared // extent.per_page)
    return [PageRequest(urljoin(url, f"index_{n}.{ext}"), n + 1) for n in range(1, min(total, cap))]


_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_HREF = re.compile(r"""<a\b[^>]*?href\s*=\s*["']([^"']+)["'][^>]*>(.*?)</a>""", re.DOTALL | re.IGNORECASE)
_TITLE_ATTR = re.compile(r"""title\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


def cdata_links(xml: str) -> list[tuple[str, str]]:
    """(href, text) of every <record> link in a datastore or dataproxy answer."""
    links = []
    for record in re.findall(r"<record>(.*?)</record>", xml, re.DOTALL):
        for chunk in _CDATA.findall(record) or [record]:
            for match in _HREF.finditer(chunk):
                text = _TAGS.sub("", match.group(2)).strip()
                title = _TITLE_ATTR.search(match.group(0))
                links.append((match.group(1), (title.group(1) if title else "") or text))
    return links


def hanweb_records(html: str) -> list[tuple[str, str]]:
    """Links of the records inline in a Hanweb list page's `<script type="text/xml"><datastore>`."""
    links: list[tuple[str, str]] = []
    for block in re.findall(r"<datastore>(.*?)</datastore>", html, re.DOTALL):
        links += cdata_links(block)
    return links


def _js_value(html: str, name: str) -> str:
    if name not in html:  # the pattern starts with \b, which re cannot look for fast: 1-2 ms a page
        return ""
    match = re.search(rf"""\b{name}\s*[:=]\s*['"]?([^'",}}\s]+)""", html)
    return match.group(1) if match else ""


def hanweb_proxy_requests(url: str, html: str, cap: int) -> list[PageRequest]:
    """POSTs to dataproxy.jsp for the records after the inline ones, jpage's way (three pages per call)."""
    if "<datastore>" not in html:
        return []
    per_page = int(_js_value(html, "perPage") or 15)
    total = int(_js_value(html, "totalRecord") or 0)
    proxy = _js_value(html, "proxyUrl") or "/module/web/jpage/dataproxy.jsp"
    nextgroup = re.search(r"dataproxy\.jsp\?([^\"'\]<]+)", html)
    fields = {"col": _js_value(html, "col") or "1", "appid": _js_value(html, "appid") or "1",
              "webid": _js_value(html, "webid"), "path": _js_value(html, "path") or "/",
              "columnid": _js_value(html, "columnid"), "sourceContentType": _js_value(html, "sourceContentType") or "1",
              "unitid": _js_value(html, "unitid"), "webname": _js_value(html, "webname"),
              "permissiontype": _js_value(html, "permissiontype") or "0"}
    if nextgroup:  # the nextgroup link carries the column's own parameters: they win
        for pair in nextgroup.group(1).replace("&amp;", "&").split("&"):
            key, _, value = pair.partition("=")
            if key in fields and value:
                fields[key] = unquote(value)
    if not fields["columnid"] or total <= per_page:
        return []
    body = urlencode(fields, quote_via=quote).encode("ascii")
    requests = []
    block = per_page * 3
    for page, start in enumerate(range(per_page + 1, total + 1, block), start=2):
        if page > cap:
            break
        end = min(start + block - 1, total)
        target = urljoin(url, f"{proxy}?startrecord={start}&endrecord={end}&perpage={per_page}")
        requests.append(PageRequest(target, page, "POST", body,
                                    (("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"),
                                     ("X-Requested-With", "XMLHttpRequest"))))
    return requests


_JPAAS_KEYS = ("webId", "tplSetId", "pageId", "tagId")
JPAAS_PATH = "/api-gateway/jpaas-publish-server/front/page/build/unit"


def jpaas_params(html: str) -> tuple[dict[str, str], int] | None:
    """(webId/tplSetId/pageId/tagId, page size) of a JPaaS list page, None when it is not one."""
    if "jpaas" not in html and "loadPageData" not in html:
        return None
    values = {key: _js_value(html, key) for key in _JPAAS_KEYS}
    if not (values["webId"] and values["pageId"]):
        return None
    return values, int(_js_value(html, "pageSize") or _js_value(html, "perPage") or 15)


def jpaas_request(url: str, values: dict[str, str], page: int, size: int) -> PageRequest:
    """One page of a JPaaS list."""
    param = json.dumps({"pageNo": page, "pageSize": size}, separators=(",", ":"))
    query = urlencode({"parseType": "bulidstatic", "webId": values["webId"], "tplSetId": values.get("tplSetId", ""),
                       "pageType": "column", "tagId": values.get("tagId", ""), "pageId": values["pageId"],
                       "paramJson": param})
    return PageRequest(urljoin(url, f"{JPAAS_PATH}?{query}"), page)


_ARTICLE_LIST = re.compile(r"\barticleList\s*:\s*(?=\[)")


def jpaas_article_list(html: str) -> list[tuple[str, str]]:
    """(href, title) of the articles a JPaaS (2024+) column page carries in its script's `articleList`
    JSON, which its template renders client-side: the page holds no <a> for them."""
    match = _ARTICLE_LIST.search(html) if "articleList" in html else None
    if not match:
        return []
    try:
        articles, _end = json.JSONDecoder().raw_decode(html, match.end())
    except ValueError:
        return []
    links = []
    for article in articles if isinstance(articles, list) else []:
        try:
            href = json.loads(article.get("urls") or "{}").get("pc", "")
        except (ValueError, AttributeError):
            continue
        if href and article.get("title"):
            links.append((str(href), str(article["title"])))
    return links


def jpaas_html(body: str) -> str:
    """The list HTML inside a JPaaS JSON answer ('' when it is not one)."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    inner = data.get("data") if isinstance(data, dict) else None
    if isinstance(inner, dict):
        return str(inner.get("html") or "")
    return ""
