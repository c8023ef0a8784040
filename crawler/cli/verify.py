"""`nianbao verify`: Check the integrity of the WARC files and of the index against them."""

from __future__ import annotations

from pathlib import Path

import click

from .common import archive_option, not_available


@click.command()
@archive_option
def verify(archive: Path) -> None:
    """Check the integrity of the WARC files and of the index against them.

    \b
    Example:
        nianbao verify --archive ./archive
    """
    not_available("verify", 4)
