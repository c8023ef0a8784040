"""The coverage map's data: every agency (the seeds' and any a report names), the count of each status per
province, and the status of the cells shown.

One query walks the seeds in the order of their (province, agency) index with what their counts need —
the `agency_reports` row (schema 6: no grouping of 65,000 reports), whether the seed URL never answered —
a second adds the few agencies only a report names, and one Python pass counts
them; the first view after an index change pays that pass over 10,000 agencies, the views after it read
the memo (`cache.memo`).
"""

from __future__ import annotations

import gc
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from archive.index.rollups import agency_reports_source, report_years_source, simplified_names
from archive.index.search import spellings_of
from archive.serve.deadlines import deadline, is_government, status
from archive.serve.pages import optional
from extract.metadata import to_simplified

__all__ = ["Coverage", "cells_of", "coverage"]

@dataclass
class Coverage:
    """The heat map's data: every agency, the count of each status per province, and the status (and
    report id when held) of the cells asked for, with those agencies' access and deadline rule."""

    years: list[int]
    agencies: list[tuple[str, str]]  # (province, agency)
    cells: dict[tuple[str, str, int], tuple[str, int | None]]
    access: dict[tuple[str, str], str]  # (province, agency) → 'ruishu', 'jiasule', … or 'unreachable'
    levels: dict[tuple[str, str], str]  # (province, agency) → the seeds' level, where they give one
    counts: dict[str, Counter[str]] = field(default_factory=dict)  # province → status → cells
    government: dict[tuple[str, str], bool] = field(default_factory=dict)


def _blocked_urls(conn: sqlite3.Connection) -> dict[str, str]:
    """Seed URL → the anti-bot appliance its site answered with, from the run records (later runs win)."""
    by_url: dict[str, str] = {}
    for (stats,) in optional(conn, "select stats from runs order by started"):
        try:
            by_url.update((json.loads(stats or "{}") or {}).get("blocked") or {})
        except (ValueError, AttributeError):
            continue
    return by_url


def _fold(folded: dict[str, str] | None, name: str) -> str:
    return folded[name] if folded is not None and name in folded else to_simplified(name)


def _spellings(conn: sqlite3.Connection, column: str, value: str) -> list[str]:
    """Every stored `column` ('province' or 'city') of the seeds or the reports that reads as `value`."""
    wanted = to_simplified(value)
    folded = simplified_names(conn, column)
    stored = {r[0] for r in optional(conn, f"select distinct {column} from agencies where {column} is not null")}
    found = {name for name in stored if _fold(folded, name) == wanted}
    return sorted(found | set(spellings_of(conn, column, value))) if column == "province" else sorted(found)


# one agency's dated reports: (reports, undated, on time as a government, as a department, last year held)
_Held = tuple[int, int, int, int, bool]
_LEVELS = ("government", "department")  # the seeds' levels deadlines.is_government knows


def _held_before(conn: sqlite3.Connection, agencies: list[str], this_year: int) -> dict[tuple[str, str], _Held]:
    """The reports before `this_year` of agencies that also hold one on this year or later (a wrong year,
    mostly), by (province, agency); those the `agency_reports` row cannot answer."""
    held: dict[tuple[str, str], _Held] = {}
    for start in range(0, len(agencies), 500):  # below SQLite's limit on parameters
        chunk = agencies[start:start + 500]
        for row in conn.execute(
                "select province, agency, total(year < ?), total(year < ? and first_day is null), total(case when "
                "year < ? then on_time_government end), total(case when year < ? then on_time_department end), "
                f"max(year = ?) from {report_years_source(conn)} where year is not null and agency in "
                f"({', '.join('?' * len(chunk))}) group by province, agency",
                [*[this_year] * 4, this_year - 1, *chunk]):
            held[(row[0] or "", row[1] or "")] = (int(row[2]), int(row[3]), int(row[4]), int(row[5]), bool(row[6]))
    return held


# columns of an agency's row: province, agency, its seed URL (None when no seed names it), whether that URL
# never answered, its dated reports, undated ones, on time as a government, as a department, last year
# with a report
_AgencyRow = tuple[str, str, str | None, int, int, int, int, int, int | None]
# agency name → a people's government by its name alone (its simplified spelling never changes): kept for
# the server's life, so an index change costs only the names it adds
_RULES: dict[str, bool] = {}


