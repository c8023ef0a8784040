"""Documents of the index written out as JSON Lines, CSV or an Excel workbook (the library half of
`nianbao export`)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

from archive.db import read_only
from archive.index.figures import REPORT_COLUMNS, form_sheets, wide_records

__all__ = ["DOCUMENT_COLUMNS", "export_documents", "export_workbook"]

DOCUMENT_COLUMNS = ("id", "url", "agency", "province", "title", "year", "published", "kind", "parent_id", "encoding",
                    "encoding_source", "mojibake", "is_report", "report_score", "extractor_version")
DOCUMENTS_SHEET = "文档"
REPORTS_SHEET = "报告"
_EXCEL_CELL_CHARS = 32767  # Excel refuses a longer cell: a long text is cut there
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # control characters an xlsx cannot hold


def _select(reports_only: bool, with_text: bool) -> tuple[tuple[str, ...], str]:
    columns = DOCUMENT_COLUMNS + (("text",) if with_text else ())
    where = " where is_report = 1" if reports_only else ""
    return columns, f"select {', '.join(columns)} from documents{where} order by agency, year, url"


def export_documents(db: Path, out: TextIO, fmt: str = "jsonl", reports_only: bool = False,
                     with_text: bool = False) -> int:
    """Write the documents of index `db` to `out` as `jsonl` or `csv`; returns how many were written."""
    columns, query = _select(reports_only, with_text)
    count = 0
    with read_only(db) as conn:
        rows = conn.execute(query)
        if fmt == "csv":
            writer = csv.writer(out)
            writer.writerow(columns)
            for row in rows:
                writer.writerow(row)
                count += 1
        else:
            for row in rows:
                out.write(json.dumps(dict(zip(columns, row, strict=True)), ensure_ascii=False) + "\n")
                count += 1
    return count


def export_workbook(db: Path, path: Path, figures: bool = False, reports_only: bool = False,
                    with_text: bool = False) -> int:
    """Write an Excel workbook to `path`: the documents (or, with `figures`, the parsed reports: identity,
    format, failed checks), then the reports' figures as the standard form's three tables, a sheet each.
    Returns how many documents (reports) the first sheet lists."""
    from openpyxl import Workbook

    if figures:
        records = list(wide_records(db))
        first = [list(REPORT_COLUMNS)] + [[r[c] if c != "checks_failed" else ";".join(r[c]) for c in REPORT_COLUMNS]
                                         for r in records]
        doc_ids: Sequence[int] | None = None
    else:
        columns, query = _select(reports_only, with_text)
        with read_only(db) as conn:
            first = [list(columns), *map(list, conn.execute(query))]
        doc_ids = [row[0] for row in first[1:]]
    book = Workbook(write_only=True)
    _add_sheet(book, REPORTS_SHEET if figures else DOCUMENTS_SHEET, first)
    for name, sheet_rows in form_sheets(db, doc_ids).items():
        _add_sheet(book, name, sheet_rows)
    book.save(path)
    return len(first) - 1


def _add_sheet(book: Any, name: str, rows: Iterable[Sequence[Any]]) -> None:
    """A sheet of `rows` (the first its header, kept in view), every string stored as text."""
    from openpyxl.cell import WriteOnlyCell

    sheet = book.create_sheet(name)
    sheet.freeze_panes = "A2"
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(sheet, value=_cell_value(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a title starting with '=' is text, never a formula
            cells.append(cell)
        sheet.append(cells)


def _cell_value(value: Any) -> Any:
    if isinstance(value, str):
        return _ILLEGAL.sub("", value)[:_EXCEL_CELL_CHARS]
    return value


TIMELINESS_COLUMNS = ("province", "agency", "year", "government", "deadline", "published", "published_source",
                      "status", "days_late")


def export_timeliness(db: Path, out: TextIO, fmt: str = "csv") -> int:
    """Each agency's reports by year against 条例 art. 49 — on time, late, undated, and missing after the
    deadline — as `csv` or `jsonl`; returns how many rows."""
    from archive.index.timeliness import timeliness
    from archive.serve.deadlines import seed_levels

    with read_only(db) as conn:
        rows = timeliness(conn, levels=seed_levels(db.parent))
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(TIMELINESS_COLUMNS)
        writer.writerows([row[c] for c in TIMELINESS_COLUMNS] for row in rows)
    else:
        out.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return len(rows)
