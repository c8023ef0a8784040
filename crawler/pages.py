"""Reading a fetched page for the crawl: its links, its title, the files a report links, and whether an
anti-bot appliance answered instead of the site. Pure functions of the page's bytes or text."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin

import lxml.html

from crawler.scoring import ATTACHMENT_EXTENSIONS, is_attachment_url
from crawler.urls import canonical_url
from extract.decoding import decode_html

__all__ = ["agency_from_link", "attachment_links", "detect_block", "file_links", "links_in", "page_title"]


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


def attachment_links(body: bytes, content_type: str, url: str) -> list[list[str]]:
    """[absolute URL, link text] of the files a report page links (used by --resume on archived copies)."""
    text = decode_html(body, content_type).text
    links = []
    for href, link_text in links_in(text, url):
        absolute = canonical_url(urljoin(url, href.strip()))
        if is_attachment_url(absolute):
            links.append([absolute, link_text])
    return links


_SPACES = re.compile(r"\s+")
_NUMBER_OR_ARROW = re.compile(r"\d{1,4}|[<>«»‹›]+")


def links_in(html: str, base: str, keep: Callable[[str], bool] | None = None) -> list[tuple[str, str]]:
    """(href, text or title) of every <a> in an HTML fragment or page; with `keep`, only the hrefs it
    accepts (the text of the others is never built)."""
    if not html or ("<a" not in html and "<A" not in html):  # not html.lower(): a 60 KB copy per page
        return []
    try:
        root = lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError):
        return []
    links = []
    for anchor in root.iter("a"):
        href = anchor.get("href")
        if href and (keep is None or keep(href)):
            text = _SPACES.sub(" ", anchor.text_content() or "").strip()
            title = _SPACES.sub(" ", anchor.get("title") or "").strip()
            cut = text.rstrip(".…· ")
            # Lists cut long titles ("…2023年政府信息公开工...") and keep the whole one in title="…".
            if title and not _NUMBER_OR_ARROW.fullmatch(text) and (len(text) < 4 or (
                    len(title) > len(cut) and title.replace(" ", "").startswith(cut.replace(" ", "")))):
                text = title
            links.append((href, text))
    return links


# Every href `is_attachment_url` accepts shows its extension in the raw page, ending a word (`.pdf"`,
# `.PDF?id=1`; never `.document`), unless a character reference spells part of it (`&#46;pdf`, `&period;`).
# Letter classes, not re.IGNORECASE: a case-blind search of a 60 KB page costs 5 times as much.
_FILE_EXTENSION = re.compile(r"\.(?:" + "|".join("".join(f"[{c}{c.upper()}]" for c in extension) for extension in
                                                 sorted(ATTACHMENT_EXTENSIONS, key=len, reverse=True)) + r")\b")


def file_links(html: str, base: str) -> list[tuple[str, str]]:
    """(href, text or title) of the links to files (`is_attachment_url`) in a page. A page whose raw text
    names no such file is not parsed: a report page links ~150 other sites and usually no file."""
    if "&#" not in html and "&period" not in html and not _FILE_EXTENSION.search(html):
        return []
    return links_in(html, base, keep=lambda href: is_attachment_url(href.strip()))


_COLUMN_SUFFIX = re.compile(r"(政府)?(信息|資訊)?(公开|公開)?(工作)?(年度)?(报告|報告|年报|年報)(专栏|專欄)?$")


def agency_from_link(text: str) -> str:
    """安顺市西秀区人民政府政府信息公开年报 → 安顺市西秀区人民政府."""
    name = _COLUMN_SUFFIX.sub("", re.sub(r"\s+", "", text))
    return name if 3 <= len(name) <= 40 else ""


def page_title(html: str) -> str:
    match = re.search(r"""<meta\s+name=["']ArticleTitle["']\s+content=["']([^"']+)""", html, re.IGNORECASE)
    if match:
        return match.group(1).strip()
    match = re.search(r"<title>(.*?)</title>", html, re.DOTALL | re.IGNORECASE)
    return re.sub(r"\s+", " ", match.group(1)).strip() if match else ""
