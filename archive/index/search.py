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


def search(db_path: Path, query: str, limit: int = 20, filters: SearchFilters | None = None) -> list[dict[str, Any]]:
    """Ranked documents matching `query` (either script), with a highlighted snippet."""
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
    for column, value in (("d.province", filters.province), ("d.agency", filters.agency), ("d.kind", filters.kind)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if filters.year is not None:
        where.append("d.year = ?")
        params.append(filters.year)
    if filters.reports_only:
        where.append("d.is_report = 1")
    sql = f"""select d.id, d.url, d.agency, d.province, d.year, d.title, d.kind, d.is_report, d.published,
                     snippet({table}, 1, '[', ']', '…', 16) as snippet, bm25({table}, 5.0, 1.0) as rank
              from {table} join documents d on d.id = {table}.rowid
              where {' and '.join(where)} order by rank limit ?"""
    params.append(limit)
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
