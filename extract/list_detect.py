"""How many items a CMS list page shows against how many its script says the list holds.

Government CMSs often put only the newest items of a column in the static HTML and fill the rest from a
service: TRS "动静结合" lists (`require(["list2.trsapi", …])` with `pagebar: {prepage, recordCount}` and
`maxStaticIndex`), Hanweb jcms jpage (`<datastore>` records with `totalRecord`/`perPage`), Hanweb JPaaS
(`articleList` in the page's script, the column's `articleCount`, `perPage`). The crawl uses this to decide
how to page through a list and to record, in the list page's metadata, a list it could not complete; the
index reads the same fields back. Pure: text in, a tuple out.
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

__all__ = ["ListExtent", "detect_list"]


class ListExtent(NamedTuple):
    """What a list page shows and what its script declares: (shown, declared, form, per_page, static_pages)."""

    shown: int  # items in the page as served
    declared: int  # items the script says the list holds
    form: str  # trs-dynamic | hanweb-jpage | jpaas
    per_page: int = 0  # items per page the script pages by (0: not said)
    static_pages: int = 0  # TRS maxStaticIndex: static pages the CMS published besides the first

    @property
    def incomplete(self) -> bool:
        """True when this page alone holds fewer items than the list declares."""
        return self.declared > self.shown


# Article links of the common CMSs: TRS `./202401/t20240115_123.html`, Hanweb `/art/2024/1/15/art_1_2.html`,
# JPaaS/UCAP `content_123.html`.
_ARTICLE_HREF = re.compile(
    r"""href\s*=\s*["']([^"']*?(?:/t\d{8}_\d+\.s?html?|/art_\d+_\d+\.html|/content_\d+\.html|/art/\d{4}/\d{1,2}/"""
    r"""\d{1,2}/[^"']+))["']""", re.IGNORECASE)
_NUMBER = r"""\s*:\s*['"]?(\d+)"""


def _number(text: str, name: str) -> int:
    match = re.search(rf"\b{name}{_NUMBER}", text)
    return int(match.group(1)) if match else 0


def _trs_dynamic(html: str) -> ListExtent | None:
    """A TRS list whose static page holds the newest items and whose script declares the rest."""
    at = html.find("list2.trsapi")
    if at < 0:
        return None
    script = html[at:]
    declared = _number(script, "recordCount")
    if not declared:
        return None
    static_part = html[:html.rfind("<script", 0, at)] if "<script" in html[:at] else html[:at]
    shown = len(set(_ARTICLE_HREF.findall(static_part)))
    return ListExtent(shown, declared, "trs-dynamic", _number(script, "prepage"), _number(script, "maxStaticIndex"))


def _hanweb_jpage(html: str) -> ListExtent | None:
    """A Hanweb jcms column: inline `<record>`s, `totalRecord` in its jpage script; or a dataproxy.jsp
    answer: its `<record>`s and `<totalrecord>`."""
    if "<datastore>" not in html and "<totalrecord>" not in html:
        return None
    total = re.search(r"<totalrecord>\s*(\d+)\s*</totalrecord>", html)
    declared = int(total.group(1)) if total else _number(html, "totalRecord")
    if not declared:
        return None
    shown = sum(block.count("<record>") for block in re.findall(r"<recordset>(.*?)</recordset>", html, re.DOTALL))
    return ListExtent(shown, declared, "hanweb-jpage", _number(html, "perPage"))


_ARTICLE_LIST = re.compile(r"\barticleList\s*:\s*(?=\[)")
_CHANNEL_CODE = re.compile(r"""channelCode\s*:\s*\[\s*['"]([\w-]+)['"]""")


def _jpaas(html: str) -> ListExtent | None:
    """A JPaaS column: `articleList` rendered client-side, the column's own `articleCount`."""
    if "articleList" not in html:  # the pattern starts with \b, which re cannot look for fast
        return None
    match = _ARTICLE_LIST.search(html)
    code = _CHANNEL_CODE.search(html)
    if not match or not code:
        return None
    try:
        articles, _end = json.JSONDecoder().raw_decode(html, match.end())
    except ValueError:
        return None
    # The column's own entry: {"code":"col42150", …, "articleCount":444, …} (children carry their own counts).
    own = re.search(rf""""code"\s*:\s*"{re.escape(code.group(1))}"[^{{}}]*?"articleCount"\s*:\s*(\d+)""", html)
    if not own:
        return None
    shown = len(articles) if isinstance(articles, list) else 0
    return ListExtent(shown, int(own.group(1)), "jpaas", _number(html, "perPage"))


def detect_list(html: str) -> ListExtent | None:
    """(shown, declared, form, per_page, static_pages) of a list page whose script declares its size, else None."""
    for detect in (_trs_dynamic, _hanweb_jpage, _jpaas):
        extent = detect(html)
        if extent is not None:
            return extent
    return None
