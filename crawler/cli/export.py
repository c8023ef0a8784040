"""`nianbao export`: Export documents or the reports' figures as JSONL, CSV (for Excel too) or an xlsx."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import click

from archive.export import export_documents, export_timeliness, export_workbook

from .common import archive_option, require_index


def _format(fmt: str | None, figures: bool, excel: bool, output: Path | None) -> str:
    """The format asked for: documents default to JSONL, figures to CSV; --excel is CSV with a BOM."""
    if excel and fmt not in (None, "csv"):
        raise click.UsageError(f"--excel writes CSV for Excel; for --format {fmt} leave --excel out")
    chosen = "csv" if excel else fmt or ("csv" if figures else "jsonl")
    if chosen == "xlsx" and output is None:
        raise click.UsageError("--format xlsx writes a workbook: give the file with -o FILE.xlsx")
    return chosen


@click.command()
@archive_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "xlsx"]), default=None,
              help="jsonl, csv or xlsx (an Excel workbook, needs -o). Default: jsonl; csv with --figures.")
@click.option("--excel", is_flag=True, help="CSV Excel opens in the right encoding (UTF-8 with a byte-order mark).")
@click.option("--reports-only", is_flag=True, help="Only documents classified as annual reports.")
@click.option("--text", "with_text", is_flag=True, help="Include the extracted text.")
@click.option("--figures", is_flag=True,
              help="The reports' standard statistics instead: one wide row per report (xlsx: the form's tables).")
@click.option("--timeliness", is_flag=True,
              help="Each agency's reports by year against 条例 art. 49: on time, late, undated, missing.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (default: standard output).")
def export(archive: Path, fmt: str | None, excel: bool, reports_only: bool, with_text: bool, figures: bool,
           timeliness: bool, output: Path | None) -> None:
    """Export documents or the reports' figures as JSONL, CSV or an Excel workbook.

    The workbook (--format xlsx) lists the documents (with --figures: the reports) on its first sheet and
    the reports' figures on one sheet per table of the standard form (二, 三, 四).

    \b
    Example:
        nianbao export --archive ./archive --reports-only --format csv -o reports.csv
        nianbao export --archive ./archive --reports-only --excel -o reports.csv
        nianbao export --archive ./archive --reports-only --format xlsx -o reports.xlsx
        nianbao export --archive ./archive --figures -o figures.csv
        nianbao export --archive ./archive --figures --format jsonl -o figures.jsonl
        nianbao export --archive ./archive --timeliness -o late-and-missing.csv
    """
    db = require_index(archive)
    fmt = _format(fmt, figures or timeliness, excel, output)
    if timeliness and fmt == "xlsx":
        raise click.UsageError("--timeliness writes csv or jsonl")
    if fmt == "xlsx" and output is not None:
        count = export_workbook(db, output, figures=figures, reports_only=reports_only, with_text=with_text)
        click.echo(f"{count} {'reports' if figures else 'documents'} exported to {output}", err=True)
        return
    handle: TextIO = output.open("w", encoding="utf-8-sig" if excel else "utf-8", newline="") if output \
        else sys.stdout
    try:
        if excel and not output:
            handle.write("\ufeff")
        count = export_timeliness(db, handle, fmt) if timeliness else \
            _write(db, handle, fmt, figures or timeliness, reports_only, with_text)
    finally:
        if output:
            handle.close()
    if figures or timeliness:
        click.echo(f"{count} {'agency-years' if timeliness else 'reports'} exported", err=True)


def _write(db: Path, out: TextIO, fmt: str, figures: bool, reports_only: bool, with_text: bool) -> int:
    if figures:
        from archive.index.figures import export_wide

        return export_wide(db, out, fmt)
    return export_documents(db, out, fmt, reports_only=reports_only, with_text=with_text)
