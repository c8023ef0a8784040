"""Silent edits and withdrawals of reports: the `versions` and `withdrawn` tables of the index.

A version is a capture of a report URL whose extracted main text differs from the one before it. The
comparison is on the extracted text, normalised (whitespace, visit counters), never on the payload: a
page whose template changed (navigation, counters, the server's clock) or a file uploaded again with the
same text is not a new version. Each version after the first keeps its diff by paragraph and the standard
figures that changed (row, column, old → new).

A report is withdrawn when the last two crawls ("nights") that got an answer for its URL both answered
404 or 410. Answers that say nothing about the report (timeouts leave no capture; 5xx, 403, 412, 429, 521
are a server's or an anti-bot appliance's) are neither evidence of withdrawal nor of presence. Its archived
copies stay in the index.

Both tables are derived from captures, documents and report_figures (after `update_figures`); functions
here take the index connection and create their tables when missing.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["GONE_STATUSES", "changes", "edited_and_withdrawn", "normalised_paragraphs", "paragraph_diff",
           "update_changes", "update_versions", "update_withdrawn", "withdrawn_reports"]

_SCHEMA = """
create table if not exists versions (
    id integer primary key, url text not null, version integer not null, document_id integer unique,
    capture_id integer, fetched_at text, text_hash text, previous_document_id integer,
    paragraphs_changed integer default 0, figures_changed integer default 0, diff text, figures text);
create index if not exists versions_url on versions (url, version);
create index if not exists versions_fetched on versions (fetched_at);
create table if not exists versions_progress (key text primary key, value integer);
create table if not exists withdrawn (
    url text primary key, document_id integer, last_ok_at text, first_gone_at text, confirmed_at text,
    gone_status integer, nights integer);
"""
GONE_STATUSES = (404, 410)
_PRESENT_STATUSES = (200, 203, 206, 304)
# Counters and clocks that some templates put inside the article body: never part of the report.
_CHROME = re.compile(r"(浏览|访问|阅读|点击)(次数|量|数)\s*[:：]?\s*\d+|当前时间\s*[:：]?\s*[\d\-/: 年月日]+")
_SPACE = re.compile(r"[ \t\u3000\xa0]+")


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the versions and withdrawn tables when missing."""
    conn.executescript(_SCHEMA)


def normalised_paragraphs(text: str) -> list[str]:
    """The paragraphs of an extracted text as compared between captures: chrome removed, blanks collapsed
    (table cells keep one separator so a row stays readable)."""
    out: list[str] = []
    for line in (text or "").splitlines():
        line = _SPACE.sub(" ", _CHROME.sub("", line).replace("\t", " | ")).strip(" |")
        if line:
            out.append(line)
    return out


def _hash(paragraphs: list[str]) -> str:
    return hashlib.sha1("\n".join(paragraphs).encode("utf-8")).hexdigest()


def paragraph_diff(old: list[str], new: list[str]) -> list[dict[str, str]]:
    """What changed between two paragraph lists: entries {op: changed|added|removed, old, new}."""
    out: list[dict[str, str]] = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        olds, news = old[a1:a2], new[b1:b2]
        for index in range(max(len(olds), len(news))):
            before = olds[index] if index < len(olds) else ""
            after = news[index] if index < len(news) else ""
            kind = "changed" if before and after else "added" if after else "removed"
            out.append({"op": kind, "old": before, "new": after})
    return out


def _figures(conn: sqlite3.Connection, document_id: int) -> dict[tuple[str, str, str], float]:
    return {(s or "", r or "", c or ""): v for s, r, c, v in conn.execute(
        "select section, row_label, col_label, value from report_figures where document_id = ?", (document_id,))}


def figure_changes(conn: sqlite3.Connection, old_id: int, new_id: int) -> list[dict[str, Any]]:
    """Standard figures whose value differs between two documents (a figure only one of them has counts too)."""
    old, new = _figures(conn, old_id), _figures(conn, new_id)
    return [{"section": key[0], "row": key[1], "column": key[2], "old": old.get(key), "new": new.get(key)}
            for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]


@dataclass
class _Latest:
    version: int
    document_id: int
    text_hash: str