def _name_rules(conn: sqlite3.Connection, names: Iterable[str]) -> dict[str, bool]:
    """`_RULES`, holding every one of `names` (those new to it read from the index's simplified names)."""
    missing = [name for name in names if name not in _RULES]
    if missing:
        folded = simplified_names(conn, "agency") if len(missing) > 50 else None
        _RULES.update((name, is_government(name, "", folded.get(name) if folded else None)) for name in missing)
    return _RULES


def _agency_rows(conn: sqlite3.Connection, province: str, city: str) -> list[_AgencyRow]:
    """One row per agency, seeds and report holders alike, in (province, agency) order, with what its
    counts need: the seeds walked in the order of their (province, agency) index, each with its
    `agency_reports` row, then the few agencies only a report names."""
    where, params = "", []
    if province:
        names = _spellings(conn, "province", province)
        where, params = f" and province in ({', '.join('?' * len(names))})", names
    seeds_where, seeds_params = where.replace(" and ", " and a."), list(params)
    if city:
        cities = _spellings(conn, "city", city)
        seeds_where += f" and a.city in ({', '.join('?' * len(cities))})"
        seeds_params += cities
    source = agency_reports_source(conn)
    cursor = conn.cursor()
    cursor.row_factory = None  # plain tuples: 10,000 rows
    rows = cursor.execute(
        "select coalesce(a.province, ''), a.agency, a.url, not exists (select 1 from captures c where c.url = a.url "
        "and c.status between 200 and 399), coalesce(h.reports, 0), cast(coalesce(h.undated, 0) as integer), "
        "cast(coalesce(h.on_time_government, 0) as integer), cast(coalesce(h.on_time_department, 0) as integer), "
        "h.last_year "
        f"from agencies a left join {source} h on h.agency = a.agency and "
        f"coalesce(h.province, '') = coalesce(a.province, '') where 1{seeds_where} order by a.province, a.agency",
        seeds_params).fetchall()
    if not city:  # only seeds carry a city
        held_only = cursor.execute(
            "select coalesce(h.province, ''), coalesce(h.agency, ''), null, 0, h.reports, cast(h.undated as integer), "
            "cast(h.on_time_government as integer), cast(h.on_time_department as integer), h.last_year "
            f"from {source} h where not exists (select 1 "
            "from agencies x where x.agency = h.agency and coalesce(x.province, '') = coalesce(h.province, ''))"
            f"{where.replace(' and ', ' and h.')}",
            params).fetchall()
        if held_only:
            rows += held_only
            rows.sort(key=lambda row: (row[0], row[1]))
    return rows


def coverage(conn: sqlite3.Connection, province: str = "", today: date | None = None, city: str = "",
             levels: dict[tuple[str, str], str] | None = None) -> Coverage:
    """Every agency and the count of each status per province, for one province and city (either script;
    a city as the seeds name it) or all; `cells_of` adds the cells of the agencies shown."""
    with _no_collection():
        return _coverage(conn, province, today, city, levels)


@contextmanager
def _no_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: 10,000 rows of tuples (no cycles among them) would start full
    collections that walk the whole server's heap (50–100 ms in `nianbao serve`, one view in two)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _coverage(conn: sqlite3.Connection, province: str, today: date | None, city: str,
              levels: dict[tuple[str, str], str] | None) -> Coverage:
    today = today or date.today()
    levels = levels or {}
    names = spellings_of(conn, "province", province) if province else []
    where = f" and province in ({', '.join('?' * len(names))})" if names else ""
    first = conn.execute(f"select min(year) from {report_years_source(conn)} where year is not null{where}",
                         names).fetchone()[0]
    years = list(range(today.year - 1 if first is None else int(first), today.year))
    data = Coverage(years, [], {}, {}, levels)
    rows = _agency_rows(conn, province, city)
    newer = sorted({row[1] for row in rows if row[8] is not None and row[8] >= today.year})
    last = today.year - 1
    due_ahead = {gov: last in years and today <= deadline(last, gov) for gov in (True, False)}
    unruled = {row[1] for row in rows if data.levels.get((row[0], row[1])) not in _LEVELS}
    _count_all(data, rows, _held_before(conn, newer, today.year), _blocked_urls(conn), due_ahead, last,
               _name_rules(conn, unruled))
    return data


