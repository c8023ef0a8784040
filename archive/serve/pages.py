"""The frame every nianbao page shares: layout, navigation, style, security headers and the read-only
connection the pages query through.

Pages are plain HTML built on the server (no script runs on them: the CSP forbids it), labelled in
Chinese for their readers. Archived HTML is never rendered in our origin.
"""

from __future__ import annotations

import html
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

__all__ = ["PAGE_HEADERS", "STYLE", "Html", "connect", "e", "optional", "page", "pager", "query_string", "table"]

# No script, no plugin, no framing; styles inline (one <style> block); images only from here or inline SVG.
PAGE_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}

STYLE = """<style>
body{font-family:system-ui,"Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;max-width:76em;margin:1em auto;
padding:0 1em;color:#222}
nav a{margin-right:1em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #bbb;padding:.2em .4em;font-size:90%;vertical-align:top}th{background:#f0f0f0}
.meta td:first-child{font-weight:bold;white-space:nowrap}.bad{color:#b00}.ok{color:#070}
td.bad,th.bad{background:#fdd}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}
.text p{margin:.3em 0}mark{background:#ffe066}.note{background:#fff6d6;border:1px solid #e0c060;padding:.5em}
.hits li{margin:.6em 0}.form tr>th:first-child{text-align:left}.snippet{color:#444}.num{text-align:right}
.heat td{width:3.2em;text-align:center}.heat td:nth-child(2){white-space:nowrap;text-align:left}
.heat a{text-decoration:none;color:inherit;display:block}
.s-on_time{background:#4caf50;color:#fff}.s-late{background:#ff9800}.s-missing{background:#e57373}
.s-blocked{background:#6a1b9a;color:#fff}.s-unreachable{background:#555;color:#fff}.s-not_due{background:#e0e0e0}.s-undated{background:#90caf9}
.legend span{padding:.1em .5em;margin-right:.5em}form.filters input,form.filters select{margin-right:.5em}
</style>"""


class Html(str):
    """Markup already escaped: `page` and `table` insert it as is."""


def e(value: object) -> str:
    """HTML-escape a value (None as empty)."""
    if isinstance(value, Html):
        return value
    return html.escape("" if value is None else str(value))


NAV = (("/", "首页"), ("/-/search", "搜索"), ("/-/reports", "报告"), ("/-/coverage", "覆盖情况"),
       ("/-/figures", "统计数字"), ("/index/runs", "抓取记录"), ("/index", "数据库 (SQL)"))


def page(title: str, body: str) -> str:
    """A whole HTML page around `body`."""
    links = "".join(f"<a href='{href}'>{label}</a>" for href, label in NAV)
    return (f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><title>{e(title)} · nianbao</title>"
            f"{STYLE}</head><body><nav>{links}</nav>{body}</body></html>")


def table(rows: Sequence[Sequence[object]], head: Sequence[object] = (), cls: str = "") -> str:
    """A table of escaped cells (Html cells kept as they are)."""
    header = "<tr>" + "".join(f"<th>{e(c)}</th>" for c in head) + "</tr>" if head else ""
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class='{cls}'>{header}{body}</table>"


def query_string(params: Mapping[str, object]) -> str:
    """`?a=1&b=2` from the non-empty parameters."""
    kept = {k: v for k, v in params.items() if v not in (None, "", False)}
    return "?" + urlencode(kept) if kept else ""


def pager(path: str, params: Mapping[str, object], page_number: int, size: int, total: int) -> str:
    """"第 1–20 条，共 27 条" with previous/next links."""
    if not total:
        return ""
    first, last = (page_number - 1) * size + 1, min(page_number * size, total)
    links = []
    if page_number > 1:
        links.append(f"<a href='{path}{e(query_string({**params, 'page': page_number - 1}))}'>上一页</a>")
    if last < total:
        links.append(f"<a href='{path}{e(query_string({**params, 'page': page_number + 1}))}'>下一页</a>")
    return f"<p class='pager'>第 {first}–{last} 条，共 {total} 条 {' '.join(links)}</p>"


@contextmanager
def connect(db: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the index, closed on exit."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def optional(conn: sqlite3.Connection, sql: str, *args: object) -> list[sqlite3.Row]:
    """Rows of `sql`, or none on an index built before the table existed."""
    try:
        return conn.execute(sql, args).fetchall()
    except sqlite3.OperationalError:
        return []
