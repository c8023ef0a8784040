"""Article metadata: title, publication date, agency, script, from the national meta tags and the page."""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

__all__ = ["find_date_in_text", "page_agency", "page_title", "published_date", "script_of", "to_simplified"]

_DATE = re.compile(r"(20[0-4]\d|19[89]\d)\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_PUBLISHED_LINE = re.compile(r"(发布|發佈|发文|成文|公开)(时间|日期|時間)[:：]?\s*(.{6,22})")
_SOURCE_LINE = re.compile(r"(来源|來源|发布机构|發佈機構)[:：]\s*([^\s|｜，,]{2,40})")
_CN_DATE = re.compile(
    r"(二[〇○零][〇○零一二三四五六七八九]{2})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日"
)
_SITE_SUFFIX = re.compile(r"\s*[-_|｜—–]+\s*[^-_|｜—–]{2,40}$")


def _meta(root: etree._Element, name: str) -> str:
    for node in root.xpath(f"//meta[translate(@name,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')"
                           f"='{name.lower()}']"):
        content = (node.get("content") or "").strip()
        if content:
            return content
    return ""


def page_title(root: etree._Element) -> str:
    """ArticleTitle meta → the article heading → <title> without the site name."""
    title = _meta(root, "ArticleTitle")
    if title:
        return re.sub(r"\s+", " ", title)
    for xpath in ("//h1", "//*[contains(@class,'title')][not(self::title)]", "//h2"):
        for node in root.xpath(xpath):
            text = re.sub(r"\s+", " ", "".join(node.xpath(".//text()[not(ancestor::script)][not(ancestor::style)]")))
            text = text.strip()
            if 4 <= len(text) <= 120:
                return text
    nodes = root.xpath("//title")
    text = re.sub(r"\s+", " ", "".join(nodes[0].itertext())).strip() if nodes else ""
    return _SITE_SUFFIX.sub("", text) if len(text) > 12 else text


def _iso(year: str, month: str, day: str) -> str:
    try:
        y, m, d = int(year), int(month), int(day)
    except ValueError:
        return ""
    return f"{y:04d}-{m:02d}-{d:02d}" if 1 <= m <= 12 and 1 <= d <= 31 else ""


def find_date_in_text(text: str) -> str:
    """First ISO date in a string (2025-01-20, 2025年1月20日, 二〇二五年一月二十日), '' if none."""
    match = _DATE.search(text)
    if match:
        return _iso(*match.groups())
    match = _CN_DATE.search(text)
    if match:
        return _iso(_cn_number(match.group(1), digits=True), _cn_number(match.group(2)), _cn_number(match.group(3)))
    return ""


def _cn_number(text: str, digits: bool = False) -> str:
    table = {"〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    if digits:
        return "".join(str(table[ch]) for ch in text)
    if "十" in text:
        tens, _, units = text.partition("十")
        return str((table.get(tens, 1) if tens else 1) * 10 + (table.get(units, 0) if units else 0))
    return str(table.get(text, 0))


def published_date(root: etree._Element, text: str, url: str = "") -> str:
    """PubDate meta → a 发布时间 line → the date under the signature (last date in the text) → htmldate
    (other metadata, the URL's date such as TRS `t20240115_…`; never a guess from the running text)."""
    meta = _meta(root, "PubDate") or _meta(root, "firstpublishedtime") or _meta(root, "publishdate")
    if meta and (iso := find_date_in_text(meta)):
        return iso
    page_text = " ".join(root.xpath("//body//text()"))[:20000]
    for match in _PUBLISHED_LINE.finditer(page_text):
        if iso := find_date_in_text(match.group(3)):
            return iso
    tail = text[-200:]
    dates = [m for m in _DATE.finditer(tail)] or [m for m in _CN_DATE.finditer(tail)]
    if dates:
        return find_date_in_text(dates[-1].group(0))
    return _htmldate(root, url) or _url_date(url)


# Gov CMSs put the article's creation date in its path: TRS `…/202401/t20240115_4567.html`,
# Hanweb `…/art/2024/1/15/art_1229_4567.html`.
_URL_DATES = (
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_\d+"),
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),
)


def _url_date(url: str) -> str:
    for pattern in _URL_DATES:
        if match := pattern.search(url):
            year, month, day = (int(g) for g in match.groups())
            if 1 <= month <= 12 and 1 <= day <= 31:
                return f"{year:04d}-{month:02d}-{day:02d}"
    return ""


def _htmldate(root: etree._Element, url: str) -> str:
    from htmldate import find_date

    try:  # fixed bounds: the default upper bound is "today", which would make the result depend on the day
        found = find_date(root, extensive_search=False, original_date=True, url=url or None,
                          min_date="1995-01-01", max_date="2100-12-31")
    except Exception:  # htmldate on a hostile page must not stop extraction
        return ""
    return found or ""


def page_agency(root: etree._Element, text: str) -> str:
    """ContentSource meta → 来源 line → the signature line (an agency name ending the text)."""
    source = _meta(root, "ContentSource")
    if source:
        return source
    page_text = " ".join(root.xpath("//body//text()"))[:20000]
    match = _SOURCE_LINE.search(page_text)
    if match:
        return match.group(2)
    return signature_agency(text) or _meta(root, "SiteName")


def signature_agency(text: str) -> str:
    """The agency signing the report: a line ending in 局/委/办/厅/政府/院 … near the end."""
    for line in reversed([ln.strip() for ln in text.strip().split("\n")[-6:]]):
        if re.fullmatch(r"[\u4e00-\u9fff（）()]{3,30}(局|委员会|委|办公室|办|厅|政府|院|中心|署|会)", line):
            return line
    return ""


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Simplified-script copy of a text (OpenCC t2s), for search across scripts."""
    return _t2s().convert(text) if text else ""


def script_of(text: str) -> str:
    """'traditional' when converting to simplified changes a noticeable share of characters."""
    sample = text[:4000]
    if not sample:
        return "simplified"
    simplified = to_simplified(sample)
    if simplified == sample:  # the usual case, decided without counting
        return "simplified"
    changed = sum(a != b for a, b in zip(sample, simplified, strict=False))  # OpenCC may change the length
    hanzi = sum("\u4e00" <= ch <= "\u9fff" for ch in sample) or 1
    return "traditional" if changed / hanzi > 0.05 else "simplified"
