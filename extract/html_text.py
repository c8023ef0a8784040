"""Main text and tables of a government article page.

Known CMS body containers first (TRS `.TRS_Editor`, Hanweb `#zoom`, Kaipuyun `#UCAP-CONTENT` …): one
lxml pass, ~2 ms a page. trafilatura only when no container holds enough text. Tables come out
structured (rowspan/colspan expanded by repeating the cell, the spans kept beside: `SpannedTable`) and in
the text as tab-separated rows.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from .table_grid import Span, SpannedTable

__all__ = ["CONTAINERS", "Table", "extract_main", "parse_html"]

Table = tuple[tuple[str, ...], ...]

CONTAINERS = (
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]",
    "//*[@id='zoom']",
    "//*[@id='UCAP-CONTENT']",
    "//*[@id='detailContent']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' article-content ')]",
    "//*[@id='content']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' view ')]",
    "//article",
)
_MIN_CONTAINER_CHARS = 120
_CHROME = re.compile(
    r"^(分享到[:：]?.*|扫一扫在手机打开当前页|【?打印】?|【?关闭(窗口)?】?|字[体号][:：]?\s*[【\[]?[大中小].*|"
    r"浏览次数[:：]?.*|访问量[:：]?.*|上一篇[:：].*|下一篇[:：].*|微信|微博|QQ空间|.*网站标识码.*|.*ICP备.*)$")
_BLOCK = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article", "table",
          "ul", "ol", "dd", "dt", "blockquote", "center", "pre"}
_TABLE_EDGE = "\x1e"  # marks a table's edges until clean_lines turns them into blank lines
_SKIP = {"script", "style", "noscript", "template", "iframe", "object", "select", "button", "form"}


def parse_html(html: str) -> etree._Element | None:
    """Parse HTML leniently; None for an empty or unparsable page."""
    if not html.strip():
        return None
    try:
        return lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _cell_text(cell: etree._Element) -> str:
    # str.split() and the regex \s agree on what whitespace is: runs become one space, ends trimmed
    return " ".join("".join(cell.itertext()).split())


def table_rows(table: etree._Element) -> SpannedTable:
    """Rows of an HTML table with rowspan/colspan expanded into every slot they cover, and the spans."""
    grid: dict[tuple[int, int], str] = {}
    spans: list[Span] = []
    rows = [tr for tr in table.iter("tr") if _nearest_table(tr) is table]
    for r, tr in enumerate(rows):
        c = 0
        for cell in tr:
            if cell.tag != "td" and cell.tag != "th":  # comments and processing instructions too
                continue
            while (r, c) in grid:
                c += 1
            text = _cell_text(cell)
            rowspan, colspan = _span(cell.get("rowspan")), _span(cell.get("colspan"))
            if rowspan == colspan == 1:  # most cells: (r, c) is free, and a 1×1 span is not kept
                grid[r, c] = text
                c += 1
                continue
            owned = {(r + dr, c + dc) for dr in range(rowspan) for dc in range(colspan) if (r + dr, c + dc) not in grid}
            grid.update(dict.fromkeys(owned, text))
            spans.append(_owned_span(r, c, rowspan, colspan, owned))
            c += colspan
    if not grid:
        return SpannedTable(())
    height = max(r for r, _ in grid) + 1
    width = max(c for _, c in grid) + 1
    return SpannedTable(tuple(tuple(grid.get((r, c), "") for c in range(width)) for r in range(height)), tuple(spans))


def _owned_span(r: int, c: int, rowspan: int, colspan: int, owned: set[tuple[int, int]]) -> Span:
    """The rectangle from (r, c) a cell really covers when an earlier cell's span overlaps its own (broken
    markup a browser draws one way and we another): spans never overlap."""
    width = next((w for w in range(colspan) if (r, c + w) not in owned), colspan)
    height = next((h for h in range(rowspan) if any((r + h, c + w) not in owned for w in range(width))), rowspan)
    return (r, c, height, width)


def _nearest_table(element: etree._Element) -> etree._Element | None:
    parent = element.getparent()
    while parent is not None and parent.tag != "table":
        parent = parent.getparent()
    return parent


def _span(value: str | None) -> int:
    if value is None:
        return 1
    try:
        return max(1, min(int(value or 1), 100))
    except ValueError:
        return 1


def _render(element: etree._Element, out: list[str], tables: list[Table]) -> None:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _SKIP:
        return
    if tag == "table":
        rows = table_rows(element)
        if rows:
            tables.append(rows)
            out.append(f"\n{_TABLE_EDGE}\n" + "\n".join("\t".join(row) for row in rows) + f"\n{_TABLE_EDGE}\n")
        return
    if tag in _BLOCK:
        out.append("\n")
    if element.text and tag:
        out.append(element.text)
    for child in element:
        _render(child, out, tables)
        if child.tail:
            out.append(child.tail)
    if tag in _BLOCK:
        out.append("\n")


def render_text(element: etree._Element) -> tuple[str, tuple[Table, ...]]:
    """Text of an element: blocks on their own lines, tables as tab-separated rows."""
    out: list[str] = []
    tables: list[Table] = []
    _render(element, out, tables)
    return clean_lines("".join(out)), tuple(tables)


def clean_lines(text: str) -> str:
    """One block per line, page chrome dropped, one blank line before and after each table."""
    lines: list[str] = []
    for raw in text.replace("\r", "").replace("\xa0", " ").split("\n"):
        if raw == _TABLE_EDGE:
            if lines and lines[-1]:
                lines.append("")
            continue
        line = raw.strip(" \u200b") if "\t" in raw else re.sub(r"[ \t]+", " ", raw).strip(" \u200b")
        if not line or _CHROME.match(line):
            continue
        lines.append(line)
    return "\n".join(lines).strip()


def extract_main(root: etree._Element, html: str) -> tuple[str, tuple[Table, ...], str]:
    """(text, tables, method) of the page's main content; method names the container or 'trafilatura'."""
    for xpath in CONTAINERS:
        for node in root.xpath(xpath):
            text, tables = render_text(node)
            if len(re.sub(r"\s", "", text)) >= _MIN_CONTAINER_CHARS or tables:
                return text, tables, xpath
    import trafilatura  # only for pages no known container explains

    extracted = trafilatura.extract(html, include_tables=True, include_comments=False, favor_recall=True,
                                    output_format="txt") or ""
    body = root.find("body")
    tables = tuple(t for t in (table_rows(tab) for tab in (body.iter("table") if body is not None else ()))
                   if t and len(t) > 1)
    if not extracted and body is not None:
        text, tables = render_text(body)
        return text, tables, "body"
    return clean_lines(extracted), tables, "trafilatura"
