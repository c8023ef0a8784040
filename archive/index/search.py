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

from archive.index.rollups import simplified_names
from archive.index.schema import chars_of
from extract.metadata import to_simplified

__all__ = ["FILTERED_CANDIDATES", "RANKED_CANDIDATES", "SMALL_FILTER", "SearchFilters", "SearchPage", "collapse_cells",
           "search", "search_page", "snippet", "spellings_of"]

RANKED_CANDIDATES = 1000
FILTERED_CANDIDATES = 300  # with filters the newest-first walk checks each match against them: fewer
_K1, _B = 1.2, 0.75  # bm25's usual constants, for the term-frequency ranking of common queries


@dataclass(frozen=True)
class SearchFilters:
    """Filters of `nianbao search`; province and agency match in either script (广东省 finds 廣東省)."""

    province: str = ""
    agency: str = ""
    year: int | None = None
    kind: str = ""
    reports_only: bool = False

    def active(self) -> bool:
        """True when any filter is set."""
        return bool(self.province or self.agency or self.kind or self.reports_only or self.year is not None)

    def sql(self, conn: sqlite3.Connection | None = None) -> tuple[list[str], list[Any]]:
        """WHERE clauses over `documents d`, and their parameters; with `conn`, names match every spelling
        the index holds of them in either script."""
        where: list[str] = []
        params: list[Any] = []
        for column, value in (("province", self.province), ("agency", self.agency), ("kind", self.kind)):
            if not value:
                continue
            spellings = spellings_of(conn, column, value) if conn is not None and column != "kind" else [value]
            where.append(f"d.{column} in ({', '.join('?' * len(spellings))})")
            params.extend(spellings)
        if self.year is not None:
            where.append("d.year = ?")
            params.append(self.year)
        if self.reports_only:
            where.append("d.is_report = 1")
        return where, params


@dataclass
class SearchPage:
    """One page of results: `total` counts the matches that can be ranked (`common`: a very common query is
    ranked among its newest matches only); `empty_reason` is 'query' or 'filters' when nothing matched."""

    rows: list[dict[str, Any]]
    total: int
    common: bool = False
    empty_reason: str = ""


_SPELLINGS: dict[tuple[str, int, int], dict[str, dict[str, list[str]]]] = {}


def spellings_of(conn: sqlite3.Connection, column: str, value: str) -> list[str]:
    """Every stored value of `documents.column` that reads as `value` once both are simplified.

    The index's `names` table (schema 5) answers with an indexed read; an older index is scanned for its
    distinct values, cached per index file state, so a server pays it once."""
    if column not in ("province", "agency"):
        raise ValueError(f"no script folding for column {column!r}")
    known = simplified_names(conn, column, to_simplified(value))
    if known is not None:
        return sorted({value, *known})
    path = next((row[2] for row in conn.execute("pragma database_list") if row[1] == "main"), "") or ""
    try:
        state = Path(path).stat()
        key = (path, state.st_mtime_ns, state.st_size)
    except OSError:  # an in-memory database: nothing to key a cache on
        key = ("", 0, 0)
    columns = _SPELLINGS.get(key, {}) if key[0] else {}
    if column not in columns:
        folded: dict[str, list[str]] = {}
        for (stored,) in conn.execute(f"select distinct {column} from documents where {column} is not null"):
            folded.setdefault(to_simplified(stored), []).append(stored)
        columns[column] = folded
        if key[0]:
            _SPELLINGS.clear()  # one index per process in practice: keep only its current state
            _SPELLINGS[key] = columns
    return sorted({value, *columns[column].get(to_simplified(value), [])})


def _fts_phrase(query: str) -> str:
    return '"' + query.replace('"', '""') + '"'


SMALL_FILTER = 2000  # a filter matching at most this many documents is checked document by document


def search(db_path: Path, query: str, limit: int = 20, filters: SearchFilters | None = None,
           offset: int = 0) -> list[dict[str, Any]]:
    """Ranked documents matching every term of `query` (either script), with a highlighted snippet."""
    return search_page(db_path, query, limit, filters, offset, count=False).rows


