"""Report statistics in the index: report_figures, report_checks, report_sections and a cross-report view.

A figure's `note` says when its cell was blank (stored as 0), how its row was matched loosely, which
unit was converted, or that it was read by OCR (low-confidence: the document's error starts with `ocr`).
report_checks holds the checks that ran; one that could not run is listed with its reason in
report_parses.unplaced (`check not run: …`).

Built by `nianbao index` for every report document (from the WARCs, like everything in the index).
"""

from __future__ import annotations

import csv
import json
import logging
import sqlite3
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import IO, Any

import sqlite_utils

from archive.db import read_only
from archive.index.headlines import create_headlines
from archive.serve.deadlines import deadline, is_government, seed_levels, status
from extract.tables import APPLICANT_COLUMNS, RESULT_ROWS, REVIEW_COLUMNS, ReportParse, parse_report

__all__ = ["FORM_SHEETS", "HEADLINE_CELLS", "REPORT_COLUMNS", "WIDE_COLUMNS", "ensure_schema", "export_wide",
           "form_sheets", "headline_where", "store_parse", "update_figures", "wide_records"]

logger = logging.getLogger(__name__)

_SCHEMA = """
create table if not exists report_figures (document_id integer, section text, row_label text, col_label text,
                                           value real, note text);
create index if not exists report_figures_doc on report_figures (document_id);
create table if not exists report_checks (document_id integer, check_name text, ok integer, detail text);
create index if not exists report_checks_doc on report_checks (document_id);
create table if not exists report_sections (document_id integer, section text, text text);
create table if not exists report_parses (document_id integer primary key, format text, unplaced text);
create view if not exists applications_by_agency_year as
    select d.agency, d.province, d.year, d.url, f.value as new_applications,
           (select value from report_figures g where g.document_id = d.id and g.row_label = '（七）总计'
              and g.col_label = '总计') as handled,
           (select value from report_figures g where g.document_id = d.id and g.row_label = '（一）予以公开'
              and g.col_label = '总计') as disclosed
    from documents d join report_figures f on f.document_id = d.id
    where f.row_label = '一、本年新收政府信息公开申请数量' and f.col_label = '总计'
    order by d.agency, d.year;
"""
WIDE_COLUMNS = (
    [f"三|{row}|{col}" for row, _p in RESULT_ROWS for col in APPLICANT_COLUMNS]
    + [f"四|{col}" for col in REVIEW_COLUMNS]
)


# The cells the figures page charts (`archive.serve.figures.METRICS`): a partial index holds them alone, so a
# province's series reads five entries per report instead of its ~200 figures (0.4 s at 100,000 documents).
HEADLINE_CELLS = (("三", "一、本年新收政府信息公开申请数量", "总计"), ("三", "（一）予以公开", "总计"),
                  ("四", "行政复议", "总计"), ("四", "行政诉讼", "未经复议直接起诉 总计"),
                  ("四", "行政诉讼", "复议后起诉 总计"))


