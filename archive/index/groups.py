"""Report groups: the documents of the index that are one report, and which copy stands for it.

One report is often archived several times: its HTML page and the PDF/DOCX attached to it, or the same
report on a county's aggregating column and on the agency's own host. They share their figures, so a
table of figures per report would count the report twice. `update_report_groups` puts every report
document in a group — its attachments join their page (`documents.parent_id`), and documents of the same
agency and year whose titles name the same reporting unit join each other — and marks as primary the copy
whose tables parsed best (most figures, then most checks passed, then fewest unplaced items). Derived from
`documents` and `report_figures`/`report_checks`/`report_parses`; rebuilt whole each time it runs.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from dataclasses import dataclass

__all__ = ["report_unit", "update_report_groups"]

_SCHEMA = """
create table if not exists report_groups (
    document_id integer primary key, group_key text not null, is_primary integer not null, reason text);
create index if not exists report_groups_key on report_groups (group_key);
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


@dataclass(frozen=True)
class _Doc:
    id: int
    parent_id: int | None
    key: str  # agency|year|unit, '' when the year is unknown (joined by its page only)
    quality: tuple[int, int, int]  # figures, checks passed, -unplaced


def _quality(conn: sqlite3.Connection) -> dict[int, tuple[int, int, int]]:
    """document id → (figures, checks passed, -unplaced items) of each parsed report."""
    figures = dict(conn.execute("select document_id, count(*) from report_figures group by document_id"))
    checks = dict(conn.execute("select document_id, sum(ok) from report_checks group by document_id"))
    quality = {}
    for doc_id, unplaced in conn.execute("select document_id, unplaced from report_parses"):
        try:
            missing = len(json.loads(unplaced or "[]"))
        except ValueError:
            missing = 0
        quality[doc_id] = (figures.get(doc_id, 0), int(checks.get(doc_id) or 0), -missing)
    return quality


def _documents(conn: sqlite3.Connection) -> list[_Doc]:
    quality = _quality(conn)
    docs = []
    for doc_id, parent_id, agency, year, title in conn.execute(
            "select id, parent_id, agency, year, coalesce(nullif(title_simplified, ''), title) from documents "
            "where is_report = 1 order by id"):
        unit = report_unit(title or "")
        if unit and agency and unit in agency:  # "某县人民政府2024年…" on 某县人民政府's own column
            unit = ""
        key = f"{agency or ''}|{year}|{unit}" if year else ""
        docs.append(_Doc(doc_id, parent_id, key, quality.get(doc_id, (0, 0, -(10**6)))))
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


def update_report_groups(conn: sqlite3.Connection) -> int:
    """Rebuild `report_groups` from the report documents; returns how many groups hold more than one copy."""
    conn.executescript(_SCHEMA)
    conn.execute("delete from report_groups")
    shared = 0
    rows = []
    for root, members in _components(_documents(conn)).items():
        key = next((doc.key for doc in members if doc.key), f"document:{root}")
        primary = max(members, key=lambda doc: (doc.quality, -doc.id))
        shared += len(members) > 1
        for doc in members:
            figures = doc.quality[0]
            reason = (f"primary: {figures} figures" if doc is primary
                      else f"copy of document {primary.id}: {figures} figures against {primary.quality[0]}")
            rows.append((doc.id, key, int(doc is primary), reason))
    conn.executemany("insert into report_groups values (?, ?, ?, ?)", rows)
    conn.commit()
    return shared
