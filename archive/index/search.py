"""Full-text search over the index: trigram FTS for 3+ characters, the per-character index for 1–2.

Ranking: FTS5's bm25 while a query matches fewer than RANKED_CANDIDATES documents. bm25 counts, for
every query, the documents holding each phrase over the whole table (its IDF); for a phrase in most of
100,000 reports that count alone costs 25–50 ms, and its IDF is then clamped to the same tiny value for
every document anyway. So a very common query is ranked among its newest RANKED_CANDIDATES matches
(after the filters) by what bm25 would still tell apart: a hit in the title first, then saturated term
frequency over the text, newest first on ties.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archive.index.schema import chars_of
from extract.metadata import to_simplified

__all__ = ["FILTERED_CANDIDATES", "RANKED_CANDIDATES", "SMALL_FILTER", "SearchFilters", "search", "snippet"]

RANKED_CANDIDATES = 1000
FILTERED_CANDIDATES = 300  # with filters the newest-first walk checks each match against them: fewer
_K1, _B = 1.2, 0.75  # bm25's usual constants, for the term-frequency ranking of common queries


@dataclass(frozen=True)
class SearchFilters:
    """Filters of `nianbao search`."""

    province: str = ""
    agency: str = ""
    year: int | None = None
    kind: str = ""
    reports_only: bool = False

    def sql(self) -> tuple[list[str], list[Any]]:
        """WHERE clauses over `documents d`, and their parameters."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("d.province", self.province), ("d.agency", self.agency), ("d.kind", self.kind)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if self.year is not None:
            where.append("d.year = ?")
            params.append(self.year)
        if self.reports_only:
            where.append("d.is_report = 1")
        return where, params


def _fts_phrase(query: str) -> str:
    return '"' + query.replace('"', '""') + '"'


SMALL_FILTER = 2000  # a filter matching at most this many documents is checked document by document


def search(db_path: Path, query: str, limit: int = 20, filters: SearchFilters | None = None) -> list[dict[str, Any]]:
    """Ranked documents matching every term of `query` (either script), with a highlighted snippet."""
    filters = filters or SearchFilters()
    terms = [to_simplified(t) for t in query.split() if t.strip()]
    if not terms:
        return []
    short = any(len(t) < 3 for t in terms)
    table = "documents_chars" if short else "documents_fts"
    match = " AND ".join(_fts_phrase(chars_of(t).strip() if short else t) for t in terms)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        common = _candidate_floor(conn, table, match, [], [], RANKED_CANDIDATES)
        candidates = _candidates(conn, table, match, filters, common)
        if candidates is None:
            return []
        if common:
            ranked = _rank_common(conn, table, match, candidates, terms, limit)
        else:
            ranked = _rank_bm25(conn, table, match, candidates, limit)
        return _page(conn, table, match, ranked, terms)
    finally:
        conn.close()


Candidates = tuple[str, str, list[Any]]  # (join, where clause, parameters) narrowing the FTS match


def _candidates(conn: sqlite3.Connection, table: str, match: str, filters: SearchFilters,
                common_floor: int) -> Candidates | None:
    """Which matches get ranked: all, the newest RANKED_CANDIDATES of a common query, or the filtered ones.

    None when the filters leave nothing to rank."""
    where, params = filters.sql()
    if not where:
        return "", f"{table}.rowid >= ?", [common_floor]
    rows = conn.execute(f"select d.id from documents d where {' and '.join(where)} limit ?",
                        [*params, SMALL_FILTER + 1]).fetchall()
    if not rows:
        return None
    if len(rows) <= SMALL_FILTER:  # few documents pass the filters: rank among them
        return "", f"{table}.rowid in (select value from json_each(?))", [json.dumps([r[0] for r in rows])]
    join = f"cross join documents d on d.id = {table}.rowid"
    floor = _candidate_floor(conn, table, match, where, params, FILTERED_CANDIDATES) if common_floor else 0
    return join, " and ".join([f"{table}.rowid >= ?", *where]), [floor, *params]


def _candidate_floor(conn: sqlite3.Connection, table: str, match: str, where: list[str], params: list[Any],
                     count: int) -> int:
    """Lowest rowid among the newest `count` matches passing `where`; 0 when there are fewer (FTS5 walks its
    doclists newest first cheaply; CROSS JOIN keeps it outermost, where SQLite would otherwise drive a
    province filter from the facets index and probe FTS5 once per document)."""
    join = f"cross join documents d on d.id = {table}.rowid" if where else ""
    clauses = " ".join(f"and {w}" for w in where)
    row = conn.execute(f"select {table}.rowid from {table} {join} where {table} match ? {clauses} "
                       f"order by {table}.rowid desc limit 1 offset ?", [match, *params, count - 1]).fetchone()
    return int(row[0]) if row else 0