def _latest(conn: sqlite3.Connection, url: str) -> _Latest | None:
    row = conn.execute("select version, document_id, text_hash from versions where url = ? "
                       "order by version desc limit 1", (url,)).fetchone()
    return _Latest(*row) if row else None


def _new_reports(conn: sqlite3.Connection, after: int) -> Iterator[tuple[int, str, str, int, str]]:
    """Report documents stored after document `after`, in capture order, with their text. Streamed, and the
    text read one document at a time: a first update holds every report of the archive, and sorting or
    holding their texts would take memory in proportion to the archive."""
    rows = conn.execute(
        "select d.id, d.url, c.id, c.fetched_at from documents d join captures c on c.id = d.capture_id "
        "where d.id > ? and d.is_report = 1 and coalesce(d.error, '') = '' order by c.fetched_at, d.id",
        (after,))
    for doc_id, url, capture_id, fetched_at in rows:
        text = conn.execute("select text from documents where id = ?", (doc_id,)).fetchone()[0]
        yield doc_id, url, text, capture_id, fetched_at


def update_versions(conn: sqlite3.Connection) -> int:
    """Record the versions of report documents indexed since the last call; returns how many new versions
    (first captures included) were stored. Call after the figures are parsed."""
    ensure_schema(conn)
    row = conn.execute("select value from versions_progress where key = 'document_id'").fetchone()
    after = row[0] if row else 0
    stored, last = 0, after
    for doc_id, url, text, capture_id, fetched_at in _new_reports(conn, after):
        last = max(last, doc_id)
        paragraphs = normalised_paragraphs(text)
        digest = _hash(paragraphs)
        latest = _latest(conn, url)
        if latest is not None and _same_text(conn, latest, digest):
            continue  # same report text: a template change or a re-upload, not an edit
        record: dict[str, Any] = {"url": url, "version": 1, "document_id": doc_id, "capture_id": capture_id,
                                  "fetched_at": fetched_at, "text_hash": digest}
        if latest is not None:
            record.update(_changes_since(conn, latest.document_id, doc_id, paragraphs))
            record["version"] = latest.version + 1
        columns = ", ".join(record)
        conn.execute(f"insert or replace into versions ({columns}) values ({', '.join('?' * len(record))})",
                     list(record.values()))
        stored += 1
    conn.execute("insert or replace into versions_progress values ('document_id', ?)", (last,))
    conn.commit()
    return stored


def _same_text(conn: sqlite3.Connection, latest: _Latest, digest: str) -> bool:
    """Whether the latest version's text is `digest`. Its stored hash is checked first; on a difference the
    text is read again, since a newer extractor may have re-extracted that document (better text, same
    report) since its hash was stored — the hash is then brought up to date."""
    if latest.text_hash == digest:
        return True
    row = conn.execute("select text from documents where id = ?", (latest.document_id,)).fetchone()
    if row is None or _hash(normalised_paragraphs(row[0])) != digest:
        return False
    conn.execute("update versions set text_hash = ? where document_id = ?", (digest, latest.document_id))
    return True


def _changes_since(conn: sqlite3.Connection, old_id: int, new_id: int, paragraphs: list[str]) -> dict[str, Any]:
    row = conn.execute("select text from documents where id = ?", (old_id,)).fetchone()
    diff = paragraph_diff(normalised_paragraphs(row[0] if row else ""), paragraphs)
    figures = figure_changes(conn, old_id, new_id)
    return {"previous_document_id": old_id, "paragraphs_changed": len(diff), "figures_changed": len(figures),
            "diff": json.dumps(diff, ensure_ascii=False), "figures": json.dumps(figures, ensure_ascii=False)}


def changes(conn: sqlite3.Connection, since: str = "") -> list[dict[str, Any]]:
    """Edited reports: every version after the first captured on or after `since` (an ISO date or time),
    with the report's identity, when it changed, the paragraph diff and the changed figures."""
    ensure_schema(conn)
    rows = conn.execute(
        "select v.url, v.version, v.fetched_at, p.fetched_at, d.agency, d.year, d.title, v.paragraphs_changed, "
        "v.figures_changed, v.diff, v.figures from versions v join documents d on d.id = v.document_id "
        "left join versions p on p.url = v.url and p.version = v.version - 1 "
        "where v.version > 1 and v.fetched_at >= ? order by v.fetched_at, v.url", (since or "",)).fetchall()
    keys = ("url", "version", "fetched_at", "previous_fetched_at", "agency", "year", "title", "paragraphs_changed",
            "figures_changed", "diff", "figures")
    out = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        item["diff"], item["figures"] = json.loads(item["diff"] or "[]"), json.loads(item["figures"] or "[]")
        out.append(item)
    return out


