"""Late and missing reports: each agency's reports against 条例 art. 49's deadlines (the rule of
`archive.serve.deadlines`, shared with the coverage page).

The published date is taken, in this order, from the report's page (its metadata or the date line the
extractor read), from the file itself when the report is only a PDF/DOCX/… (its metadata or text), and at
last from the first capture of the report: that one only says the report was out by then, so a first
capture after the deadline leaves the report `undated` rather than late. List dates are not kept in the
index, so they are not used. A year with no report is `missing` once its deadline has passed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import date
from typing import Any

from archive.serve.deadlines import deadline, is_government, status

__all__ = ["timeliness"]

_SOURCE_RANK = {"page": 0, "file": 1, "first-capture": 2}


def _held(conn: sqlite3.Connection) -> dict[tuple[str, str, int], tuple[str, str]]:
    """(province, agency, year) → (published date, source), the best-sourced earliest date of its reports."""
    best: dict[tuple[str, str, int], tuple[str, str]] = {}
    for province, agency, year, kind, published, parent_published, first in conn.execute(
            "select d.province, d.agency, d.year, d.kind, d.published, p.published, "
            "(select min(c.fetched_at) from captures c where c.url = d.url and c.status = 200) "
            "from documents d left join documents p on p.id = d.parent_id "
            "where d.is_report = 1 and d.year is not null and coalesce(d.agency, '') != ''"):
        if parent_published:
            found = (parent_published[:10], "page")
        elif published:
            found = (published[:10], "page" if kind == "html" else "file")
        else:
            found = ((first or "")[:10], "first-capture")
        key = (province or "", agency, int(year))
        old = best.get(key)
        if old is None or (_SOURCE_RANK[found[1]], found[0]) < (_SOURCE_RANK[old[1]], old[0]):
            best[key] = found
    return best


def _row(province: str, agency: str, year: int, government: bool, found: tuple[str, str] | None,
         today: date) -> dict[str, Any]:
    due = deadline(year, government)
    published, source = found or ("", "")
    state = status(year, government, published or None, found is not None, "", today)
    if source == "first-capture" and state == "late":
        state = "undated"  # out by its first capture: not proof it was late
    return {"province": province, "agency": agency, "year": year, "government": government,
            "deadline": due.isoformat(), "published": published, "published_source": source, "status": state,
            "days_late": (date.fromisoformat(published) - due).days if state == "late" else 0}


def timeliness(conn: sqlite3.Connection, today: date | None = None,
               levels: Mapping[tuple[str, str], str] | None = None) -> list[dict[str, Any]]:
    """One row per agency and year, from its first report's year to the last year due by `today`: the
    deadline, the published date and where it came from, and on_time, late, undated or missing.
    `levels`: (province, agency) → 'government' or 'department', from the seeds (`deadlines.seed_levels`)."""
    today = today or date.today()
    held = _held(conn)
    first_year: dict[tuple[str, str], int] = {}
    for province, agency, year in held:
        first_year[(province, agency)] = min(year, first_year.get((province, agency), year))
    rows = []
    for (province, agency), start in sorted(first_year.items()):
        government = is_government(agency, (levels or {}).get((province, agency), ""))
        year = start
        while deadline(year, government) < today or (province, agency, year) in held:
            rows.append(_row(province, agency, year, government, held.get((province, agency, year)), today))
            year += 1
    return rows
