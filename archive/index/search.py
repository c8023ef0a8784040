"""Full-text search over the index: trigram FTS for 3+ characters, the per-character index for 1–2."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.index.schema import chars_of
from extract.metadata import to_simplified

__all__ = ["search", "SearchFilters"]


@dataclass(frozen=True)
class SearchFilters:
    """Filters of `nianbao search`."""

    province: str = ""
    agency: str = ""
    year: int | None = None
    kind: str = ""
    reports_only: bool = False


def _fts_phrase(query: str) -> str:
    return '"' + query.replace('"', '""') + '"'


RANKED_CANDIDATES = 3000  # bm25 over every match of a very common word is what makes a query slow


def _candidate_floor(db_path: Path, table: str, match: str) -> int:
    """Lowest rowid among the newest RANKED_CANDIDATES matches (0 when there are fewer): FTS5 serves rowid
    ranges cheaply, so ranking stays bounded however common the query is."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        row = conn.execute(f"select rowid from {table} where {table} match ? order by rowid desc limit 1 offset ?",
                           (match, RANKED_CANDIDATES - 1)).fetchone()
    finally:
        conn.close()
    return int(row[0]) if row else 0


def search(db_path: Path, query: str, limit: int = 20, filters: SearchFilters | None = None) -> list[dict[str, Any]]:
    """Ranked documents matching `query` (either script), with a highlighted snippet.

    Very common queries are ranked among their newest RANKED_CANDIDATES matches."""
    filters = filters or SearchFilters()
    terms = [to_simplified(t) for t in query.split() if t.strip()]
    if not terms:
        return []
    short = any(len(t) < 3 for t in terms)
    table = "documents_chars" if short else "documents_fts"
    if short:
        match = " AND ".join(_fts_phrase(chars_of(t).strip()) for t in terms)
    else:
        match = " AND ".join(_fts_phrase(t) for t in terms)
    where = [f"{table} match ?"]
    params: list[Any] = [match]
    floor = _candidate_floor(db_path, table, match)
    if floor:
        where.append(f"{table}.rowid >= ?")
        params.append(floor)
    for column, value in (("d.province", filters.province), ("d.agency", filters.agency), ("d.kind", filters.kind)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if filters.year is not None:
        where.append("d.year = ?")
        params.append(filters.year)
    if filters.reports_only:
        where.append("d.is_report = 1")
    # Rank first (only rowids), then build snippets for the page of results alone.
    sql = f"""with top as (
                  select {table}.rowid as rowid, {table}.rank as rank from {table}
                  {"join documents d on d.id = " + table + ".rowid" if len(where) > (2 if floor else 1) else ""}
                  where {' and '.join(where)} order by {table}.rank limit ?)
              select d.id, d.url, d.agency, d.province, d.year, d.title, d.kind, d.is_report, d.published,
                     snippet({table}, 1, '[', ']', '…', 16) as snippet, top.rank as rank
              from top cross join {table} on {table}.rowid = top.rowid cross join documents d on d.id = top.rowid
              where {table} match ? order by top.rank"""
    params += [limit, match]
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()
    for row in rows:
        if short:  # the per-character index spaces CJK characters out: close them up again
            row["snippet"] = re.sub(r"(?<=[\u3400-\u9fff\[\]]) +(?=[\u3400-\u9fff\[\]])", "", row["snippet"]).strip()
            row["snippet"] = re.sub(r" {2,}", " ", row["snippet"])
    return rows
