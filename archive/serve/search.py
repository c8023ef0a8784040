"""`/-/search`: the same engine and ranking as `nianbao search`, with filters, highlighted snippets and paging."""

from __future__ import annotations

import re
from pathlib import Path

from archive.index.search import SearchFilters, search_page
from archive.serve.pages import e, page, pager
from extract.metadata import to_simplified

__all__ = ["PAGE_SIZE", "filters_from", "search_view"]

PAGE_SIZE = 20
KINDS = ("", "html", "pdf", "doc", "docx", "wps", "xls", "xlsx", "ofd")
FILTER_LABELS = {"province": "省份", "agency": "机关", "year": "年度", "kind": "文件类型", "reports_only": "仅年度报告"}


def filters_from(params: dict[str, str]) -> SearchFilters:
    """The search filters a query string asks for."""
    year = params.get("year", "").strip()
    return SearchFilters(province=params.get("province", "").strip(), agency=params.get("agency", "").strip(),
                         year=int(year) if year.isdigit() else None, kind=params.get("kind", "").strip(),
                         reports_only=params.get("reports_only", "") in ("1", "on", "true"))


def highlight(snippet: str, query: str) -> str:
    """The snippet escaped, its [hits] of the query's terms marked."""
    terms = sorted({to_simplified(t) for t in query.split() if t}, key=len, reverse=True)
    escaped = e(snippet)
    if not terms:
        return escaped
    pattern = re.compile(r"\[(" + "|".join(re.escape(e(t)) for t in terms) + r")\]")
    return pattern.sub(r"<mark>\1</mark>", escaped)


def _form(params: dict[str, str]) -> str:
    kinds = "".join(f"<option value='{k}'{' selected' if params.get('kind') == k else ''}>{k.upper() or '全部类型'}"
                    "</option>" for k in KINDS)
    checked = " checked" if params.get("reports_only") in ("1", "on", "true") else ""
    return ("<form class='filters' method='get' action='/-/search'>"
            f"<input name='q' size='30' value='{e(params.get('q', ''))}' placeholder='关键词（简体或繁体）'>"
            f"<input name='province' size='8' value='{e(params.get('province', ''))}' placeholder='省份'>"
            f"<input name='agency' size='14' value='{e(params.get('agency', ''))}' placeholder='机关全称'>"
            f"<input name='year' size='5' value='{e(params.get('year', ''))}' placeholder='年度'>"
            f"<select name='kind'>{kinds}</select><label><input type='checkbox' name='reports_only' value='1'{checked}>"
            "仅年度报告</label> <button>搜索</button></form>")


def _empty(query: str, reason: str, params: dict[str, str]) -> str:
    if reason == "filters":
        used = "、".join(f"{label}={params[k]}" for k, label in FILTER_LABELS.items() if params.get(k))
        return (f"<p class='note empty'>“{e(query)}”有匹配的文档，但都被筛选条件排除了（{e(used)}）。"
                "请放宽筛选条件。</p>")
    return f"<p class='note empty'>没有文档包含“{e(query)}”。</p>"


def _hit(row: dict[str, object], query: str) -> str:
    kind = str(row['kind'] or '').upper() + (" · 年度报告" if row["is_report"] else "")
    return (f"<li><a href='/-/report/{row['id']}'>{e(row['title'] or row['url'])}</a><br>"
            f"<small>{e(row['agency'] or '—')} · {e(row['province'] or '')} · {e(row['year'] or '')} · {e(kind)}"
            f"</small><br><span class='snippet'>{highlight(str(row['snippet'] or ''), query)}</span></li>")


def search_view(db: Path, params: dict[str, str]) -> tuple[int, str]:
    """(status, HTML) of the search page; params: q, province, agency, year, kind, reports_only, page."""
    query = params.get("q", "").strip()
    number = max(1, int(params["page"])) if params.get("page", "").isdigit() else 1
    body = [f"<h1>全文搜索</h1>{_form(params)}"]
    if query:
        result = search_page(db, query, PAGE_SIZE, filters_from(params), (number - 1) * PAGE_SIZE)
        kept = {k: params.get(k, "") for k in ("q", *FILTER_LABELS)}
        if result.rows:
            body.append(pager("/-/search", kept, number, PAGE_SIZE, result.total))
            if result.common:
                body.append("<p><small>这是很常见的词：结果在最新的匹配文档中排序。</small></p>")
            body.append("<ol class='hits'>" + "".join(_hit(r, query) for r in result.rows) + "</ol>")
        elif result.total:
            body.append(f"<p class='note empty'>这一页没有结果（共 {result.total} 条）。</p>")
        else:
            body.append(_empty(query, result.empty_reason, params))
    return 200, page(f"搜索：{query}" if query else "搜索", "".join(body))