def _count_all(data: Coverage, rows: list[_AgencyRow], newer: dict[tuple[str, str], _Held],
               blocked: dict[str, str], due_ahead: dict[bool, bool], last: int, rules: dict[str, bool]) -> None:
    """Each agency's deadline rule and access, and each province's count of cells per status, row by row
    (10,000 agencies: a few additions each, kept inline); `newer`: the agencies whose reports
    `_held_before` counted; `last`: the year whose deadline may still be ahead; `rules`: by name, for the
    agencies without a level."""
    years, previous, levels, access = len(data.years), ("", ""), data.levels, data.access
    agencies, all_counts, government_of = data.agencies, data.counts, data.government
    for prov, agency, url, silent, reports, undated, on_time_government, on_time_department, last_year in rows:
        key = (prov, agency)
        if key == previous:  # another seed URL of the agency: only its access can change
            _merge_access(data, key, url, silent, blocked)
            continue
        previous = key
        agencies.append(key)
        level = levels.get(key)
        government = government_of[key] = level == "government" if level in _LEVELS else rules[agency]
        last_held = last_year == last
        if newer and key in newer:
            reports, undated, on_time_government, on_time_department, last_held = newer[key]
        counts = all_counts.get(prov)
        if counts is None:
            counts = all_counts[prov] = Counter()
        if reports:
            on_time = on_time_government if government else on_time_department
            counts["on_time"] += on_time
            counts["undated"] += undated
            counts["late"] += reports - on_time - undated
        missing = years - reports
        if missing and due_ahead[government] and not last_held:  # only the last year's deadline can be ahead
            counts["not_due"] += 1
            missing -= 1
        if silent or (url is not None and url in blocked):
            _merge_access(data, key, url, silent, blocked)
            reach = access.get(key, "")
            counts["blocked" if reach and reach != "unreachable" else reach or "missing"] += missing
        else:
            counts["missing"] += missing
    for counts in all_counts.values():
        counts += Counter()  # in place: drops the statuses counted zero times


def _merge_access(data: Coverage, key: tuple[str, str], url: str | None, silent: int, blocked: dict[str, str]
                  ) -> None:
    """An agency's access given one more of its seed URLs: blocked by an appliance wins over unreachable."""
    if url is not None and url in blocked:
        data.access[key] = blocked[url]
    elif silent and url is not None:
        data.access.setdefault(key, "unreachable")


def cells_of(conn: sqlite3.Connection, data: Coverage, shown: list[tuple[str, str]], today: date) -> None:
    """Fill `data.cells` for the agencies `shown`: each year's status and report (and their access and
    deadline rule in `data.access` and `data.government`)."""
    names = sorted({agency for _prov, agency in shown})
    provinces = sorted({prov for prov, _agency in shown})  # one or two: a name recurs in every province
    found: dict[tuple[str, str, int], tuple[str, int]] = {}
    for start in range(0, len(names), 400):  # below SQLite's limit on parameters
        chunk = names[start:start + 400]
        for row in conn.execute(f"select province, agency, year, first_published, main_id from "
                                f"{report_years_source(conn)} where year is not null and agency in "
                                f"({', '.join('?' * len(chunk))}) and coalesce(province, '') in "
                                f"({', '.join('?' * len(provinces))})", [*chunk, *provinces]):
            found[(row[0] or "", row[1] or "", int(row[2]))] = (row[3] or "", int(row[4]))
    for prov, agency in shown:
        reach = data.access.get((prov, agency), "")
        reach = "blocked" if reach and reach != "unreachable" else reach
        government = data.government.get((prov, agency))
        if government is None:  # an agency the map does not hold (a cell explained by its URL)
            government = is_government(agency, data.levels.get((prov, agency), ""))
        for year in data.years:
            published, doc = found.get((prov, agency, year), ("", None))
            data.cells[(prov, agency, year)] = (status(year, government, published, doc is not None, reach, today), doc)
