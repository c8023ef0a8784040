"""`/-/coverage`: agencies × years as a heat map of on time, late, missing, blocked, unreachable and not
yet due.

Agencies are the seeds' (the `agencies` table, blocked ones included) and any agency a report names;
blocked sites come from the run records' `blocked` map (seed URL → appliance), unreachable ones from the
captures (their seed URL never answered).
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from archive.index.search import spellings_of
from archive.serve.cache import memo
from archive.serve.deadlines import STATUS_LABELS, deadline, is_government, seed_levels, status
from archive.serve.pages import Html, connect, e, optional, page, pager, query_string, table
from extract.metadata import to_simplified

__all__ = ["Coverage", "coverage", "coverage_page"]

AGENCIES_PER_PAGE = 100
BLOCKERS = {"ruishu": "瑞数", "jiasule": "加速乐", "chuangyu": "创宇"}


@dataclass
class Coverage:
    """The heat map's data: one status (and report id when held) per agency and year."""

    years: list[int]
    agencies: list[tuple[str, str]]  # (province, agency)
    cells: dict[tuple[str, str, int], tuple[str, int | None]]
    access: dict[tuple[str, str], str]  # (province, agency) → 'ruishu', 'jiasule', … or 'unreachable'
    levels: dict[tuple[str, str], str]  # (province, agency) → the seeds' level, where they give one


def _access(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """Agencies whose site answered an anti-bot page (the appliance, from the run records) or never answered
    at all (no capture of the seed URL below status 400): 'unreachable'."""
    by_url: dict[str, str] = {}
    for (stats,) in optional(conn, "select stats from runs order by started"):
        try:
            by_url.update((json.loads(stats or "{}") or {}).get("blocked") or {})
        except (ValueError, AttributeError):
            continue
    out = {(r["province"] or "", r["agency"]): by_url[r["url"]]
           for r in optional(conn, "select agency, province, url from agencies") if r["url"] in by_url}
    silent = optional(conn, "select agency, province from agencies a where not exists (select 1 from captures c "
                            "where c.url = a.url and c.status between 200 and 399)")
    for row in silent:
        out.setdefault((row["province"] or "", row["agency"]), "unreachable")
    return out


def _held(conn: sqlite3.Connection, province: str) -> dict[tuple[str, str, int], tuple[str, int]]:
    """(province, agency, year) → (first publication date, leading document) of every report held; grouped
    in the facets index's order, so SQLite needs no sort."""
    where, params = "is_report = 1 and year is not null", []
    if province:
        names = spellings_of(conn, "province", province)
        where += f" and province in ({', '.join('?' * len(names))})"
        params = names
    rows = conn.execute(
        "select province, agency, year, min(nullif(published, '')), "
        f"coalesce(min(case when kind = 'html' then id end), min(id)) from documents where {where} "
        "group by province, agency, year", params).fetchall()
    return {(r[0] or "", r[1] or "", int(r[2])): (r[3] or "", int(r[4])) for r in rows}


def coverage(conn: sqlite3.Connection, province: str = "", today: date | None = None, city: str = "",
             levels: dict[tuple[str, str], str] | None = None) -> Coverage:
    """Status of every agency × year, for one province and city (either script; a city as the seeds name it)
    or all."""
    today = today or date.today()
    held = _held(conn, province)
    agencies = {(r["province"] or "", r["agency"]) for r in optional(conn, "select agency, province from agencies")}
    agencies |= {(prov, agency) for prov, agency, _year in held}
    if province:
        agencies = {a for a in agencies if to_simplified(a[0]) == to_simplified(province)}
    if city:
        agencies &= {(r["province"] or "", r["agency"]) for r in optional(conn, "select agency, province, city "
                     "from agencies") if to_simplified(r["city"] or "") == to_simplified(city)}
    years = list(range(min((y for _p, _a, y in held), default=today.year - 1), today.year))
    access = _access(conn)
    cells: dict[tuple[str, str, int], tuple[str, int | None]] = {}
    for prov, agency in agencies:
        government = is_government(agency, (levels or {}).get((prov, agency), ""))
        reach = access.get((prov, agency), "")
        reach = "blocked" if reach and reach != "unreachable" else reach
        for year in years:
            published, doc = held.get((prov, agency, year), ("", None))
            state = status(year, government, published, doc is not None, reach, today)
            cells[(prov, agency, year)] = (state, doc)
    return Coverage(years, sorted(agencies), cells, access, levels or {})


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
    why = query_string({"agency": agency, "province": prov, "year": year})
    href = f"/-/report/{doc}" if doc else f"/-/coverage{why}"
    mark = {"on_time": "✓", "late": "迟", "undated": "✓", "missing": "✗", "blocked": "拦", "unreachable": "断",
            "not_due": "…"}[state]
    return Html(f"<a class='s-{state}' href='{e(href)}' title='{year} {label}' data-status='{state}'>{mark}</a>")


def _summary(data: Coverage) -> str:
    """Counts per province and status."""
    counts: dict[str, Counter[str]] = {}
    for (prov, _agency, _year), (state, _doc) in data.cells.items():
        counts.setdefault(prov, Counter())[state] += 1
    head = ["省份", "机关数", *STATUS_LABELS.values()]
    rows = [[Html(f"<a href='/-/coverage{e(query_string({'province': p}))}'>{e(p) or '（未知）'}</a>"),
             sum(1 for a in data.agencies if a[0] == p), *(c[s] for s in STATUS_LABELS)]
            for p, c in sorted(counts.items())]
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
    with connect(db) as conn:
        levels = memo(db, ("levels", str(archive)), lambda: seed_levels(archive))
        data = memo(db, ("coverage", province, city, day), lambda: coverage(conn, province, day, city, levels))
        lists = memo(db, ("incomplete-lists",), lambda: incomplete_lists(conn))
    summary = memo(db, ("coverage-summary", province, city, day), lambda: _summary(data))
    notice = ""
    if params.get("agency") and params.get("year", "").isdigit():
        why = _why(data, params.get("province", ""), params["agency"], int(params["year"]))
        notice = f"<p class='note why'>{e(why)}</p>"
    legend = "".join(f"<span class='s-{k}'>{v}</span>" for k, v in STATUS_LABELS.items())
    shown = data.agencies[(number - 1) * AGENCIES_PER_PAGE:number * AGENCIES_PER_PAGE]
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
