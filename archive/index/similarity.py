"""Copied reports: how much of a report's own text repeats its agency's previous report, and near-duplicates
filed by different agencies (one county's departments filling in the same template).

Only a report's own text counts. Figures are dropped (digits, and the standard form's tables, which are
labels and figures), and so is the standard form's shared text: headings, table labels and boilerplate
sentences are learnt from the corpus as the clauses that many agencies' reports carry. What is left is
compared by shingles of characters: `share_of_previous` is the part of a report's own shingles found in
its agency's previous report. A report with too little own text gets no share (None) and a note.

Near-duplicates across agencies are found through the clauses they share (an inverted index, clauses
many reports share left out), and scored as the share of the smaller report's own text they share.

Everything is recomputed from the documents table on each call: the boilerplate depends on the corpus.
The reports' clauses pass through a temporary table, so memory holds one year's clauses at most.
"""

from __future__ import annotations

import math
import re
import sqlite3
from array import array
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SHINGLE", "copied_reports", "near_duplicates", "own_clauses", "similar_reports", "update_similarity"]

SHINGLE = 6  # characters; five to eight is what Chinese plagiarism detection uses
MIN_OWN_CHARS = 200  # below this a share says nothing: a name and a date repeat every year
MIN_CLAUSE = 8  # shorter clauses ("一、总体情况") are headings, never evidence of copying
MAX_POSTINGS = 50  # a clause in more reports than this is a shared template, not one county's
_SCHEMA = """
create table if not exists similarity (
    document_id integer primary key, agency text, year integer, previous_document_id integer, previous_year integer,
    share_of_previous real, own_chars integer, note text);
create table if not exists near_duplicates (
    document_id integer, other_document_id integer, year integer, score real,
    primary key (document_id, other_document_id));
create table if not exists similarity_state (key text primary key, value text);
"""
_CLAUSE_END = re.compile(r"[。；;！!？?，,\n]+")
_DROP = re.compile(r"[\d０-９\s\u3000.,，、:：%％()（）“”\"'《》\-—/]+")


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the similarity and near_duplicates tables when missing."""
    conn.executescript(_SCHEMA)


def own_clauses(text: str, agency: str = "") -> list[str]:
    """A report's clauses as compared: table rows (labels and figures) dropped, the agency's own name (the
    one thing a department filing a shared template changes), digits, blanks and punctuation removed,
    headings and fragments too short to mean anything left out."""
    prose = "\n".join(line for line in (text or "").splitlines() if "\t" not in line)
    if agency:
        prose = prose.replace(agency, "")
    out = []
    for clause in _CLAUSE_END.split(prose):
        clause = _DROP.sub("", clause)
        if len(clause) >= MIN_CLAUSE:
            out.append(clause)
    return out


def _shingles(text: str) -> set[str]:
    return {text[i:i + SHINGLE] for i in range(max(len(text) - SHINGLE + 1, 1))}


@dataclass
class _Report:
    document_id: int
    agency: int  # the agency's number in this computation
    year: int
    hashes: array = field(default_factory=lambda: array("q"))
    lengths: array = field(default_factory=lambda: array("l"))


_INSERT_EVERY = 10_000  # rows held before they are written


def _reports(conn: sqlite3.Connection) -> Iterator[tuple[int, str, int, str]]:
    """One document per agency and year, the report with the most text (a page over its shorter copies),
    in agency and year order."""
    yield from conn.execute(
        "select id, agency, year, text from (select d.id, d.agency, d.year, "
        "coalesce(nullif(d.text_simplified, ''), d.text) as text, row_number() over "
        "(partition by d.agency, d.year order by length(d.text) desc, d.id desc) as n from documents d "
        "where d.is_report = 1 and d.year is not null and coalesce(d.agency, '') != '' "
        "and coalesce(d.error, '') = '') where n = 1 order by agency, year")


def _clause_table(conn: sqlite3.Connection) -> int:
    """Every report's own clauses (hash and length, in order) in a temporary table, where the form's shared
    clauses are counted and each year's clauses read back: held in memory they took ~10 KB a report.
    Returns how many agencies filed reports."""
    conn.execute("create temp table if not exists similarity_clauses (document_id integer, agency integer, "
                 "year integer, hash integer, length integer)")
    conn.execute("delete from temp.similarity_clauses")
    names: dict[str, int] = {}
    rows: list[tuple[int, int, int, int, int]] = []
    for doc_id, agency, year, text in _reports(conn):
        number = names.setdefault(agency, len(names))
        rows.extend((doc_id, number, year, hash(clause), len(clause)) for clause in own_clauses(text, agency))
        if len(rows) >= _INSERT_EVERY * 10:
            conn.executemany("insert into temp.similarity_clauses values (?, ?, ?, ?, ?)", rows)
            rows.clear()
    conn.executemany("insert into temp.similarity_clauses values (?, ?, ?, ?, ?)", rows)
    return len(names)


def _boilerplate(conn: sqlite3.Connection, agencies: int) -> set[int]:
    """Clause hashes found in the reports of many agencies (the standard form's shared text)."""
    floor = max(3, min(MAX_POSTINGS, math.ceil(0.2 * agencies)))
    return {key for (key,) in conn.execute("select hash from temp.similarity_clauses group by hash "
                                           "having count(distinct agency) >= ?", (floor,))}


def update_similarity(conn: sqlite3.Connection) -> int:
    """Recompute the similarity and near_duplicates tables; returns how many reports got a share. The
    reports are streamed (in agency order for the shares, in year order for the near-duplicates, one year's
    clauses held at a time)."""
    ensure_schema(conn)
    boiler = _boilerplate(conn, _clause_table(conn))
    conn.execute("delete from similarity")
    conn.execute("delete from near_duplicates")
    previous: tuple[int, str, int, set[str]] | None = None
    rows: list[list[Any]] = []
    shares = 0
    for doc_id, agency, year, text in _reports(conn):
        own = "".join(c for c in own_clauses(text, agency) if hash(c) not in boiler)
        shingles = _shingles(own) if own else set()
        row: list[Any] = [doc_id, agency, year, None, None, None, len(own), ""]
        if previous is not None and previous[1] == agency:
            row[3:5] = [previous[0], previous[2]]
            if len(own) < MIN_OWN_CHARS:
                row[7] = f"too little own text ({len(own)} characters)"
            else:
                row[5] = round(len(shingles & previous[3]) / len(shingles), 4)
                shares += 1
        else:
            row[7] = "no earlier report"
        rows.append(row)
        previous = (doc_id, agency, year, shingles)
        if len(rows) >= _INSERT_EVERY:
            conn.executemany("insert into similarity values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            rows.clear()
    conn.executemany("insert into similarity values (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    for reports in _by_year(conn):
        conn.executemany("insert into near_duplicates values (?, ?, ?, ?)", _near_duplicates(reports, boiler))
    conn.execute("drop table temp.similarity_clauses")
    conn.execute("insert or replace into similarity_state values ('reports', ?)", (_signature(conn),))
    conn.commit()
    return shares


def _by_year(conn: sqlite3.Connection) -> Iterator[list[_Report]]:
    """Each year's reports with their clause hashes and lengths, read back from the clause table."""
    year_reports: list[_Report] = []
    for doc_id, agency, year, key, length in conn.execute(
            "select document_id, agency, year, hash, length from temp.similarity_clauses "
            "order by year, document_id, rowid"):
        if not year_reports or year_reports[-1].document_id != doc_id:
            if year_reports and year_reports[-1].year != year:
                yield year_reports
                year_reports = []
            year_reports.append(_Report(doc_id, agency, year))
        year_reports[-1].hashes.append(key)
        year_reports[-1].lengths.append(length)
    if year_reports:
        yield year_reports


def _near_duplicates(reports: list[_Report], boiler: set[int], floor: float = 0.5) -> list[tuple[int, int, int, float]]:
    """Pairs of reports of different agencies and the same year sharing at least `floor` of the smaller
    one's own text (by clause), found through an inverted index of their own clauses."""
    postings: dict[tuple[int, int], list[int]] = defaultdict(list)
    own: list[dict[int, int]] = []
    for index, report in enumerate(reports):
        clauses = {h: n for h, n in zip(report.hashes, report.lengths, strict=True) if h not in boiler}
        own.append(clauses)
        for key in clauses:
            postings[(report.year, key)].append(index)
    candidates: set[tuple[int, int]] = set()
    for docs in postings.values():
        if 1 < len(docs) <= MAX_POSTINGS:
            candidates.update((a, b) for i, a in enumerate(docs) for b in docs[i + 1:]
                              if reports[a].agency != reports[b].agency)
    pairs = []
    for a, b in sorted(candidates):
        total = min(sum(own[a].values()), sum(own[b].values()))
        if total < MIN_OWN_CHARS:
            continue
        shared = sum(n for key, n in own[a].items() if key in own[b])
        if shared / total >= floor:
            first, second = sorted((reports[a].document_id, reports[b].document_id))
            pairs.append((first, second, reports[a].year, round(shared / total, 4)))
    return pairs


def copied_reports(conn: sqlite3.Connection, threshold: float = 0.8) -> list[dict[str, Any]]:
    """Reports whose own text repeats their agency's previous report at `threshold` or more."""
    ensure_schema(conn)
    keys = ("url", "agency", "year", "share", "previous_url", "previous_year", "own_chars")
    return [dict(zip(keys, row, strict=True)) for row in conn.execute(
        "select d.url, s.agency, s.year, s.share_of_previous, p.url, s.previous_year, s.own_chars from similarity s "
        "join documents d on d.id = s.document_id left join documents p on p.id = s.previous_document_id "
        "where s.share_of_previous >= ? order by s.share_of_previous desc, s.agency, s.year", (threshold,))]


def near_duplicates(conn: sqlite3.Connection, threshold: float = 0.8) -> list[dict[str, Any]]:
    """Pairs of different agencies' reports of one year sharing `threshold` or more of their own text."""
    ensure_schema(conn)
    keys = ("year", "score", "url", "agency", "other_url", "other_agency")
    return [dict(zip(keys, row, strict=True)) for row in conn.execute(
        "select n.year, n.score, a.url, a.agency, b.url, b.agency from near_duplicates n "
        "join documents a on a.id = n.document_id join documents b on b.id = n.other_document_id "
        "where n.score >= ? order by n.score desc, a.agency", (threshold,))]


def _signature(conn: sqlite3.Connection) -> str:
    """What the similarity tables were computed from: the report documents' count and largest id."""
    count, last = conn.execute("select count(*), max(id) from documents where is_report = 1").fetchone()
    return f"{count}:{last}"


def similar_reports(db_path: Path, threshold: float = 0.8) -> dict[str, list[dict[str, Any]]]:
    """What `nianbao similar` lists: the similarity tables recomputed when the reports changed since they
    were last computed, then the copied reports and near-duplicates at or above `threshold`."""
    conn = sqlite3.connect(db_path, timeout=60)
    try:
        ensure_schema(conn)
        row = conn.execute("select value from similarity_state where key = 'reports'").fetchone()
        if row is None or row[0] != _signature(conn):
            update_similarity(conn)
        return {"copied": copied_reports(conn, threshold), "near_duplicates": near_duplicates(conn, threshold)}
    finally:
        conn.close()
