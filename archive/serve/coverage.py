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
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from archive.index.rollups import report_years_source, simplified_names
from archive.index.search import spellings_of
from archive.serve.cache import memo
from archive.serve.deadlines import STATUS_LABELS, deadline, is_government, seed_levels, status
from archive.serve.pages import Html, connect, e, optional, page, pager, query_string, table
from extract.metadata import to_simplified

__all__ = ["Coverage", "cells_of", "coverage", "coverage_page", "incomplete_lists"]

AGENCIES_PER_PAGE = 100
BLOCKERS = {"ruishu": "瑞数", "jiasule": "加速乐", "chuangyu": "创宇"}


@dataclass
class Coverage:
    """The heat map's data: every agency, the count of each status per province, and the status (and
    report id when held) of the cells asked for."""

    years: list[int]
    agencies: list[tuple[str, str]]  # (province, agency)
    cells: dict[tuple[str, str, int], tuple[str, int | None]]
    access: dict[tuple[str, str], str]  # (province, agency) → 'ruishu', 'jiasule', … or 'unreachable'
    levels: dict[tuple[str, str], str]  # (province, agency) → the seeds' level, where they give one
    counts: dict[str, Counter[str]] = field(default_factory=dict)  # province → status → cells
    government: dict[tuple[str, str], bool] = field(default_factory=dict)


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


def _province_filter(conn: sqlite3.Connection, province: str) -> tuple[str, list[str]]:
    if not province:
        return "", []
    names = spellings_of(conn, "province", province)
    return f" and province in ({', '.join('?' * len(names))})", names


# (province, agency) → (reports before this year, undated, on time as a government, on time as a department,
# the last year's report held): one agency's reports on the heat map's years
_Held = tuple[int, int, int, int, bool]


def _held(conn: sqlite3.Connection, province: str, this_year: int) -> tuple[dict[tuple[str, str], _Held], int]:
    """Every agency holding a report (even a newer one) → its reports before `this_year`, and the first year
    any report is on; read from `report_years` (on time by either deadline rule stored with each report), one
    pass over its covering index."""
    where, params = _province_filter(conn, province)
    source = report_years_source(conn)
    rows = conn.execute(
        "select province, agency, count(*), sum(first_day is null), total(on_time_government), "
        f"total(on_time_department), max(year = ?) from {source} where year < ?{where} group by province, agency",
        [this_year - 1, this_year, *params]).fetchall()
    held = {(r[0] or "", r[1] or ""): (r[2], r[3], int(r[4]), int(r[5]), bool(r[6])) for r in rows}
    for row in conn.execute(f"select distinct province, agency from {source} where year >= ?{where}",
                            [this_year, *params]):  # only newer reports: on the map, every cell empty
        held.setdefault((row[0] or "", row[1] or ""), (0, 0, 0, 0, False))
    first = conn.execute(f"select min(year) from {source} where year is not null{where}", params).fetchone()[0]
    return held, int(first) if first is not None else this_year - 1


def _agency_set(conn: sqlite3.Connection, province: str, city: str, held: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The seeds' agencies and those holding a report, in one province and city (either script) or all."""
    agencies = {(r["province"] or "", r["agency"]) for r in optional(conn, "select agency, province from agencies")}
    agencies |= held
    if province:
        folded = simplified_names(conn, "province")
        wanted = to_simplified(province)
        agencies = {a for a in agencies if _fold(folded, a[0]) == wanted}
    if city:
        folded = simplified_names(conn, "city")
        wanted = to_simplified(city)
        agencies &= {(r["province"] or "", r["agency"]) for r in optional(conn, "select agency, province, city "
                     "from agencies") if _fold(folded, r["city"] or "") == wanted}
    return agencies


def _fold(folded: dict[str, str] | None, name: str) -> str:
    return folded[name] if folded is not None and name in folded else to_simplified(name)


def coverage(conn: sqlite3.Connection, province: str = "", today: date | None = None, city: str = "",
             levels: dict[tuple[str, str], str] | None = None) -> Coverage:
    """Every agency and the count of each status per province, for one province and city (either script;
    a city as the seeds name it) or all; `cells_of` adds the cells of the agencies shown."""
    today = today or date.today()
    held, first = _held(conn, province, today.year)
    agencies = _agency_set(conn, province, city, set(held))
    years = list(range(first, today.year))
    simplified = simplified_names(conn, "agency") or {}
    government = {a: is_government(a[1], (levels or {}).get(a, ""), simplified.get(a[1])) for a in agencies}
    data = Coverage(years, sorted(agencies), {}, _access(conn), levels or {}, government=government)
    last = today.year - 1
    _count_all(data, held, {gov: last in years and today <= deadline(last, gov) for gov in (True, False)})
    return data


def _count_all(data: Coverage, held: dict[tuple[str, str], _Held], due_ahead: dict[bool, bool]) -> None:
    """Each province's count of cells per status, agency by agency (10,000 of them: a few additions each)."""
    years = len(data.years)
    for key in data.agencies:
        counts = data.counts.get(key[0])
        if counts is None:
            counts = data.counts[key[0]] = Counter()
        government = data.government[key]
        reports, undated, on_time_government, on_time_department, last_held = held.get(key, (0, 0, 0, 0, False))
        on_time = on_time_government if government else on_time_department
        if reports:
            counts["on_time"] += on_time
            counts["undated"] += undated
            counts["late"] += reports - on_time - undated
        missing = years - reports
        if missing and due_ahead[government] and not last_held:  # only the last year's deadline can be ahead
            counts["not_due"] += 1
            missing -= 1
        reach = data.access.get(key, "")
        counts["blocked" if reach and reach != "unreachable" else reach or "missing"] += missing
    for counts in data.counts.values():
        counts += Counter()  # in place: drops the statuses counted zero times


def cells_of(conn: sqlite3.Connection, data: Coverage, shown: list[tuple[str, str]], today: date) -> None:
    """Fill `data.cells` for the agencies `shown`: each year's status and report."""
    names = sorted({agency for _prov, agency in shown})
    found: dict[tuple[str, str, int], tuple[str, int]] = {}
    for start in range(0, len(names), 500):  # below SQLite's limit on parameters
        chunk = names[start:start + 500]
        for row in conn.execute(f"select province, agency, year, first_published, main_id from "
                                f"{report_years_source(conn)} where year is not null and agency in "
                                f"({', '.join('?' * len(chunk))})", chunk):
            found[(row[0] or "", row[1] or "", int(row[2]))] = (row[3] or "", int(row[4]))
    for prov, agency in shown:
        reach = data.access.get((prov, agency), "")
        reach = "blocked" if reach and reach != "unreachable" else reach
        government = data.government.get((prov, agency), is_government(agency, data.levels.get((prov, agency), "")))
        for year in data.years:
            published, doc = found.get((prov, agency, year), ("", None))
            data.cells[(prov, agency, year)] = (status(year, government, published, doc is not None, reach, today), doc)


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
