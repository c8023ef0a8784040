"""Report groups: the documents of the index that are one report, and which copy stands for it.

One report is often archived several times: its HTML page and the PDF/DOCX attached to it, or the same
report on a county's aggregating column and on the agency's own host. They share their figures, so a
table of figures per report would count the report twice. `update_report_groups` puts every report
document in a group — its attachments join their page (`documents.parent_id`), and documents of the same
agency and year whose titles name the same reporting unit join each other — and marks as primary the copy
whose tables parsed best (most figures, then most checks passed, then fewest unplaced items). Derived from
`documents` and `report_figures`/`report_checks`/`report_parses`.

Kept up to date incrementally: triggers note in `report_groups_dirty` each document whose membership or
parse may have changed (inserted, deleted, re-extracted, re-parsed, its page or its figures changed), and an
update regroups those documents with the groups they touch (their own, their page's, their attachments',
the groups of their reporting unit), a few thousand at a time. An update so costs what changed, and memory
stays bounded by a batch, however large the index (a whole rebuild held ~470 bytes per report).
"""

from __future__ import annotations

import json
import re
import sqlite3
from array import array
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["BATCH", "ensure_schema", "report_unit", "update_report_groups"]

# Documents regrouped at a time (with the members of the groups they touch).
BATCH = 2000
_CHUNK = 500  # ids per `in (...)` list

_SCHEMA = """
create table if not exists report_groups (
    document_id integer primary key, group_key text not null, is_primary integer not null, reason text,
    unit_key text not null default '', parent_id integer, figures integer, checks_passed integer,
    unplaced integer);
create index if not exists report_groups_key on report_groups (group_key);
create index if not exists report_groups_unit on report_groups (unit_key) where unit_key <> '';
create index if not exists report_groups_parent on report_groups (parent_id) where parent_id is not null;
create table if not exists report_groups_dirty (document_id integer primary key);
create trigger if not exists report_groups_doc_added after insert on documents when new.is_report = 1
begin insert or ignore into report_groups_dirty values (new.id); end;
create trigger if not exists report_groups_doc_removed after delete on documents
begin insert or ignore into report_groups_dirty values (old.id); end;
create trigger if not exists report_groups_doc_changed after update of is_report, parent_id, agency, year, title,
    title_simplified on documents
    when old.is_report is not new.is_report or old.parent_id is not new.parent_id or old.agency is not new.agency
      or old.year is not new.year or old.title is not new.title or old.title_simplified is not new.title_simplified
begin insert or ignore into report_groups_dirty values (new.id); end;
"""
# A document's quality (figures, checks passed, unplaced items) changes with these tables' rows.
_QUALITY_TABLES = ("report_figures", "report_checks", "report_parses")
_QUALITY_TRIGGERS = """
create trigger if not exists report_groups_{table}_added after insert on {table}
begin insert or ignore into report_groups_dirty values (new.document_id); end;
create trigger if not exists report_groups_{table}_removed after delete on {table}
begin insert or ignore into report_groups_dirty values (old.document_id); end;
"""

_YEAR = re.compile(r"[（(]?(19|20)\d{2}\s*年度?[）)]?")
_SUFFIX = re.compile(r"(关于)?(的)?(政府)?(信息|资讯)?(公开)?(工作)?(年度)?(报告|年报)(全文)?(（[^）]*）|\([^)]*\))?$")
_NOISE = re.compile(r"[\s《》〈〉“”\"'·•:：,，.。、]|^关于")


