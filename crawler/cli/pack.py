"""`nianbao pack`: Package the archive as a WACZ."""

from __future__ import annotations

from pathlib import Path

import click

from .common import archive_option, not_available


@click.command()
@archive_option
def pack(archive: Path) -> None:
    """Package the archive as a WACZ.

    \b
    Example:
        nianbao pack --archive ./archive
    """
    not_available("pack", 4)