def search_page(db_path: Path, query: str, limit: int = 20, filters: SearchFilters | None = None,
                offset: int = 0, count: bool = True) -> SearchPage:
    """`search`, plus how many matches there are to page through and, when none, what removed them."""
    filters = filters or SearchFilters()
    terms = [to_simplified(t) for t in query.split() if t.strip()]
    if not terms:
        return SearchPage([], 0, empty_reason="query")
    short = any(len(t) < 3 for t in terms)
    table = "documents_chars" if short else "documents_fts"
    match = " AND ".join(_fts_phrase(chars_of(t).strip() if short else t) for t in terms)
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        newest = _newest(conn, table, match, RANKED_CANDIDATES)
        common = newest[-1] if len(newest) == RANKED_CANDIDATES else 0
        candidates = _candidates(conn, table, match, filters, common)
        if candidates is None:
            return SearchPage([], 0, bool(common), _why_empty(conn, table, match, filters) if count else "")
        if common:
            ranked = _rank_common(conn, candidates, terms, limit + offset, table, match,
                                  None if filters.active() else newest)
        else:
            ranked = _rank_bm25(conn, table, match, candidates, limit + offset)
        rows = _page(conn, ranked[offset:], terms)
        if not count:
            return SearchPage(rows, len(rows), bool(common))
        total = _known_total(candidates, bool(common)) or _count(conn, table, match, candidates)
        return SearchPage(rows, total, bool(common), "" if total else _why_empty(conn, table, match, filters))
    finally:
        conn.close()


def _known_total(candidates: Candidates, common: bool) -> int:
    """The candidates' count when their floor fixes it (0 when it must be counted): a floor is the rowid of
    the RANKED_CANDIDATES-th newest match (FILTERED_CANDIDATES-th with large filters), so exactly that many
    matches lie at or above it — counting them again would walk the same doclist a second time."""
    join, clause, params = candidates
    if not common or "json_each" in clause or not params or not params[0]:
        return 0
    return FILTERED_CANDIDATES if join else RANKED_CANDIDATES


def _count(conn: sqlite3.Connection, table: str, match: str, candidates: Candidates) -> int:
    """How many matches the ranking draws from (bounded: a common query's candidates are its newest)."""
    join, clause, params = candidates
    row = conn.execute(f"select count(*) from {table} {join} where {table} match ? and {clause}",
                       [match, *params]).fetchone()
    return int(row[0])


def _why_empty(conn: sqlite3.Connection, table: str, match: str, filters: SearchFilters) -> str:
    """'filters' when the query alone matches something, else 'query'."""
    if not filters.active():
        return "query"
    hit = conn.execute(f"select rowid from {table} where {table} match ? limit 1", [match]).fetchone()
    return "filters" if hit else "query"


Candidates = tuple[str, str, list[Any]]  # (join, where clause, parameters) narrowing the FTS match


def _candidates(conn: sqlite3.Connection, table: str, match: str, filters: SearchFilters,
                common_floor: int) -> Candidates | None:
    """Which matches get ranked: all, the newest RANKED_CANDIDATES of a common query, or the filtered ones.

    None when the filters leave nothing to rank."""
    where, params = filters.sql(conn)
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


def _newest(conn: sqlite3.Connection, table: str, match: str, count: int) -> list[int]:
    """The ids of the newest `count` matches, newest first (all of them when there are fewer)."""
    rows = conn.execute(f"select rowid from {table} where {table} match ? order by rowid desc limit ?", [match, count])
    return [int(row[0]) for row in rows]


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


