"""`/-/coverage`: agencies × years as a heat map of on time, late, missing, blocked, unreachable and not
yet due (the data: `coverage_counts`).

Agencies are the seeds' (the `agencies` table, blocked ones included) and any agency a report names;
blocked sites come from the run records' `blocked` map (seed URL → appliance), unreachable ones from the
captures (their seed URL never answered).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date
from pathlib import Path

from archive.serve.cache import memo
from archive.serve.coverage_counts import Coverage, cells_of, coverage
from archive.serve.deadlines import STATUS_LABELS, deadline, is_government, seed_levels
from archive.serve.pages import Html, connect, e, page, pager, query_string, table

__all__ = ["Coverage", "cells_of", "coverage", "coverage_page", "incomplete_lists"]

AGENCIES_PER_PAGE = 100
BLOCKERS = {"ruishu": "瑞数", "jiasule": "加速乐", "chuangyu": "创宇"}


def _why(data: Coverage, prov: str, agency: str, year: int) -> str:
    """Why the archive holds no report of `agency` on `year`, in words."""
    state, _doc = data.cells.get((prov, agency, year), ("missing", None))
    due = deadline(year, is_government(agency, data.levels.get((prov, agency), ""))).isoformat()
    if state == "not_due":
        return f"{agency} {year} 年度报告尚未到期（截止 {due}）。"
    if state == "unreachable":
        return f"{agency} 的网站在抓取时没有应答（连接失败或服务器错误），未能列出其报告。"
    if state == "blocked":
        vendor = data.access[(prov, agency)]
        return (f"{agency} 的网站返回反爬虫页面（{BLOCKERS.get(vendor, vendor)}），未能列出其报告；"
                "这不表示该机关没有发布报告。")
    return f"已抓取 {agency} 的网站，但未找到 {year} 年度报告（截止 {due}）。"


def _cell(data: Coverage, prov: str, agency: str, year: int) -> Html:
    state, doc = data.cells[(prov, agency, year)]
    label = STATUS_LABELS[state]
    why = "" if doc else query_string({"agency": agency, "province": prov, "year": year})
    href = f"/-/report/{doc}" if doc else f"/-/coverage{why}"
    mark = {"on_time": "✓", "late": "迟", "undated": "✓", "missing": "✗", "blocked": "拦", "unreachable": "断",
            "not_due": "…"}[state]
    return Html(f"<a class='s-{state}' href='{e(href)}' title='{year} {label}' data-status='{state}'>{mark}</a>")


def _summary(data: Coverage) -> str:
    """Counts per province and status."""
    agencies = Counter(prov for prov, _agency in data.agencies)
    head = ["省份", "机关数", *STATUS_LABELS.values()]
    rows = [[Html(f"<a href='/-/coverage{e(query_string({'province': p}))}'>{e(p) or '（未知）'}</a>"),
             agencies[p], *(c[s] for s in STATUS_LABELS)]
            for p, c in sorted(data.counts.items())]
    return table(rows, head, "counts")


def incomplete_lists(conn: sqlite3.Connection) -> list[tuple[str, str, int, int, str]]:
    """(agency, list URL, items shown, items declared, CMS form) of the report lists whose script declares
    more items than the crawl could fetch (the latest capture of each list page)."""
    try:
        rows = conn.execute(
            "select coalesce(a.agency, c.seed), coalesce(nullif(c.list_root, ''), c.url), c.url, c.list_shown, "
            "c.list_declared, c.list_form from captures c left join agencies a on a.url = c.seed "
            "where c.list_declared is not null and c.status = 200 order by c.fetched_at").fetchall()
    except sqlite3.OperationalError:  # an index made before schema 4
        return []
    pages: dict[str, dict[str, tuple[str, int, int, str]]] = {}
    for agency, root, url, shown, declared, form in rows:  # the latest answer of each page wins
        pages.setdefault(root, {})[url] = (agency, int(shown or 0), int(declared or 0), form or "")
    out = []
    for root, members in pages.items():
        agency = next(iter(members.values()))[0]
        shown, declared = sum(m[1] for m in members.values()), max(m[2] for m in members.values())
        if shown < declared:
            out.append((agency, root, shown, declared, next(iter(members.values()))[3]))
    return out


def _incomplete_html(lists: list[tuple[str, str, int, int, str]]) -> str:
    if not lists:
        return ""
    rows = [[agency, Html(f"<a href='{e(url)}'>{e(url)}</a>"), f"{shown} / {declared}", form]
            for agency, url, shown, declared, form in lists]
    return ("<h2>未抓全的报告列表</h2><p class='note bad'>这些栏目的脚本声明的条目多于能抓到的条目："
            "其机关的“缺失”可能只是未列出，不能算作完整。</p>" + table(rows, ["机关", "列表", "已列出 / 声明", "系统"]))


def coverage_page(db: Path, params: dict[str, str] | None = None, today: date | None = None,
                  archive: Path | None = None) -> tuple[int, str]:
    """(status, HTML) of the coverage heat map; params: province, city, page, and agency+year to explain a
    cell. `archive` holds the run records that give the seeds' levels."""
    params = params or {}
    province, city, day = params.get("province", "").strip(), params.get("city", "").strip(), today or date.today()
    number = max(1, int(params["page"])) if params.get("page", "").isdigit() else 1
    asked = (params.get("province", ""), params.get("agency", ""))
    with connect(db) as conn:
        levels = seed_levels(archive)
        data = memo(db, ("coverage", province, city, day, id(levels)),
                    lambda: coverage(conn, province, day, city, levels))
        lists = memo(db, ("incomplete-lists",), lambda: incomplete_lists(conn))
        shown = data.agencies[(number - 1) * AGENCIES_PER_PAGE:number * AGENCIES_PER_PAGE]
        cells_of(conn, data, [*shown, asked] if asked[1] else shown, day)
    summary = memo(db, ("coverage-summary", province, city, day, id(levels)), lambda: _summary(data))
    notice = ""
    if params.get("agency") and params.get("year", "").isdigit():
        why = _why(data, params.get("province", ""), params["agency"], int(params["year"]))
        notice = f"<p class='note why'>{e(why)}</p>"
    legend = "".join(f"<span class='s-{k}'>{v}</span>" for k, v in STATUS_LABELS.items())
    rows = [[prov, agency, *(_cell(data, prov, agency, y) for y in data.years)] for prov, agency in shown]
    form = ("<form class='filters' method='get' action='/-/coverage'>"
            f"<input name='province' placeholder='省份' value='{e(province)}'>"
            f"<input name='city' placeholder='地市' value='{e(city)}'><button>筛选</button></form>")
    paging = pager("/-/coverage", {"province": province, "city": city}, number, AGENCIES_PER_PAGE, len(data.agencies))
    body = (f"<h1>覆盖情况：各机关各年度报告</h1>{notice}{form}<p class='legend'>{legend}</p>"
            "<p>截止日期（《政府信息公开条例》第四十九条）：2019 年修订后，县级以上政府部门为次年 1 月 31 日，"
            "地方人民政府（含乡镇、街道）为次年 3 月 31 日；此前一律为 3 月 31 日。</p>"
            f"{summary}{paging}{table(rows, ['省份', '机关', *data.years], 'heat')}{_incomplete_html(lists)}")
    return 200, page("覆盖情况", body)
