"""`nianbao export`: Export documents as JSONL or CSV."""

from __future__ import annotations

from pathlib import Path

import click

from .common import archive_option, not_available


@click.command()
@archive_option
def export(archive: Path) -> None:
    """Export documents as JSONL or CSV.

    \b
    Example:
        nianbao export --archive ./archive
    """
    not_available("export", 6)
