"""`/-/reports`: one row per report, its HTML page and PDF/DOCX copies grouped, with its timeliness and checks.

A report is the set of report documents of one agency and year (the index keeps a row per capture and one
per report in `report_years`); the HTML page leads the group and its attachments are listed as copies.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from archive.index.rollups import report_years_source
from archive.index.search import spellings_of
from archive.serve.cache import memo
from archive.serve.deadlines import STATUS_LABELS, is_government, seed_levels, status
from archive.serve.pages import Html, connect, e, page, pager, query_string, table

__all__ = ["SORTS", "ReportGroup", "groups_of", "lead_page", "reports_page"]

PAGE_SIZE = 50
SORTS = {"year": "year desc, agency", "-year": "year, agency", "agency": "agency, year desc",
         "-agency": "agency desc, year desc", "province": "province, agency, year desc",
         "-province": "province desc, agency, year desc", "published": "first_published desc, agency",
         "-published": "first_published, agency"}


@dataclass(frozen=True)
class ReportGroup:
    """One agency's report on one year: its leading document and the copies."""

    agency: str
    province: str
    year: int | None
    published: str
    main_id: int
    capture_id: int | None
    members: tuple[tuple[int, str], ...]  # (document id, kind)


def _where(conn: sqlite3.Connection, province: str, agency: str, year: int | None) -> tuple[str, list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    for column, value in (("province", province), ("agency", agency)):
        if value:
            spellings = spellings_of(conn, column, value)
            clauses.append(f"{column} in ({', '.join('?' * len(spellings))})")
            params += spellings
    if year is not None:
        clauses.append("year = ?")
        params.append(year)
    return " and ".join(clauses) or "1", params


_GROUPS = """
    select agency, province, year, min(nullif(published, '')) as first_published,
           coalesce(min(case when kind = 'html' then id end), min(id)) as main_id,
           group_concat(id || ':' || coalesce(kind, ''), ',') as members
    from documents where {where} group by agency, province, coalesce(year, -id)"""


def _group(row: sqlite3.Row, capture_id: int | None) -> ReportGroup:
    members = tuple((int(i), k) for i, k in (m.split(":", 1) for m in row["members"].split(",")))
    return ReportGroup(row["agency"] or "", row["province"] or "", row["year"], row["first_published"] or "",
                       row["main_id"], capture_id, members)


def groups_of(conn: sqlite3.Connection, leads: list[int]) -> list[ReportGroup]:
    """The groups these leading documents head, in their order (a few indexed reads per group)."""
    out = []
    for lead in leads:
        head = conn.execute("select agency, province, year from documents where id = ?", (lead,)).fetchone()
        if head is None:
            continue
        if head["year"] is None:  # a report without a year is a group of its own
            where, params = "id = ?", [lead]
        else:
            where = "is_report = 1 and agency is ? and province is ? and year = ?"
            params = [head["agency"], head["province"], head["year"]]
        row = conn.execute(_GROUPS.format(where=where), params).fetchone()
        capture = conn.execute("select capture_id from documents where id = ?", (row["main_id"],)).fetchone()
        out.append(_group(row, capture[0] if capture else None))
    return out


def lead_page(conn: sqlite3.Connection, province: str, agency: str, year: int | None, sort: str, offset: int,
              limit: int) -> tuple[list[int], int]:
    """The leading documents of one page of the reports passing the filters, in `sort` order, and how many
    reports pass them (read from `report_years`: one row per report, indexed for each sort)."""
    source = report_years_source(conn)
    where, params = _where(conn, province, agency, year)
    total = conn.execute(f"select count(*) from {source} where {where}", params).fetchone()[0]
    rows = conn.execute(f"select main_id from {source} where {where} order by {SORTS.get(sort, SORTS['year'])}, "
                        "main_id limit ? offset ?", [*params, limit, offset]).fetchall()
    return [int(r[0]) for r in rows], int(total)


def _checks(conn: sqlite3.Connection, groups: list[ReportGroup]) -> dict[int, tuple[int, int]]:
    """(passed, failed) per document of the groups."""
    ids = [doc_id for g in groups for doc_id, _kind in g.members]
    if not ids:
        return {}
    try:
        rows = conn.execute(f"select document_id, sum(ok), sum(1 - ok) from report_checks where document_id in "
                            f"({', '.join('?' * len(ids))}) group by document_id", ids).fetchall()
    except sqlite3.OperationalError:
        return {}
    return {int(r[0]): (int(r[1]), int(r[2])) for r in rows}


def _similarity(conn: sqlite3.Connection, groups: list[ReportGroup]) -> dict[int, float]:
    """document id → share of its text repeated from the previous year's report (`nianbao similar` fills it)."""
    ids = [doc_id for g in groups for doc_id, _kind in g.members]
    if not ids:
        return {}
    try:
        rows = conn.execute(f"select document_id, share_of_previous from similarity where document_id in "
                            f"({', '.join('?' * len(ids))}) and share_of_previous is not null", ids).fetchall()
    except sqlite3.OperationalError:
        return {}
    return {int(r[0]): float(r[1]) for r in rows}


def _copied(group: ReportGroup, shares: dict[int, float]) -> object:
    share = next((shares[i] for i in (group.main_id, *(m for m, _k in group.members)) if i in shares), None)
    if share is None:
        return "—"
    return Html(f"<span class='{'bad' if share >= 0.8 else ''}'>{share:.0%}</span>")


def _row(group: ReportGroup, checks: dict[int, tuple[int, int]], today: date,
         levels: dict[tuple[str, str], str]) -> list[object]:
    ok, bad = next((checks[i] for i in (group.main_id, *(m for m, _k in group.members)) if i in checks), (0, 0))
    government = is_government(group.agency, levels.get((group.province, group.agency), ""))
    state = status(group.year, government, group.published, True, "", today) if group.year else "undated"
    copies = " ".join(f"<a href='/-/report/{i}'>{e(k.upper())}</a>" for i, k in group.members if i != group.main_id)
    original = f"<a href='/-/download/{group.capture_id}'>原件</a>" if group.capture_id else ""
    verdict = (f"<span class='ok'>通过 {ok}</span>" if ok else "") + (f" <span class='bad'>未通过 {bad}</span>"
                                                                    if bad else "")
    return [Html(f"<a href='/-/report/{group.main_id}'>{e(group.agency) or '（未知机关）'}</a>"), group.province,
            group.year or "", group.published, Html(f"<span class='s-{state}'>{STATUS_LABELS[state]}</span>"),
            Html(verdict or "—"), Html(copies), Html(original)]


def reports_page(db: Path, params: dict[str, str], today: date | None = None,
                 archive: Path | None = None) -> tuple[int, str]:
    """(status, HTML) of the reports list; params: province, agency, year, sort, page. `archive` holds the
    run records that give the seeds' levels."""
    year = int(params["year"]) if params.get("year", "").isdigit() else None
    number = max(1, int(params["page"])) if params.get("page", "").isdigit() else 1
    sort = params.get("sort", "year")
    province, agency = params.get("province", "").strip(), params.get("agency", "").strip()
    with connect(db) as conn:
        leads, total = memo(db, ("report-leads", province, agency, year, sort, number),
                            lambda: lead_page(conn, province, agency, year, sort, (number - 1) * PAGE_SIZE, PAGE_SIZE))
        groups = groups_of(conn, leads)
        checks = _checks(conn, groups)
        shares = _similarity(conn, groups)
    levels = memo(db, ("levels", str(archive)), lambda: seed_levels(archive))
    kept = {k: params.get(k, "") for k in ("province", "agency", "year", "sort")}
    heads = [("agency", "机关"), ("province", "省份"), ("year", "年度"), ("published", "发布日期")]
    head = [Html(f"<a href='/-/reports{e(query_string({**kept, 'sort': key if sort != key else '-' + key}))}'>"
                 f"{label}</a>") for key, label in heads] + ["按时/逾期", "数字核对", "与上年相同", "副本", "原件"]
    rows = [_row(g, checks, today or date.today(), levels) for g in groups]
    for row, group in zip(rows, groups, strict=True):
        row.insert(6, _copied(group, shares))
    form = ("<form class='filters' method='get' action='/-/reports'>"
            f"<input name='province' placeholder='省份' value='{e(kept['province'])}'>"
            f"<input name='agency' placeholder='机关全称' value='{e(kept['agency'])}'>"
            f"<input name='year' placeholder='年度' size='6' value='{e(kept['year'])}'>"
            f"<input type='hidden' name='sort' value='{e(sort)}'><button>筛选</button></form>")
    body = (f"<h1>年度报告</h1>{form}{pager('/-/reports', kept, number, PAGE_SIZE, total)}"
            + (table(rows, head, "reports") if rows else "<p class='note'>没有符合条件的报告。</p>"))
    return 200, page("年度报告", body)
