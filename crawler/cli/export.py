"""`nianbao export`: Export documents as JSONL or CSV."""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from pathlib import Path
from typing import TextIO

import click

from .common import archive_option, require_index

COLUMNS = ("id", "url", "agency", "province", "title", "year", "published", "kind", "parent_id", "encoding",
           "encoding_source", "mojibake", "is_report", "report_score", "extractor_version")


@click.command()
@archive_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--reports-only", is_flag=True, help="Only documents classified as annual reports.")
@click.option("--text", "with_text", is_flag=True, help="Include the extracted text.")
@click.option("--figures", is_flag=True,
              help="The reports' standard statistics instead: one wide CSV row per report (issue #7).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (default: standard output).")
def export(archive: Path, fmt: str, reports_only: bool, with_text: bool, figures: bool, output: Path | None) -> None:
    """Export documents as JSONL or CSV.

    \b
    Example:
        nianbao export --archive ./archive --reports-only --format csv -o reports.csv
        nianbao export --archive ./archive --figures -o figures.csv
    """
    db = require_index(archive)
    if figures:
        from archive.index.figures import export_wide

        if output:
            with output.open("w", encoding="utf-8", newline="") as figures_file:
                count = export_wide(db, figures_file)
        else:
            count = export_wide(db, sys.stdout)
        click.echo(f"{count} reports exported", err=True)
        return
    columns = COLUMNS + (("text",) if with_text else ())
    where = " where is_report = 1" if reports_only else ""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    rows = conn.execute(f"select {', '.join(columns)} from documents{where} order by agency, year, url")
    handle: TextIO = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        if fmt == "csv":
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows(rows)
        else:
            for row in rows:
                handle.write(json.dumps(dict(zip(columns, row)), ensure_ascii=False) + "\n")
    finally:
        conn.close()
        if output:
            handle.close()