def report_unit(title: str) -> str:
    """The reporting unit a report title names ('' when it names none): 某县教育局2024年政府信息公开工作年度报告
    → 某县教育局. A site name after `_`, `|` or ` - ` is dropped; so are the year and the report words."""
    parts = [p for p in re.split(r"_|\||\s[-—–]\s", title) if "报告" in p or "年报" in p]
    name = _NOISE.sub("", parts[0] if parts else title)
    name = _SUFFIX.sub("", _YEAR.sub("", name))
    return name if len(name) >= 2 else ""


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the groups table, its change log and triggers when missing. When a trigger was missing (a new
    index, a table made again by a migration, a groups table from before the change log, which is dropped),
    changes may have gone unnoticed: every report is marked to be grouped again."""
    columns = {row[1] for row in conn.execute("pragma table_info(report_groups)")}
    if columns and "unplaced" not in columns:
        conn.execute("drop table report_groups")
    before = {row[0] for row in conn.execute("select name from sqlite_master where type = 'trigger'")}
    conn.executescript(_SCHEMA)
    present = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
    for table in _QUALITY_TABLES:
        if table in present:
            conn.executescript(_QUALITY_TRIGGERS.format(table=table))
    ours = {row[0] for row in conn.execute("select name from sqlite_master where type = 'trigger' "
                                           "and name like 'report_groups_%'")}
    if ours - before:
        conn.execute("insert or ignore into report_groups_dirty select id from documents where is_report = 1")


@dataclass(frozen=True)
class _Doc:
    id: int
    parent_id: int | None
    key: str  # agency|year|unit, '' when the year is unknown (joined by its page only)
    quality: tuple[int, int, int]  # figures, checks passed, -unplaced


def _chunks(ids: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start:start + _CHUNK]


def _rows_in(conn: sqlite3.Connection, sql: str, ids: Sequence[Any]) -> Iterator[tuple[Any, ...]]:
    """Rows of `sql` (its `{ids}` a list of placeholders) for `ids` (ids or keys), a chunk at a time."""
    for chunk in _chunks(ids):
        yield from conn.execute(sql.format(ids=", ".join("?" * len(chunk))), list(chunk))


def _quality(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple[int, int, int]]:
    """document id → (figures, checks passed, -unplaced items) of each of `ids` that was parsed."""
    figures = dict(_rows_in(conn, "select document_id, count(*) from report_figures where document_id in ({ids}) "
                                  "group by document_id", ids))
    checks = dict(_rows_in(conn, "select document_id, sum(ok) from report_checks where document_id in ({ids}) "
                                 "group by document_id", ids))
    quality = {}
    for doc_id, unplaced in _rows_in(conn, "select document_id, unplaced from report_parses "
                                           "where document_id in ({ids})", ids):
        try:
            missing = len(json.loads(unplaced or "[]"))
        except ValueError:
            missing = 0
        quality[doc_id] = (figures.get(doc_id, 0), int(checks.get(doc_id) or 0), -missing)
    return quality


def _unit_key(agency: str | None, year: int | None, title: str | None) -> str:
    unit = report_unit(title or "")
    if unit and agency and unit in agency:  # "某县人民政府2024年…" on 某县人民政府's own column
        unit = ""
    return f"{agency or ''}|{year}|{unit}" if year else ""


def _documents(conn: sqlite3.Connection, ids: Sequence[int]) -> list[_Doc]:
    """The report documents among `ids`, read from the documents and their parse."""
    quality = _quality(conn, ids)
    docs = [_Doc(doc_id, parent_id, _unit_key(agency, year, title), quality.get(doc_id, (0, 0, -(10**6))))
            for doc_id, parent_id, agency, year, title in _rows_in(
                conn, "select id, parent_id, agency, year, coalesce(nullif(title_simplified, ''), title) "
                      "from documents where is_report = 1 and id in ({ids})", ids)]
    return docs


def _components(docs: list[_Doc]) -> dict[int, list[_Doc]]:
    """Union of pages with their attachments and of documents sharing a key: root id → members."""
    parent = {doc.id: doc.id for doc in docs}

    def find(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    first_with_key: dict[str, int] = {}
    for doc in docs:
        if doc.parent_id in parent:
            union(doc.id, doc.parent_id)  # type: ignore[arg-type]
        if doc.key:
            union(doc.id, first_with_key.setdefault(doc.key, doc.id))
    groups: dict[int, list[_Doc]] = defaultdict(list)
    for doc in docs:
        groups[find(doc.id)].append(doc)
    return groups


def _touched_groups(conn: sqlite3.Connection, ids: Sequence[int]) -> set[str]:
    """Keys of the groups documents `ids` may join or leave: their own, their attachments' (as grouped),
    their pages' (now) and those of their reporting units."""
    keys = {key for (key,) in _rows_in(conn, "select group_key from report_groups where document_id in ({ids})", ids)}
    keys |= {key for (key,) in _rows_in(conn, "select group_key from report_groups where parent_id in ({ids})", ids)}
    keys |= {key for (key,) in _rows_in(conn, "select g.group_key from documents d join report_groups g "
                                              "on g.document_id = d.parent_id where d.id in ({ids})", ids)}
    units = sorted({_unit_key(agency, year, title) for agency, year, title in _rows_in(
        conn, "select agency, year, coalesce(nullif(title_simplified, ''), title) from documents "
              "where is_report = 1 and id in ({ids})", ids)} - {""})
    keys |= {key for (key,) in _rows_in(
        conn, "select group_key from report_groups where unit_key <> '' and unit_key in ({ids})", units)}
    return keys


def _regroup(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """Group documents `ids` again, with every member of the groups they touch (read back as stored: a
    member not among `ids` has not changed since); only rows that differ are written."""
    keys = sorted(_touched_groups(conn, ids))
    changed = set(ids)
    stored = {row[0]: row for row in _rows_in(
        conn, "select document_id, group_key, is_primary, reason, unit_key, parent_id, figures, checks_passed, "
              "unplaced from report_groups where group_key in ({ids})", keys) if row[0] not in changed}
    docs = _documents(conn, ids) + [_Doc(row[0], row[5], row[4], (row[6], row[7], row[8])) for row in stored.values()]
    docs.sort(key=lambda doc: doc.id)
    rows = []
    for root, group in _components(docs).items():
        key = next((doc.key for doc in group if doc.key), f"document:{root}")
        primary = max(group, key=lambda doc: (doc.quality, -doc.id))
        for doc in group:
            figures = doc.quality[0]
            reason = (f"primary: {figures} figures" if doc is primary
                      else f"copy of document {primary.id}: {figures} figures against {primary.quality[0]}")
            row = (doc.id, key, int(doc is primary), reason, doc.key, doc.parent_id, *doc.quality)
            if stored.get(doc.id) != row:
                rows.append(row)
    for chunk in _chunks(sorted(changed | {row[0] for row in rows})):
        conn.execute(f"delete from report_groups where document_id in ({', '.join('?' * len(chunk))})", list(chunk))
    conn.executemany("insert into report_groups values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)


def update_report_groups(conn: sqlite3.Connection, batch: int | None = None) -> int:
    """Regroup the report documents changed since the last update (all of them the first time), `batch`
    (BATCH) at a time; returns how many groups hold more than one copy."""
    ensure_schema(conn)
    # by agency and year: a batch then holds whole groups (their keys are agency|year|unit), so few groups
    # are read back twice
    dirty = array("q", (doc_id for (doc_id,) in conn.execute(
        "select r.document_id from report_groups_dirty r left join documents d on d.id = r.document_id "
        "order by d.agency, d.year, r.document_id")))
    step = batch or BATCH
    for start in range(0, len(dirty), step):
        _regroup(conn, dirty[start:start + step])
    conn.execute("delete from report_groups_dirty")
    conn.commit()
    return int(conn.execute("select count(*) from (select 1 from report_groups group by group_key "
                            "having count(*) > 1)").fetchone()[0])