def headline_where(cells: Sequence[tuple[str, str, str]] = HEADLINE_CELLS) -> str:
    """The partial index's condition; a query holding this very expression (literals, not parameters) is
    answered from the index."""
    def quoted(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    return "(" + " or ".join(f"(section = {quoted(a)} and row_label = {quoted(b)} and col_label = {quoted(c)})"
                             for a, b, c in cells) + ")"


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the figures tables and view if missing; add the `note` column to an older report_figures."""
    db.conn.executescript(_SCHEMA)
    db.conn.execute("create index if not exists report_figures_headline on report_figures "
                    f"(document_id, section, row_label, col_label, value) where {headline_where()}")
    columns = {row[1] for row in db.conn.execute("pragma table_info(report_figures)")}
    if "note" not in columns:
        db.conn.execute("alter table report_figures add column note text")
    if create_headlines(db.conn, HEADLINE_CELLS):
        filled = db.conn.execute("select count(*) from headline_figures").fetchone()[0]
        if filled:
            logger.warning("headline_figures filled from the report figures: %d agency-year cells (kept by triggers "
                           "from now)", filled)


ParseJob = tuple[str, str, int | None, str]  # a report's text, tables (JSON), year and extraction error
_PARSE_BATCH = 200  # reports read, parsed and stored together (the indexer's batch): memory stays bounded


def parse_job(job: ParseJob) -> ReportParse:
    """The statistics of one report document (run in the indexer's worker processes)."""
    text, tables_json, year, doc_error = job
    tables = tuple(tuple(tuple(row) for row in table) for table in json.loads(tables_json or "[]"))
    parse = parse_report(text or "", tables, year)
    return _low_confidence(parse) if (doc_error or "").startswith("ocr") else parse


def update_figures(db: sqlite_utils.Database,
                   parse_all: Callable[[list[ParseJob]], Iterable[ReportParse]] | None = None) -> int:
    """Parse every report document not parsed yet; returns how many were parsed. `parse_all`: runs
    `parse_job` over a batch, in order (the indexer's process pool; in this process when not given)."""
    ensure_schema(db)
    columns = {row[1] for row in db.conn.execute("pragma table_info(documents)")}
    error = "error" if "error" in columns else "''"
    todo = array("q", (row[0] for row in db.conn.execute(
        "select id from documents where is_report = 1 and id not in (select document_id from report_parses) "
        "order by id")))  # 8 bytes an id: a first update parses every report of the archive
    for start in range(0, len(todo), _PARSE_BATCH):
        ids = list(todo[start:start + _PARSE_BATCH])
        rows = db.conn.execute(f"select id, text, tables, year, {error} from documents where id in "
                               f"({', '.join('?' * len(ids))}) order by id", ids).fetchall()
        jobs: list[ParseJob] = [(text, tables, year, doc_error) for _id, text, tables, year, doc_error in rows]
        parses = parse_all(jobs) if parse_all is not None else map(parse_job, jobs)
        for (doc_id, *_job), parse in zip(rows, parses, strict=True):
            store_parse(db.conn, doc_id, parse)
    db.conn.commit()
    return len(todo)


def store_parse(conn: sqlite3.Connection, doc_id: int, parse: ReportParse) -> None:
    """Store one report's parse: its figures, the checks that ran, its sections and what was left over."""
    conn.executemany("insert into report_figures (document_id, section, row_label, col_label, value, note) "
                     "values (?, ?, ?, ?, ?, ?)",
                     [(doc_id, f.section, f.row_label, f.col_label, f.value, f.note) for f in parse.figures])
    # A check that could not run is not a failure: its reason is among the parse's unplaced items.
    conn.executemany("insert into report_checks values (?, ?, ?, ?)",
                     [(doc_id, c.name, int(c.ok), c.detail) for c in parse.checks if c.ran])
    conn.executemany("insert into report_sections values (?, ?, ?)",
                     [(doc_id, name, text) for name, text in parse.sections])
    conn.execute("insert into report_parses values (?, ?, ?)",
                 (doc_id, parse.format, json.dumps(list(parse.unplaced), ensure_ascii=False)))


def _low_confidence(parse: ReportParse) -> ReportParse:
    """A parse of OCR text: every figure noted as low-confidence (read from page images)."""
    figures = tuple(replace(f, note="; ".join(part for part in ("low-confidence: OCR", f.note) if part))
                    for f in parse.figures)
    return replace(parse, figures=figures)


# primary_id: the copy of the same report whose tables parsed best (itself for that copy): an HTML page and
# its PDF, or the agency's page and an aggregator's, are one report (archive/index/groups.py).
REPORT_COLUMNS = ("document_id", "url", "agency", "province", "year", "format", "checks_failed", "primary_id",
                  "same_as_previous_year", "versions", "withdrawn_at", "published", "deadline", "timeliness")
# The standard form's three tables as a researcher's workbook has them: sheet name (the form's heading),
# then the columns after a report's identity.
FORM_SHEETS = ("二、主动公开政府信息情况", "三、收到和处理政府信息公开申请情况",
               "四、政府信息公开行政复议、行政诉讼情况")
_SHEET_IDENTITY = ("document_id", "agency", "province", "year")


def _reports(conn: sqlite3.Connection, doc_ids: Sequence[int] | None = None) -> list[tuple[Any, ...]]:
    """(id, url, agency, province, year, format, failed checks) of every parsed report, or of `doc_ids`;
    none from an index whose figures were never parsed."""
    if not conn.execute("select 1 from sqlite_master where name = 'report_parses'").fetchone():
        return []
    rows = conn.execute("select d.id, d.url, d.agency, d.province, d.year, p.format from documents d "
                        "join report_parses p on p.document_id = d.id order by d.agency, d.year, d.url").fetchall()
    wanted = None if doc_ids is None else set(doc_ids)
    primary = _primaries(conn)
    return [(row[0], primary.get(row[0], row[0]), *row[1:], [name for (name,) in conn.execute(
                "select check_name from report_checks where document_id = ? and ok = 0", (row[0],))])
            for row in rows if wanted is None or row[0] in wanted]


def _history(conn: sqlite3.Connection, doc_id: int, url: str) -> dict[str, Any]:
    """Share repeated from the previous year's report (after `nianbao similar`), versions, withdrawal date."""
    def one(sql: str, *args: object) -> Any:
        try:
            row = conn.execute(sql, args).fetchone()
        except sqlite3.OperationalError:  # an index made before these tables
            return None
        return row[0] if row else None

    return {"same_as_previous_year": one("select share_of_previous from similarity where document_id = ?", doc_id),
            "versions": one("select count(*) from versions where url = ?", url),
            "withdrawn_at": one("select confirmed_at from withdrawn where url = ?", url)}


def _timeliness(conn: sqlite3.Connection, doc_id: int, agency: str, year: int | None,
                level: str) -> dict[str, Any]:
    """Published date (the document's, else its page's), the deadline of 条例 art. 49, on time or late."""
    row = conn.execute("select d.published, p.published from documents d left join documents p on p.id = d.parent_id "
                       "where d.id = ?", (doc_id,)).fetchone()
    published = (row[0] or row[1] or "") if row else ""
    if not year:
        return {"published": published, "deadline": None, "timeliness": None}
    government = is_government(agency, level)
    state = status(year, government, published, True, "", date.today())
    return {"published": published, "deadline": deadline(year, government).isoformat(), "timeliness": state}


def _primaries(conn: sqlite3.Connection) -> dict[int, int]:
    """document id → the primary copy of its report group ({} before groups were computed)."""
    if not conn.execute("select 1 from sqlite_master where name = 'report_groups'").fetchone():
        return {}
    return {doc_id: primary for doc_id, primary in conn.execute(
        "select g.document_id, p.document_id from report_groups g join report_groups p "
        "on p.group_key = g.group_key and p.is_primary = 1")}


def _figures(conn: sqlite3.Connection, doc_id: int) -> list[tuple[str, str, str, float | None]]:
    return conn.execute("select section, row_label, col_label, value from report_figures where document_id = ? "
                        "order by rowid", (doc_id,)).fetchall()


def wide_records(db_path: Path) -> Iterator[dict[str, Any]]:
    """One record per parsed report: REPORT_COLUMNS, then every WIDE_COLUMNS figure (None when not read)."""
    levels = seed_levels(db_path.parent)
    with read_only(db_path) as conn:
        for doc_id, primary_id, url, agency, province, year, fmt, failed in _reports(conn):
            on_time = _timeliness(conn, doc_id, agency or "", year, levels.get((province or "", agency or ""), ""))
            values = {f"{s}|{r}|{c}" if s == "三" else f"{s}|{r} {c}": v for s, r, c, v in _figures(conn, doc_id)}
            yield {"document_id": doc_id, "url": url, "agency": agency, "province": province, "year": year,
                   "format": fmt, "checks_failed": failed, "primary_id": primary_id, **_history(conn, doc_id, url),
                   **on_time,
                   **{column: _number(values.get(column)) for column in WIDE_COLUMNS}}


def export_wide(db_path: Path, out: IO[str], fmt: str = "csv") -> int:
    """Write one row per parsed report (identity, format, failed checks, every figure) as `csv` or `jsonl`
    (figures as numbers, a figure not read as null); returns how many."""
    writer = csv.writer(out) if fmt == "csv" else None
    if writer:
        writer.writerow([*REPORT_COLUMNS, *WIDE_COLUMNS])
    rows = 0
    for record in wide_records(db_path):
        if writer:
            record["checks_failed"] = ";".join(record["checks_failed"])
            writer.writerow([record[c] if c in REPORT_COLUMNS else _fmt(record[c]) for c in record])
        else:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        rows += 1
    return rows


def form_sheets(db_path: Path, doc_ids: Sequence[int] | None = None) -> dict[str, list[list[Any]]]:
    """The reports' figures as the form's three tables (FORM_SHEETS), each a header row then rows: one row
    per report and form row (二, 三; 四 has a single row), the form's columns after the report's identity."""
    two: dict[tuple[Any, ...], dict[str, float | None]] = {}
    three: dict[tuple[Any, ...], dict[str, float | None]] = {}
    four: dict[tuple[Any, ...], dict[str, float | None]] = {}
    with read_only(db_path) as conn:
        for doc_id, _primary, _url, agency, province, year, _format, _failed in _reports(conn, doc_ids):
            identity = (doc_id, agency, province, year)
            for section, row, col, value in _figures(conn, doc_id):
                if section == "二":
                    two.setdefault((*identity, row), {})[col] = value
                elif section == "三":
                    three.setdefault((*identity, row), {})[col] = value
                elif section == "四":
                    four.setdefault(identity, {})[f"{row} {col}"] = value
    two_columns = list(dict.fromkeys(col for values in two.values() for col in values))
    return {FORM_SHEETS[0]: _sheet([*_SHEET_IDENTITY, "信息内容"], two_columns, two),
            FORM_SHEETS[1]: _sheet([*_SHEET_IDENTITY, "项目"], list(APPLICANT_COLUMNS), three),
            FORM_SHEETS[2]: _sheet(list(_SHEET_IDENTITY), list(REVIEW_COLUMNS), four)}


def _sheet(identity: list[str], columns: list[str], rows: dict[tuple[Any, ...], dict[str, float | None]]
           ) -> list[list[Any]]:
    return [identity + columns] + [[*key, *(_number(values.get(column)) for column in columns)]
                                   for key, values in rows.items()]


def _number(value: float | None) -> float | int | None:
    """A count as the integer it is (12, not 12.0); amounts keep their decimals."""
    return int(value) if value is not None and float(value).is_integer() else value


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