def _rank_bm25(conn: sqlite3.Connection, table: str, match: str, candidates: Candidates,
               limit: int) -> list[tuple[int, float]]:
    join, clause, params = candidates
    rows = conn.execute(f"select {table}.rowid, {table}.rank from {table} {join} "
                        f"where {table} match ? and {clause} order by {table}.rank limit ?",
                        [match, *params, limit]).fetchall()
    return [(int(r[0]), float(r[1])) for r in rows]


def _rank_common(conn: sqlite3.Connection, table: str, match: str, candidates: Candidates, terms: list[str],
                 limit: int) -> list[tuple[int, float]]:
    """Every term in the title first, then bm25-saturated term frequency in the text; rank = -score."""
    join, clause, params = candidates
    tf = " + ".join(
        f"(tf{i} * {_K1 + 1} / (tf{i} + {_K1} * (1 - {_B} + {_B} * len / max(avglen, 1))))" for i in range(len(terms)))
    counts = ", ".join(
        f"(length(d.text_simplified) - length(replace(d.text_simplified, ?, ''))) / {len(t)}.0 as tf{i}"
        for i, t in enumerate(terms))
    in_title = " * ".join("(instr(d.title_simplified, ?) > 0)" for _ in terms)
    sql = f"""
        with cand as (select {table}.rowid as id from {table} {join} where {table} match ? and {clause}),
        counted as (
            select cand.id, {in_title} as in_title, length(d.text_simplified) as len,
                   avg(length(d.text_simplified)) over () as avglen, {counts}
            from cand cross join documents d on d.id = cand.id)
        select id, -(in_title * 10 + {tf}) as rank from counted order by rank, id desc limit ?"""
    rows = conn.execute(sql, [match, *params, *terms, *terms, limit]).fetchall()
    return [(int(r[0]), float(r[1])) for r in rows]


def _page(conn: sqlite3.Connection, table: str, match: str, ranked: list[tuple[int, float]],
          terms: list[str]) -> list[dict[str, Any]]:
    """The result rows, with snippets built for this page of results only."""
    if not ranked:
        return []
    rank = dict(ranked)
    marks = ", ".join("?" * len(ranked))
    columns = "d.id, d.url, d.agency, d.province, d.year, d.title, d.kind, d.is_report, d.published"
    if table == "documents_fts":  # external content: FTS5 builds the snippet from documents
        rows = conn.execute(f"""
            select {columns}, snippet(documents_fts, 1, '[', ']', '…', 16) as snippet
            from documents_fts cross join documents d on d.id = documents_fts.rowid
            where documents_fts match ? and documents_fts.rowid in ({marks})""", [match, *rank]).fetchall()
        out = [{**dict(row), "rank": rank[row["id"]]} for row in rows]
    else:  # the per-character index is contentless: cut the snippet from the text here
        rows = conn.execute(f"select {columns}, d.text_simplified, d.title_simplified from documents d "
                            f"where d.id in ({marks})", list(rank)).fetchall()
        out = []
        for row in rows:
            record = {key: row[key] for key in row.keys() if key not in ("text_simplified", "title_simplified")}
            record["snippet"] = snippet(row["text_simplified"] or "", terms) or snippet(row["title_simplified"] or "",
                                                                                       terms)
            record["rank"] = rank[row["id"]]
            out.append(record)
    out.sort(key=lambda row: (row["rank"], -row["id"]))
    return out


def snippet(text: str, terms: list[str], width: int = 16) -> str:
    """About `width` characters of `text` around the first hit of any term, hits in [brackets], … where cut."""
    hits = [(text.find(term), term) for term in terms if term and term in text]
    if not hits:
        return ""
    first = min(position for position, _term in hits)
    start = max(0, first - width // 2)
    end = min(len(text), first + width + width // 2)
    window = re.sub(r"\s", " ", text[start:end])
    pattern = "|".join(re.escape(term) for term in sorted({t for _p, t in hits}, key=len, reverse=True))
    marked = re.sub(pattern, lambda m: f"[{m.group(0)}]", window)
    return ("…" if start else "") + marked + ("…" if end < len(text) else "")
