"""`nianbao index`: Rebuild or update ARCHIVE/index.db from the WARC files."""

from __future__ import annotations

import os
from pathlib import Path

import click

from .common import archive_option


@click.command()
@archive_option
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Extraction processes (default: every core).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def index(archive: Path, workers: int | None, quiet: bool) -> None:
    """Rebuild or update ARCHIVE/index.db from the WARC files.

    Only WARC files not indexed yet are read; documents made by an older extractor are re-extracted.
    Delete index.db and rerun to rebuild it from scratch.

    \b
    Example:
        nianbao index --archive ./archive
    """
    from archive.index.build import build_index

    if not (archive / "warc").is_dir():
        raise click.ClickException(f"{archive / 'warc'} does not exist: is {archive} an archive folder "
                                   "(run `nianbao crawl` or `nianbao demo` first)?")
    report = build_index(archive, progress=not quiet, workers=workers or os.cpu_count())
    click.echo(f"{archive / 'index.db'}: {report.files_indexed} WARC files indexed, {report.files_skipped} already "
               f"indexed; {report.captures} captures, {report.documents} documents, "
               f"{report.reextracted} re-extracted")
    for error in report.errors or []:
        click.echo(f"warning: {error}", err=True)
