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
from dataclasses import replace
from pathlib import Path
from typing import IO

import sqlite_utils

from extract.tables import APPLICANT_COLUMNS, RESULT_ROWS, REVIEW_COLUMNS, ReportParse, parse_report

__all__ = ["WIDE_COLUMNS", "ensure_schema", "export_wide", "update_figures"]

_SCHEMA = """
create table if not exists report_figures (document_id integer, section text, row_label text, col_label text,
                                           value real, note text);
create index if not exists report_figures_doc on report_figures (document_id);
create table if not exists report_checks (document_id integer, check_name text, ok integer, detail text);
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


def ensure_schema(db: sqlite_utils.Database) -> None:
    """Create the figures tables and view if missing; add the `note` column to an older report_figures."""
    db.conn.executescript(_SCHEMA)
    columns = {row[1] for row in db.conn.execute("pragma table_info(report_figures)")}
    if "note" not in columns:
        db.conn.execute("alter table report_figures add column note text")


def update_figures(db: sqlite_utils.Database) -> int:
    """Parse every report document not parsed yet; returns how many were parsed."""
    ensure_schema(db)
    columns = {row[1] for row in db.conn.execute("pragma table_info(documents)")}
    error = "error" if "error" in columns else "''"
    todo = db.conn.execute(f"select id, text, tables, year, {error} from documents where is_report = 1 and id not in "
                           "(select document_id from report_parses)").fetchall()
    for doc_id, text, tables_json, year, doc_error in todo:
        tables = tuple(tuple(tuple(row) for row in table) for table in json.loads(tables_json or "[]"))
        parse = _low_confidence(parse_report(text or "", tables, year)) if (doc_error or "").startswith("ocr") \
            else parse_report(text or "", tables, year)
        db.conn.executemany("insert into report_figures (document_id, section, row_label, col_label, value, note) "
                            "values (?, ?, ?, ?, ?, ?)",
                            [(doc_id, f.section, f.row_label, f.col_label, f.value, f.note) for f in parse.figures])
        # A check that could not run is not a failure: its reason is among the parse's unplaced items.
        db.conn.executemany("insert into report_checks values (?, ?, ?, ?)",
                            [(doc_id, c.name, int(c.ok), c.detail) for c in parse.checks if c.ran])
        db.conn.executemany("insert into report_sections values (?, ?, ?)",
                            [(doc_id, name, text) for name, text in parse.sections])
        db.conn.execute("insert into report_parses values (?, ?, ?)",
                        (doc_id, parse.format, json.dumps(list(parse.unplaced), ensure_ascii=False)))
    db.conn.commit()
    return len(todo)


def _low_confidence(parse: ReportParse) -> ReportParse:
    """A parse of OCR text: every figure noted as low-confidence (read from page images)."""
    figures = tuple(replace(f, note="; ".join(part for part in ("low-confidence: OCR", f.note) if part))
                    for f in parse.figures)
    return replace(parse, figures=figures)


def export_wide(db_path: Path, out: IO[str]) -> int:
    """One CSV row per parsed report: identity, format, checks passed, then every figure."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    writer = csv.writer(out)
    writer.writerow(["document_id", "url", "agency", "province", "year", "format", "checks_failed", *WIDE_COLUMNS])
    rows = 0
    for doc_id, url, agency, province, year, fmt in conn.execute(
            "select d.id, d.url, d.agency, d.province, d.year, p.format from documents d "
            "join report_parses p on p.document_id = d.id order by d.agency, d.year, d.url"):
        values = {f"{s}|{r}|{c}" if s == "三" else f"{s}|{r} {c}": v for s, r, c, v in conn.execute(
            "select section, row_label, col_label, value from report_figures where document_id = ?", (doc_id,))}
        failed = [name for (name,) in conn.execute(
            "select check_name from report_checks where document_id = ? and ok = 0", (doc_id,))]
        writer.writerow([doc_id, url, agency, province, year, fmt, ";".join(failed),
                         *[_fmt(values.get(column)) for column in WIDE_COLUMNS]])
        rows += 1
    conn.close()
    return rows


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)