def _verdicts(rows: Iterable[tuple[str, int, str]]) -> list[tuple[str, str, int]]:
    """Per run, in order: (run id, 'ok' or 'gone', status); runs with only uninformative answers left out."""
    runs: dict[str, tuple[str, str, int]] = {}
    for run_id, status, fetched_at in rows:
        verdict = "ok" if status in _PRESENT_STATUSES else "gone" if status in GONE_STATUSES else ""
        if not verdict:
            continue
        previous = runs.get(run_id)
        if previous is None or (verdict == "ok" and previous[1] != "ok"):
            runs[run_id] = (fetched_at, verdict, status)
    return sorted(((fetched, verdict, status) for fetched, verdict, status in runs.values()))


def update_withdrawn(conn: sqlite3.Connection) -> int:
    """Recompute the `withdrawn` table for report URLs that ever answered 404/410; returns how many
    reports are withdrawn now."""
    ensure_schema(conn)
    urls = [url for (url,) in conn.execute(
        "select distinct c.url from captures c join documents d on d.url = c.url and d.is_report = 1 "
        f"where c.status in ({', '.join(map(str, GONE_STATUSES))})")]
    conn.execute("delete from withdrawn")
    for url in urls:
        rows = conn.execute("select coalesce(nullif(run_id, ''), fetched_at), status, fetched_at from captures "
                            "where url = ? order by fetched_at", (url,)).fetchall()
        verdicts = _verdicts(rows)
        gone = 0
        while gone < len(verdicts) and verdicts[-1 - gone][1] == "gone":
            gone += 1
        if gone < 2:
            continue
        oks = [fetched for fetched, verdict, _ in verdicts if verdict == "ok"]
        doc = conn.execute("select d.id from documents d join captures c on c.id = d.capture_id where d.url = ? "
                           "order by c.fetched_at desc limit 1", (url,)).fetchone()
        conn.execute("insert into withdrawn values (?, ?, ?, ?, ?, ?, ?)",
                     (url, doc[0] if doc else None, oks[-1] if oks else None, verdicts[-gone][0],
                      verdicts[-gone + 1][0], verdicts[-1][2], gone))
    conn.commit()
    return conn.execute("select count(*) from withdrawn").fetchone()[0]


def update_changes(conn: sqlite3.Connection) -> tuple[int, int]:
    """The index update's hook (after the figures): new versions stored, reports withdrawn now."""
    return update_versions(conn), update_withdrawn(conn)


def withdrawn_reports(conn: sqlite3.Connection, since: str = "") -> list[dict[str, Any]]:
    """Reports withdrawn (confirmed on or after `since`), with their identity and the nights that showed it."""
    ensure_schema(conn)
    keys = ("url", "agency", "year", "title", "last_ok_at", "first_gone_at", "confirmed_at", "gone_status", "nights")
    return [dict(zip(keys, row, strict=True)) for row in conn.execute(
        "select w.url, d.agency, d.year, d.title, w.last_ok_at, w.first_gone_at, w.confirmed_at, w.gone_status, "
        "w.nights from withdrawn w left join documents d on d.id = w.document_id where w.confirmed_at >= ? "
        "order by w.confirmed_at, w.url", (since or "",))]


def edited_and_withdrawn(db_path: Path, since: str = "") -> list[dict[str, Any]]:
    """What `nianbao changes` lists: the index's versions and withdrawals brought up to date (both are
    incremental or small), then every edit and withdrawal on or after `since`, in capture order, each
    with `change` = 'edited' or 'withdrawn'."""
    conn = sqlite3.connect(db_path, timeout=60)
    try:
        update_versions(conn)
        update_withdrawn(conn)
        items = [{"change": "edited", **item} for item in changes(conn, since)]
        items += [{"change": "withdrawn", **item} for item in withdrawn_reports(conn, since)]
    finally:
        conn.close()
    return sorted(items, key=lambda item: item.get("fetched_at") or item.get("confirmed_at") or "")
