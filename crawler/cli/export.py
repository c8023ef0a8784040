"""`nianbao export`: Export documents as JSONL or CSV."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

import click

from archive.export import export_documents

from .common import archive_option, require_index


@click.command()
@archive_option
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--reports-only", is_flag=True, help="Only documents classified as annual reports.")
@click.option("--text", "with_text", is_flag=True, help="Include the extracted text.")
@click.option("--figures", is_flag=True,
              help="The reports' standard statistics instead: one wide CSV row per report.")
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
    handle: TextIO = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        export_documents(db, handle, fmt, reports_only=reports_only, with_text=with_text)
    finally:
        if output:
            handle.close()
