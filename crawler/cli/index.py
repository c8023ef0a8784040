"""`nianbao index`: Rebuild or update ARCHIVE/index.db from the WARC files."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from archive.index.progress import ProgressSink

from .common import archive_option, require_archive


def _terminal_bar(line: str, share: float, final: bool) -> None:
    """Redraw one progress line on the terminal (stderr)."""
    filled = int(30 * share)
    sys.stderr.write(f"\r\033[Kindexing [{'#' * filled}{'.' * (30 - filled)}] {line}" + ("\n" if final else ""))
    sys.stderr.flush()


@click.command()
@archive_option
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Extraction processes (default: every core).")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--rebuild", is_flag=True, help="Start from an empty index: every WARC file is read again.")
def index(archive: Path, workers: int | None, quiet: bool, rebuild: bool) -> None:
    """Rebuild or update ARCHIVE/index.db from the WARC files.

    Only WARC files not indexed yet are read; documents made by an older extractor are re-extracted.
    --rebuild starts from an empty index.

    \b
    Example:
        nianbao index --archive ./archive
        nianbao index --archive ./archive --rebuild
    """
    from archive.index.build import build_index

    require_archive(archive)
    progress: bool | ProgressSink = False if quiet else _terminal_bar if sys.stderr.isatty() else True
    report = build_index(archive, progress=progress, workers=workers or os.cpu_count(),
                         progress_every=0.2 if sys.stderr.isatty() else 10.0, rebuild=rebuild)
    click.echo(f"{archive / 'index.db'}: {report.files_indexed} WARC files indexed, {report.files_skipped} already "
               f"indexed; {report.captures} captures, {report.documents} documents, "
               f"{report.reextracted} re-extracted")
    for error in report.errors:
        click.echo(f"warning: {error}", err=True)
