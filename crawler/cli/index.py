"""`nianbao index`: Rebuild or update ARCHIVE/index.db from the WARC files."""

from __future__ import annotations

from pathlib import Path

import click

from .common import archive_option, not_available


@click.command()
@archive_option
def index(archive: Path) -> None:
    """Rebuild or update ARCHIVE/index.db from the WARC files.

    \b
    Example:
        nianbao index --archive ./archive
    """
    not_available("index", 6)
