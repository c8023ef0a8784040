"""Link scoring: what a link on an agency portal leads to, with the reasons kept for `-L DEBUG`.

Roles: `column` (政府信息公开 / 政务公开 / 信息公开 navigation), `list` (an annual-report column or one
of its pages), `report` (a report article), `candidate` (an article inside a report column whose link
text does not say what it is — a truncated title, or news filed in the column: its own page decides),
`attachment` (a file linked from a report page, or a report published only as a file), `drop`
(everything else, with why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from extract.attachments import ATTACHMENT_EXTENSIONS
from extract.classify import classify_title

__all__ = ["ATTACHMENT_EXTENSIONS", "LinkDecision", "disclosure_target", "is_attachment_url", "is_trap_url",
           "score_link"]

_NAV_WORDS = re.compile(
    r"(政府信息公开|政府信息公開|政务公开|政務公開|信息公开|信息公開|政府公开|公开目录|法定主动公开)"
)
_REPORT_COLUMN_WORDS = re.compile(r"(信息公开年报|信息公開年報|公开年报|公開年報|年度报告|年度報告|年报|年報)")
_NAV_PATH = re.compile(r"/(zwgk|xxgk|zfxxgk|gk|zdgk|xxgkml|govinfo|openinfo|public)(/|\b)", re.IGNORECASE)
_REPORT_PATH = re.compile(r"(zfxxgknb|xxgknb|gknb|gkndbg|ndbg|wzxxgknb|/nb/|nianbao|ndgzbg)", re.IGNORECASE)
_TRAP = re.compile(
    r"(search|sousuo|/so/|query|calendar|rili|/print|print\.|dayin|share\.php|/share|login|logon|register|"
    r"weibo\.com|qzone|javascript:|mailto:|tel:|/rss|\.css$|\.js$|\.(jpg|jpeg|png|gif|bmp|ico|svg|mp4|mp3|flv|swf)$)",
    re.IGNORECASE)
_LIST_WORDS = re.compile(r"^(下一页|下页|下一頁|尾页|末页|>|»|››|\d{1,3})$")
# Article URLs of the common gov CMSs: TRS `…/202401/t20240115_123.html`, Hanweb `…/art/2024/1/15/art_1_2.html`,
# JPaaS/UCAP `…/content/content_123.html`, and `…/info/1234/5678.htm`-style detail pages.
_ARTICLE_PATH = re.compile(r"(/t\d{8}_\d+|/art_\d+_\d+|/content_\d+|/info/\d+/\d+|/detail[_/]\w+)\.s?html?$|"
                           r"/art/\d{4}/\d{1,2}/\d{1,2}/", re.IGNORECASE)


# First labels of hosts that carry a portal's 信息公开 platform (xxgk.X.gov.cn, zwgk.X.gov.cn).
_NAV_HOST = re.compile(r"^(xxgk|zwgk|zfxxgk|gk|xxgkml|gkml|zdgk|govinfo|openinfo|public)\d*\.", re.IGNORECASE)


def disclosure_target(url: str) -> tuple[str, str]:
    """(why `url` is a disclosure page by its address, the path its column spans) — ('', '') when it is
    not one. A disclosure host label (xxgk.…) spans the whole host (''); a disclosure or report column
    path spans that path (`/zwgk/`). A department's home page is neither."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if _NAV_HOST.match(host):
        return f"host {host.split('.', 1)[0]}", ""
    for pattern in (_NAV_PATH, _REPORT_PATH):
        match = pattern.search(parts.path)
        if match:
            prefix = parts.path[: match.end()]
            return f"path {match.group(0).strip('/')}", prefix if prefix.endswith("/") else prefix + "/"
    return "", ""


@dataclass(frozen=True)
class LinkDecision:
    """Where a link leads and why."""

    role: str  # column | list | report | attachment | drop
    score: float
    reason: str


def is_attachment_url(url: str) -> bool:
    """True when the URL (or a raw href) path ends in a document extension."""
    # String work only: this runs for every link of every report page (~150), where urlsplit was the cost.
    path = url.split("#", 1)[0].split("?", 1)[0]
    last = path.rsplit("/", 1)[-1]
    return "." in last and last.rsplit(".", 1)[-1].lower() in ATTACHMENT_EXTENSIONS


def is_trap_url(url: str) -> bool:
    """Search pages, calendars, print/share endpoints, logins, media: never followed."""
    return bool(_TRAP.search(url))


def score_link(url: str, text: str, page_role: str) -> LinkDecision:
    """Decide what to do with a link found on a page of role `page_role`."""
    text = re.sub(r"\s+", "", text or "")
    if is_trap_url(url):
        return LinkDecision("drop", 0.0, "search/calendar/print/share/media endpoint")
    verdict = classify_title(text) if text else None
    if is_attachment_url(url):
        if page_role == "report":
            return LinkDecision("attachment", 1.0, "file linked from a report page")
        if verdict and verdict.is_report:
            return LinkDecision(
                "attachment", verdict.score, "report published as a file: " + "; ".join(verdict.reasons)
            )
        return LinkDecision("drop", 0.0, "file not linked from a report page and not titled as a report")
    if page_role == "list" and _LIST_WORDS.match(text):
        return LinkDecision("list", 0.6, f"pagination link {text!r}")
    if verdict and verdict.is_report and verdict.year is not None:
        return LinkDecision("report", verdict.score, "; ".join(verdict.reasons))
    if verdict and any(r.startswith("look-alike") for r in verdict.reasons):
        return LinkDecision("drop", 0.0, "; ".join(r for r in verdict.reasons if r.startswith("look-alike")))
    path = urlsplit(url).path
    if (_ARTICLE_PATH.search(path) and not _REPORT_COLUMN_WORDS.search(text)
            and (page_role == "list" or _REPORT_PATH.search(path))):
        # An article in a report column is never a list: fetch it once and let its page say what it is.
        return LinkDecision("candidate", 0.5, f"article in a report column, link text {text[:30]!r} not a report title")
    # A report-like title without a year names the column, not one report (政府信息公开年报).
    if _REPORT_COLUMN_WORDS.search(text) or _REPORT_PATH.search(path):
        why = "report column: " + ("text " + text if _REPORT_COLUMN_WORDS.search(text) else "path " + path)
        return LinkDecision("list", 0.8, why)
    if _NAV_WORDS.search(text):
        return LinkDecision("column", 0.6, f"disclosure navigation: text {text}")
    if page_role == "seed" and _NAV_PATH.search(path) and len(text) <= 8:
        return LinkDecision("column", 0.4, f"disclosure navigation: path {path}")
    return LinkDecision("drop", 0.0, "no report, column or pagination signal")