def _rank_common(conn: sqlite3.Connection, candidates: Candidates, terms: list[str], limit: int, table: str,
                 match: str, ids: list[int] | None = None) -> list[tuple[int, float]]:
    """Every term in the title first, then bm25-saturated term frequency in the text; rank = -score.

    `ids`: the candidates when already known (the newest matches, no filters): no second full-text lookup."""
    cursor = conn.cursor()
    cursor.row_factory = None
    if ids is not None:
        rows = cursor.execute(f"select {_RANK_COLUMNS} from documents d "
                              "where d.id in (select value from json_each(?))", [json.dumps(ids)]).fetchall()
    else:
        join, clause, params = candidates
        join = join or f"cross join documents d on d.id = {table}.rowid"
        rows = cursor.execute(f"select {_RANK_COLUMNS} from {table} {join} "
                              f"where {table} match ? and {clause}", [match, *params]).fetchall()
    ranked = sorted(_common_ranks(rows, terms), key=lambda item: (item[1], -item[0]))
    return ranked[:limit]


# The text stays UTF-8 bytes: a term's bytes occur exactly where the term does (UTF-8 never matches in the
# middle of a character) and the length in characters is the bytes less the continuation bytes. SQLite's
# length() and replace() took 2.2-2.6x this CPU per common query at 1,000,000 documents; decoding the texts
# to str took ~8% more.
_RANK_COLUMNS = "d.id, d.title_simplified, cast(d.text_simplified as blob)"
_CONTINUATION = bytes(range(0x80, 0xC0))


def _common_ranks(rows: list[tuple[int, str | None, bytes | None]], terms: list[str]) -> list[tuple[int, float]]:
    """(id, rank) of (id, title, UTF-8 text) rows: -(10 when every term is in the title + each term's
    bm25-saturated frequency in the text), summed in the order the SQL of before did (the same floats)."""
    if not rows:
        return []
    texts = [text or b"" for _id, _title, text in rows]
    lengths = [len(text.translate(None, _CONTINUATION)) for text in texts]
    norm = max(sum(lengths) / len(lengths), 1)
    encoded = [term.encode() for term in terms]
    out = []
    for (doc_id, title, _text), text, length in zip(rows, texts, lengths, strict=True):
        score = 10.0 if all(term in (title or "") for term in terms) else 0.0
        for term in encoded:
            tf = float(text.count(term))
            score += tf * (_K1 + 1) / (tf + _K1 * (1 - _B + _B * length / norm))
        out.append((doc_id, -score))
    return out


_RESULT_COLUMNS = ("id", "url", "agency", "province", "year", "title", "kind", "is_report", "published")


def _page(conn: sqlite3.Connection, ranked: list[tuple[int, float]], terms: list[str]) -> list[dict[str, Any]]:
    """The result rows, with snippets built for this page of results only."""
    if not ranked:
        return []
    rank = dict(ranked)
    marks = ", ".join("?" * len(ranked))
    rows = conn.execute(f"select {', '.join('d.' + c for c in _RESULT_COLUMNS)}, d.text_simplified, "
                        f"d.title_simplified from documents d where d.id in ({marks})", list(rank)).fetchall()
    out = []
    for row in rows:
        record = {key: row[key] for key in _RESULT_COLUMNS}
        record["snippet"] = snippet(row["text_simplified"] or "", terms) or snippet(row["title_simplified"] or "",
                                                                                   terms)
        record["rank"] = rank[row["id"]]
        out.append(record)
    out.sort(key=lambda row: (row["rank"], -row["id"]))
    return out


def collapse_cells(text: str) -> str:
    """Text with a table row's repeated cells written once (a merged cell is stored in every slot it covers)."""
    if "\t" not in text:
        return text
    lines = []
    for line in text.split("\n"):
        if "\t" in line:
            cells = line.split("\t")
            line = "\t".join(cell for n, cell in enumerate(cells) if n == 0 or cell != cells[n - 1])
        lines.append(line)
    return "\n".join(lines)


def snippet(text: str, terms: list[str], width: int = 16) -> str:
    """About `width` characters of `text` around the first hit of any term, hits in [brackets], … where cut."""
    text = collapse_cells(text)
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
