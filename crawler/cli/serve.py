"""`nianbao serve`: Browse the archive index in Datasette (read-only, 127.0.0.1 by default)."""

from __future__ import annotations

from pathlib import Path

import click

from .common import archive_option, not_available


@click.command()
@archive_option
def serve(archive: Path) -> None:
    """Browse the archive index in Datasette (read-only, 127.0.0.1 by default).

    \b
    Example:
        nianbao serve --archive ./archive
    """
    not_available("serve", 6)
